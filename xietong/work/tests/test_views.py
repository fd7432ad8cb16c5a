from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from xietong.accounts.actions import token_create
from xietong.testing import NAV_QUERIES
from xietong.work.models import Attachment, Comment, Notification, Task, TaskState
from xietong.work.registry import ACKNOWLEDGE, SUPERVISE
from xietong.work.sweep import escalations_run

PAGES = ["/work/", "/work/?box=done", "/work/?box=started", "/work/?box=cc", "/work/notifications/",
         "/work/preferences/"]


@pytest.mark.parametrize("url", PAGES)
def test_an_outsider_is_refused(company, as_, url):
    assert as_(company.outsider).get(url).status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_signed_out_goes_to_sign_in(company, client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_inbox_lists_overdue_first_then_by_due(make_task, company, as_):
    now = timezone.now()
    later = make_task(title="later", due_at=now + timedelta(days=3))
    late = make_task(title="late", due_at=now - timedelta(hours=2))
    soon = make_task(title="soon", due_at=now + timedelta(hours=1))
    html = as_(company.employee).get("/work/").content.decode()
    assert html.index("late") < html.index("soon") < html.index("later")
    assert 'data-testid="count-todo" title="Open tasks">3<' in html
    assert 'data-testid="count-overdue" title="Overdue">1<' in html
    assert {later.pk, soon.pk, late.pk} == set(Task.objects.filter(assignee=company.employee).values_list("pk",
                                                                                                        flat=True))


def test_the_inbox_is_a_fixed_number_of_queries(make_task, company, as_, django_assert_max_num_queries):
    for _ in range(3):
        make_task(due_at=timezone.now() + timedelta(days=1))
    client = as_(company.employee)
    with django_assert_max_num_queries(8 + NAV_QUERIES) as few:
        client.get("/work/")
    for _ in range(30):
        make_task(due_at=timezone.now() + timedelta(days=1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/work/").status_code == 200


@pytest.mark.parametrize("box", ["done", "started", "cc"])
def test_every_box_is_a_fixed_number_of_queries(make_task, company, as_, box, django_assert_max_num_queries):
    def fill(n):
        for _ in range(n):
            task = make_task(requester=company.employee, actor=company.employee, assignee=company.sales_head,
                             cc=[company.employee], kind=ACKNOWLEDGE)
            from xietong.work.actions import task_complete

            task_complete(actor=company.sales_head, task=task)

    fill(2)
    client = as_(company.employee if box != "done" else company.sales_head)
    with django_assert_max_num_queries(8 + NAV_QUERIES) as few:
        client.get(f"/work/?box={box}")
    fill(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"/work/?box={box}").status_code == 200


def test_filters_and_htmx_partial(make_task, company, as_):
    make_task(title="notice", kind=ACKNOWLEDGE)
    make_task(title="todo-item")
    response = as_(company.employee).get("/work/?kind=work.acknowledge", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "notice" in html and "todo-item" not in html and "<html" not in html


def test_role_tasks_show_to_every_holder(make_task, company, as_):
    from xietong.org.actions import role_grant
    from xietong.org.models import Role

    role_grant(actor=company.admin, person=company.engineer, role=Role.COORDINATOR, department=company.tech)
    make_task(title="for-coordinators", role=Role.COORDINATOR, department=company.tech)
    assert "for-coordinators" in as_(company.engineer).get("/work/").content.decode()
    assert "for-coordinators" not in as_(company.rd1_lead).get("/work/").content.decode()


def test_bulk_complete_from_the_inbox(make_task, company, as_):
    notices = [make_task(kind=ACKNOWLEDGE) for _ in range(2)]
    response = as_(company.employee).post("/work/bulk-complete/", {"task": [t.pk for t in notices]})
    assert response.status_code == 302
    assert Task.objects.filter(pk__in=[t.pk for t in notices], state=TaskState.DONE).count() == 2


def test_a_stranger_gets_404_on_a_task(make_task, company, as_):
    task = make_task()
    assert as_(company.engineer).get(f"/work/tasks/{task.pk}/").status_code == 404
    assert as_(company.engineer).post(f"/work/tasks/{task.pk}/complete/").status_code == 404
    assert as_(company.outsider).get(f"/work/tasks/{task.pk}/").status_code == 403


def test_the_assignee_completes_from_the_task_page(make_task, company, as_):
    task = make_task()
    client = as_(company.employee)
    page = client.get(f"/work/tasks/{task.pk}/").content.decode()
    assert 'data-testid="complete"' in page and 'data-testid="urge"' not in page
    client.post(f"/work/tasks/{task.pk}/complete/", {"note": "已完成"})
    task.refresh_from_db()
    assert task.state == TaskState.DONE and task.outcome_note == "已完成"
    assert "task.complete" in client.get(f"/work/tasks/{task.pk}/").content.decode()  # the history


def test_the_head_supervises_and_urges_from_the_supervision_task(make_task, company, as_):
    task = make_task(due_at=timezone.now() - timedelta(hours=1))
    escalations_run()
    supervision = Task.objects.get(parent=task, kind=SUPERVISE)
    client = as_(company.sales_head)
    assert task.title in client.get(f"/work/tasks/{supervision.pk}/").content.decode()
    page = client.get(f"/work/tasks/{task.pk}/").content.decode()
    assert 'data-testid="urge"' in page
    client.post(f"/work/tasks/{task.pk}/urge/", {"note": "今天务必提交"})
    assert Notification.objects.filter(recipient=company.employee, kind="task_urged").exists()
    # A second urge at once is refused with a message, and changes nothing.
    response = client.post(f"/work/tasks/{task.pk}/urge/", follow=True)
    assert "urged recently" in response.content.decode()
    assert Task.objects.get(pk=task.pk).urge_count == 1


def test_comments_mention_and_notify(make_task, company, as_):
    task = make_task()
    as_(company.employee).post(f"/work/records/work.task/{task.pk}/comments/",
                               {"body": "@陈静 请看一下 @zhengkai", "next": f"/work/tasks/{task.pk}/"})
    comment = Comment.objects.get()
    # The sales head sees the task (requester); the engineer does not and is not told.
    assert list(comment.mentions.all()) == [company.sales_head]
    assert Notification.objects.filter(recipient=company.sales_head, kind="mention").count() == 1
    assert not Notification.objects.filter(recipient=company.engineer, kind="mention").exists()


def test_a_stranger_cannot_comment_or_see_history(make_task, company, as_):
    task = make_task()
    client = as_(company.engineer)
    assert client.post(f"/work/records/work.task/{task.pk}/comments/", {"body": "x"}).status_code == 404
    assert client.get(f"/work/records/work.task/{task.pk}/history/").status_code == 404
    assert client.get("/work/records/unknown.thing/1/history/").status_code == 404
    assert not Comment.objects.exists()


def test_the_auditor_sees_any_history(make_task, company, as_):
    task = make_task()
    assert as_(company.auditor).get(f"/work/records/work.task/{task.pk}/history/").status_code == 200


def test_attachments_upload_download_and_access(make_task, company, as_, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    task = make_task()
    client = as_(company.employee)
    client.post(f"/work/records/work.task/{task.pk}/attachments/",
                {"file": SimpleUploadedFile("../../报价.txt", b"hello"), "next": f"/work/tasks/{task.pk}/"})
    attachment = Attachment.objects.get()
    assert attachment.name == "报价.txt" and attachment.size == 5
    response = client.get(f"/work/attachments/{attachment.pk}/")
    assert b"".join(response.streaming_content) == b"hello"
    assert "attachment" in response["Content-Disposition"]
    assert as_(company.engineer).get(f"/work/attachments/{attachment.pk}/").status_code == 404


def test_an_oversized_attachment_is_refused(make_task, company, as_, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.XIETONG_MAX_UPLOAD_BYTES = 4
    task = make_task()
    response = as_(company.employee).post(f"/work/records/work.task/{task.pk}/attachments/",
                                          {"file": SimpleUploadedFile("a.txt", b"hello")}, follow=True)
    assert "larger than" in response.content.decode()
    assert not Attachment.objects.exists()


def test_notifications_open_marks_read(make_task, company, as_):
    task = make_task()
    note = Notification.objects.get(recipient=company.employee)
    client = as_(company.employee)
    response = client.get(f"/work/notifications/{note.pk}/")
    assert response.status_code == 302 and response.url == f"/work/tasks/{task.pk}/"
    assert Notification.objects.get(pk=note.pk).read_at is not None
    assert as_(company.engineer).get(f"/work/notifications/{note.pk}/").status_code == 404


def test_preferences_are_saved(company, as_):
    as_(company.employee).post("/work/preferences/", {"task_assigned:inapp": "on"})
    from xietong.work.notify import preferences_for

    assert preferences_for([company.employee], "task_assigned")[company.employee.pk] == {"inapp"}


def test_preferences_of_several_people_are_read_together_each_over_the_kinds_defaults(
        company, django_assert_num_queries):
    from xietong.work.notify import NOTIFICATION_KINDS, preference_set, preferences_for

    defaults = set(NOTIFICATION_KINDS["task_urged"].defaults)
    preference_set(person=company.employee, kind="task_urged", channel="email", enabled=False)
    preference_set(person=company.engineer, kind="task_urged", channel="sms", enabled=True)
    preference_set(person=company.engineer, kind="task_assigned", channel="email", enabled=False)  # another kind
    with django_assert_num_queries(1):
        chosen = preferences_for([company.employee, company.engineer, company.hr], "task_urged")
    assert chosen == {company.employee.pk: defaults - {"email"}, company.engineer.pk: defaults | {"sms"},
                      company.hr.pk: defaults}
    with django_assert_num_queries(0):
        assert preferences_for([], "task_urged") == {}


def test_only_admins_manage_robots_and_sweep(company, as_):
    assert as_(company.employee).get("/work/robots/").status_code == 403
    assert as_(company.employee).post("/work/sweep/").status_code == 403
    client = as_(company.admin)
    client.post("/work/robots/", {"kind": "webhook", "name": "hook", "url": "ftp://x"})
    from xietong.work.models import RobotChannel

    assert not RobotChannel.objects.exists()
    client.post("/work/robots/", {"kind": "webhook", "name": "hook", "url": "https://example.com/h",
                                  "secret": "TopSecret-123"})
    assert RobotChannel.objects.get().secret == "TopSecret-123"
    page = client.get("/work/robots/").content.decode()
    assert "hook" in page and "TopSecret-123" not in page
    assert client.post("/work/sweep/").status_code == 302


# --- API ----------------------------------------------------------------------------

@pytest.fixture
def api(client):
    tokens: dict[int, str] = {}

    def call(person, method="get", path="/tasks", **kw):
        if person.pk not in tokens:
            tokens[person.pk] = token_create(actor=person, name="t")[1]
        raw = tokens[person.pk]
        return getattr(client, method)(f"/api/v1{path}", headers={"Authorization": f"Bearer {raw}"},
                                       content_type="application/json", **kw)
    return call


def test_api_inbox_counts_and_complete(make_task, company, api):
    task = make_task(due_at=timezone.now() - timedelta(hours=1))
    body = api(company.employee).json()
    assert body["count"] == 1 and body["items"][0]["overdue"] is True
    assert api(company.employee, path="/tasks/counts").json() == {"todo": 1, "overdue": 1, "unread": 1}
    done = api(company.employee, "post", f"/tasks/{task.pk}/complete", data={"note": "ok"})
    assert done.json()["state"] == "done"
    again = api(company.employee, "post", f"/tasks/{task.pk}/complete", data={})
    assert again.status_code == 409 and again.json()["error"]["code"] == "task_closed"


def test_api_complete_is_a_fixed_number_of_statements_and_answers_the_closed_task(
        make_task, company, api, django_assert_max_num_queries):
    """The write path (issue 13): the gate reads the row and the people the
    answer shows; the action locks that same object and the answer is it."""
    task = make_task()
    api(company.employee)  # the token's first use is written once
    # The token, the principal, the gate, a savepoint (2: the test's transaction), the lock, the update,
    # the event (2), the requester's notification (2). It was 14 before the write path was cut down.
    with django_assert_max_num_queries(11):
        done = api(company.employee, "post", f"/tasks/{task.pk}/complete", data={"note": "ok"})
    body = done.json()
    assert body["state"] == "done" and body["outcome"] == "done" and body["completed_at"] is not None
    assert body["assignee"]["id"] == company.employee.pk and body["requester"]["id"] == task.requester_id
    task.refresh_from_db()
    assert task.state == "done" and task.outcome_note == "ok"


def test_api_refuses_strangers_and_outsiders(make_task, company, api):
    task = make_task()
    assert api(company.engineer, path=f"/tasks/{task.pk}").status_code == 404
    assert api(company.engineer, "post", f"/tasks/{task.pk}/urge", data={}).status_code == 404
    assert api(company.outsider).status_code == 403
    assert api(company.engineer, path=f"/records/work.task/{task.pk}/comments").status_code == 404


def test_a_page_of_tasks_brings_its_people_and_departments_in_two_queries(make_task, company,
                                                                        django_assert_num_queries):
    from xietong.org.models import Role
    from xietong.work.queries import with_people

    mine = make_task(requester=company.engineer)
    offered = make_task(role=Role.FINANCE, department=company.finance_dept, requester=company.hr)
    plain = make_task(requester=None)
    Task.objects.filter(pk=plain.pk).update(delegated_from=company.tech_head)
    with django_assert_num_queries(3):  # the page, its people, its departments
        tasks = {t.pk: t for t in with_people(Task.objects.filter(pk__in=[mine.pk, offered.pk, plain.pk]))}
        assert (tasks[mine.pk].assignee.name, tasks[mine.pk].requester.name) == (company.employee.name,
                                                                                  company.engineer.name)
        assert tasks[mine.pk].delegated_from is None and tasks[mine.pk].assignee_department is None
        assert tasks[offered.pk].assignee is None and tasks[offered.pk].assignee_department.name == \
            company.finance_dept.name and tasks[offered.pk].requester.name == company.hr.name
        assert tasks[plain.pk].delegated_from.name == company.tech_head.name and tasks[plain.pk].requester is None
    # A slice (a page) keeps it.
    with django_assert_num_queries(2):
        (first,) = with_people(Task.objects.filter(pk=mine.pk))[:1]
        assert first.assignee.username == company.employee.username


def test_api_list_is_a_fixed_number_of_queries(make_task, company, api, django_assert_max_num_queries):
    make_task()
    api(company.employee)
    with django_assert_max_num_queries(8) as few:
        api(company.employee)
    for _ in range(20):
        make_task()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api(company.employee).json()["count"] == 21


def test_the_api_list_shows_each_tasks_ladder_level_with_no_read_per_row(make_task, company, api,
                                                                         django_assert_max_num_queries):
    late = [make_task(due_at=timezone.now() - timedelta(minutes=1)) for _n in range(3)]
    calm = make_task()
    escalations_run()
    api(company.employee)
    with django_assert_max_num_queries(8) as few:
        rows = {row["id"]: row for row in api(company.employee).json()["items"]}
    assert not [q for q in few.captured_queries if "work_escalation" in q["sql"] and "work_task" not in q["sql"]]
    assert [rows[t.pk]["escalation_level"] for t in late] == [1, 1, 1]
    assert rows[calm.pk]["escalation_level"] == 0


def test_api_urge_limit_is_a_clear_error(make_task, company, api):
    task = make_task()
    first = api(company.sales_head, "post", f"/tasks/{task.pk}/urge", data={"note": "快"})
    # The answer is the task as the urge left it (the action's own locked copy, not read again).
    assert first.status_code == 200 and first.json()["urge_count"] == 1 and first.json()["state"] == "open"
    second = api(company.sales_head, "post", f"/tasks/{task.pk}/urge", data={})
    assert second.status_code == 400 and second.json()["error"]["code"] == "urge_too_soon"


def test_api_comments_and_history(make_task, company, api):
    task = make_task()
    created = api(company.employee, "post", f"/records/work.task/{task.pk}/comments", data={"body": "收到"})
    assert created.status_code == 201 and created.json()["body"] == "收到"
    history = api(company.employee, path=f"/records/work.task/{task.pk}/history").json()
    assert [e["verb"] for e in history] == ["task.create", "comment.add"]


def test_the_notifications_page_is_a_fixed_number_of_queries(make_task, company, as_, django_assert_max_num_queries):
    make_task()
    client = as_(company.employee)
    with django_assert_max_num_queries(6 + NAV_QUERIES) as few:
        client.get("/work/notifications/")
    for _ in range(30):
        make_task()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/work/notifications/").status_code == 200


def test_the_robots_page_is_a_fixed_number_of_queries(company, as_, django_assert_max_num_queries):
    from xietong.work.models import RobotChannel

    RobotChannel.objects.create(kind="wecom", name="r0", url="https://example.com/0", department=company.sales)
    client = as_(company.admin)
    with django_assert_max_num_queries(7 + NAV_QUERIES) as few:
        client.get("/work/robots/")
    for n in range(10):
        RobotChannel.objects.create(kind="wecom", name=f"r{n + 1}", url="https://example.com/x",
                                    department=company.tech)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/work/robots/").status_code == 200


def test_org_records_have_history_for_their_editors_only(company, as_):
    dept = f"/work/records/org.department/{company.sales.pk}/history/"
    person = f"/work/records/org.person/{company.employee.pk}/history/"
    assert as_(company.admin).get(dept).status_code == 200
    assert as_(company.employee).get(dept).status_code == 404
    assert as_(company.hr).get(person).status_code == 200
    assert as_(company.employee).get(person).status_code == 200  # their own
    assert as_(company.engineer).get(person).status_code == 404


def test_api_claim_and_bulk_complete(make_task, company, api):
    from xietong.org.actions import role_grant
    from xietong.org.models import Role

    role_grant(actor=company.admin, person=company.engineer, role=Role.COORDINATOR, department=company.tech)
    role_task = make_task(role=Role.COORDINATOR, department=company.tech)
    assert api(company.rd1_lead, "post", f"/tasks/{role_task.pk}/claim").status_code == 404  # not a holder
    claimed = api(company.engineer, "post", f"/tasks/{role_task.pk}/claim")
    assert claimed.status_code == 200 and claimed.json()["assignee"]["id"] == company.engineer.pk
    notices = [make_task(kind=ACKNOWLEDGE) for _ in range(2)]
    todo = make_task()
    body = api(company.employee, "post", "/tasks/bulk-complete",
               data={"ids": [t.pk for t in notices] + [todo.pk]}).json()
    assert body["completed"] == 2 and len(body["problems"]) == 1
    assert Task.objects.get(pk=todo.pk).state == TaskState.OPEN


def test_api_cancel_answers_the_cancelled_task_and_refuses_others(make_task, company, api):
    task = make_task()
    assert api(company.engineer, "post", f"/tasks/{task.pk}/cancel", data={"reason": "不需要"}).status_code == 404
    assert api(company.sales_head, "post", f"/tasks/{task.pk}/cancel", data={}).status_code == 400  # no reason
    done = api(company.sales_head, "post", f"/tasks/{task.pk}/cancel", data={"reason": "不需要"})
    assert done.status_code == 200 and (done.json()["state"], done.json()["outcome"]) == ("cancelled", "cancelled")
    assert done.json()["completed_at"] is not None
    task.refresh_from_db()
    assert (task.state, task.outcome_note) == ("cancelled", "不需要")
    again = api(company.sales_head, "post", f"/tasks/{task.pk}/cancel", data={"reason": "再次"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "task_closed"


def test_api_notifications_list_and_mark_read(make_task, company, api):
    make_task()
    make_task()
    listed = api(company.employee, path="/notifications?unread=true").json()
    assert listed["count"] == 2 and all(n["read_at"] is None for n in listed["items"])
    first = listed["items"][0]["id"]
    assert api(company.employee, "post", "/notifications/read", data={"ids": [first]}).json() == {"marked": 1}
    assert api(company.employee, path="/notifications?unread=true").json()["count"] == 1
    # Someone else's ids mark nothing.
    assert api(company.engineer, "post", "/notifications/read", data={"ids": [first]}).json() == {"marked": 0}
    # A body that says neither which nor "all" marks nothing (it used to mark everything).
    refused = api(company.employee, "post", "/notifications/read", data={})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "ids_or_all"
    assert api(company.employee, "post", "/notifications/read", data={"id": [first]}).status_code == 400
    assert api(company.employee, path="/notifications?unread=true").json()["count"] == 1
    assert api(company.employee, "post", "/notifications/read", data={"all": True}).json() == {"marked": 1}


def test_saving_preferences_writes_only_changes_and_one_event(company, as_):
    from xietong.audit.models import Event
    from xietong.work.models import Preference

    client = as_(company.employee)
    client.post("/work/preferences/", {"task_assigned:inapp": "on", "mention:inapp": "on", "mention:email": "on"})
    events = Event.objects.filter(subject_type="org.person", subject_id=str(company.employee.pk),
                                  verb="preferences.update")
    assert events.count() == 1
    # Only departures from the defaults are stored; saving the same again changes nothing.
    assert set(Preference.objects.filter(person=company.employee).values_list("kind", "channel", "enabled")) >= {
        ("task_assigned", "email", False)}
    assert not Preference.objects.filter(person=company.employee, kind="mention").exists()
    client.post("/work/preferences/", {"task_assigned:inapp": "on", "mention:inapp": "on", "mention:email": "on"})
    assert events.count() == 1
