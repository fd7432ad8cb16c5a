"""The module platform: a module declared only in its manifest and one line
of INSTALLED_APPS (tests/example, added by tests/settings.py) gets its
navigation entry, pages, API, demo data, parameters, roles, task kind and
notifications, with no line in any central file; and the start-up checks
refuse a manifest that contradicts itself or the others."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from xietong.platform import Module, NavEntry, RoleDef, manifest
from xietong.platform.checks import check_manifests
from xietong.platform.kinds import SubjectType, TaskKind
from xietong.platform.params import ParamRule, param

ROOT = Path(__file__).resolve().parent.parent


def test_no_central_file_names_the_example_module():
    mentions = [str(p.relative_to(ROOT)) for p in (ROOT / "xietong").rglob("*")
                if p.suffix in (".py", ".html", ".toml", ".cfg") and "example" in p.read_text(errors="ignore")
                and "tests.example" in p.read_text(errors="ignore")]
    assert mentions == []
    assert "tests.example" not in (ROOT / "xietong" / "settings.py").read_text()


def test_its_navigation_entry_is_shown_to_whom_its_rule_allows(company, client):
    client.force_login(company.employee)
    page = client.get("/").content.decode()
    assert 'data-testid="nav-example"' in page and 'href="/example/"' in page
    client.force_login(company.outsider)  # the rule: members only
    assert 'data-testid="nav-example"' not in client.get("/").content.decode()


def test_its_pages_are_mounted_at_its_key_with_their_gate(company, client):
    from tests.example.actions import note_create

    company.admin.role_assignments.create(role="example_editor")
    note_create(actor=company.admin, department=company.sales, title="季度协作说明")
    client.force_login(company.employee)
    assert reverse("example:index") == "/example/"
    response = client.get("/example/")
    assert response.status_code == 200 and "季度协作说明" in response.content.decode()
    client.force_login(company.outsider)
    assert client.get("/example/").status_code == 403


def test_its_api_router_is_mounted_and_documented(company, client):
    client.force_login(company.employee)
    response = client.get("/api/v1/example/notes")
    assert response.status_code == 200 and response.json() == []
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/example/notes" in schema["paths"]
    client.force_login(company.outsider)
    assert client.get("/api/v1/example/notes").status_code == 403


def test_its_parameter_and_role_are_the_kernel_s(company, calendar):
    from tests.example.actions import note_create
    from xietong.org.actions import role_grant
    from xietong.policy.calendar import WorkingCalendar
    from xietong.policy.queries import param as value_of
    from xietong.policy.registry import get_param
    from xietong.work.models import Notification, Task

    assert get_param("example.read_working_hours").owner_label == "Coordination office"
    role_grant(actor=company.admin, person=company.hr, role="example_editor")
    note = note_create(actor=company.hr, department=company.sales, title="通知")
    task = Task.objects.get(kind="example.read")
    # Its due time: the kind's due_param, on the working calendar.
    expected = WorkingCalendar.load(at=task.created_at).add_working_hours(
        task.created_at, value_of("example.read_working_hours"))
    assert task.assignee == company.sales_head and task.subject_id == str(note.pk) and task.due_at == expected
    assert Notification.objects.filter(recipient=company.sales_head, kind="example_note").exists()


def test_the_policy_pages_list_its_parameter_and_the_role_form_its_role(company, client):
    client.force_login(company.admin)
    assert "example.read_working_hours" in client.get("/policy/parameters/").content.decode()
    page = client.get(f"/org/people/{company.employee.pk}/").content.decode()
    assert 'value="example_editor"' in page and "Note editor" in page


@pytest.mark.django_db(transaction=True)
def test_its_demo_runs_with_the_demo_company(settings):
    from tests.example.models import Note

    settings.XIETONG_DEMO = True
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Note.objects.get().title == "A note from the example module"


# --- the start-up checks ------------------------------------------------------------------------------------

@pytest.fixture
def planted():
    """Register a module for one test, then take it out again."""
    added: list[str] = []

    def plant(module: Module) -> list[str]:
        manifest.register(module, app="tests.planted")
        added.append(module.key)
        return sorted({str(e.id) for e in check_manifests()})

    yield plant
    for key in added:
        if key in manifest.MODULES:
            manifest.unregister(key)


def test_the_product_s_manifests_pass_the_checks(db):
    assert check_manifests() == []
    call_command("check")


def test_a_key_declared_twice_is_refused(planted):
    assert planted(Module(key="twice", label="x", roles=(RoleDef("hr", "HR again"),))) == ["xietong.E001"]
    assert manifest.ROLES["hr"].label != "HR again"  # the first declaration stays


def test_a_record_type_not_named_for_its_model_is_refused(planted):
    from xietong.work.models import Task

    assert planted(Module(key="misnamed", label="x", subjects=(
        SubjectType("misnamed.thing", "thing", can_view=lambda p, pk: True, model=Task),))) == ["xietong.E002"]


def test_a_due_param_that_is_not_a_duration_is_refused(planted):
    assert planted(Module(key="due", label="x", kinds=(
        TaskKind("due.pay", "Pay", module="due", due_param="approval.ceo_threshold_yuan"),))) == ["xietong.E003"]


def test_a_nav_entry_without_a_rule_is_refused(planted):
    assert planted(Module(key="nav", label="x", nav=(NavEntry("open", "Open", "web:home", visible=None),))) == [
        "xietong.E005"]


def test_a_kind_of_an_unknown_module_and_rules_on_unknown_parameters_are_refused(planted):
    assert planted(Module(key="stray", label="x", kinds=(TaskKind("stray.do", "Do", module="nowhere"),),
                          parameter_rules=(ParamRule("stray.low", "approval.ceo_threshold_yuan", "", ""),))) == [
        "xietong.E006", "xietong.E007"]


def test_a_parameter_without_bounds_or_with_an_unknown_owner_is_refused(planted):
    assert planted(Module(key="loose", label="x", parameters=(
        param("loose.count", "X-1", "clause", "int", 3, "count", "数", "count", owner="nobody"),))) == [
        "xietong.E008"]


def test_a_notification_kind_sent_but_not_declared_is_refused(tmp_path, planted, monkeypatch):
    from django.apps import apps

    code = tmp_path / "planted"
    code.mkdir()
    (code / "actions.py").write_text('notify(recipients=[], kind="never_declared", key="k", title="t")\n')
    config = type("Config", (), {"name": "tests.planted", "path": str(code)})()
    monkeypatch.setattr(apps, "get_app_configs", lambda: [config])
    assert planted(Module(key="sender", label="x")) == ["xietong.E004"]
