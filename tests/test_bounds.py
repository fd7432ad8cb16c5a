"""Every input has a type and a range: the fuzzer's and the testers'
findings, each asserted where it was found. A bad value is a 400 (or a 404
for an id no record can have) in the product's shape, and changes nothing."""

import pytest
from django.core import mail
from django.urls import reverse

from xietong.approvals.actions import FormInvalid
from xietong.approvals.builtin import builtin_install
from xietong.approvals.models import Approval, FlowTemplate
from xietong.errors import DomainError
from xietong.org import actions as org
from xietong.requests import actions as requests_actions
from xietong.requests.models import Request
from xietong.service.models import Case
from xietong.work.delivery import deliveries_send_due
from xietong.work.models import Channel, Delivery, DeliveryState

HUGE = "9" * 30  # beyond 64 bits


@pytest.fixture
def c(company, calendar):
    builtin_install()
    org.liaison_set(actor=company.admin, department=company.tech, person=company.rd1_lead)
    return company


@pytest.mark.parametrize("path", [
    f"/api/v1/tasks/{HUGE}", f"/api/v1/approvals/{HUGE}", f"/api/v1/requests/{HUGE}", f"/api/v1/people/{HUGE}",
    f"/api/v1/tasks?limit={HUGE}", f"/api/v1/tasks?offset={HUGE}", "/api/v1/tasks?limit=0",
    f"/api/v1/people?department={HUGE}", "/api/v1/calendar/add-working-hours?start=2026-09-30T10:00:00%2B08:00"
    "&hours=1e20", "/api/v1/calendar/add-working-days?start=0001-01-01T10:00:00%2B08:00&days=1",
    "/api/v1/calendar/add-working-days?start=9999-12-31T10:00:00%2B08:00&days=1", "/api/v1/calendar/days/9999-12-31",
    "/api/v1/calendar/working-time?start=2026-01-01T00:00:00%2B21:00&end=2026-01-02T00:00:00%2B08:00",
])
def test_out_of_range_api_values_are_a_400(c, as_, path):
    response = as_(c.employee).get(path)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] in ("validation", "date_out_of_range", "span_too_long", "bad_offset")


@pytest.mark.parametrize("path", ["/api/v1/tasks/abc", "/api/v1/nothing-here", "/api/v1/approvals/1.5"])
def test_unknown_api_paths_answer_json(c, as_, path):
    response = as_(c.employee).get(path)
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"


def test_a_wrong_method_answers_json(c, as_):
    response = as_(c.employee).delete("/api/v1/tasks/counts")
    assert response.status_code == 405 and response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("path", [f"/work/tasks/{HUGE}/", f"/approvals/{HUGE}/", f"/org/people/{HUGE}/",
                                  f"/requests/{HUGE}/", "/org/people/０１/"])
def test_out_of_range_page_ids_are_a_404(c, as_, path):
    assert as_(c.employee).get(path).status_code == 404


def test_a_huge_year_on_the_calendar_page_is_refused_with_a_message(c, as_):
    response = as_(c.admin).get("/policy/calendar/?year=99999999999999999999", follow=True)
    assert response.status_code == 200 and "between 2000 and 2100" in response.content.decode()


def test_an_amount_beyond_any_real_one_is_refused_not_a_crash(c, as_):
    body = {"template": "purchase", "data": {"item": "x", "category": "it", "amount": "1" + "0" * 26,
                                            "reason": "x"}}
    response = as_(c.employee).post("/api/v1/approvals", body, content_type="application/json")
    assert response.status_code == 400 and "amount" in response.json()["error"]["details"]
    assert not Approval.objects.exists()


@pytest.mark.parametrize(("raw", "ok"), [("100", True), ("1,000.50", True), ("1,0,0", False), ("-0", False),
                                         ("1e3", False), ("12.345", False), ("0", False), ("０", False)])
def test_money_is_parsed_strictly(c, raw, ok):
    template = FlowTemplate.objects.get(key="purchase")
    from xietong.approvals.actions import approval_submit

    data = {"item": "笔", "category": "office", "amount": raw, "reason": "补充"}
    if ok:
        assert approval_submit(actor=c.employee, template=template, data=data).amount is not None
    else:
        with pytest.raises(FormInvalid) as refused:
            approval_submit(actor=c.employee, template=template, data=data)
        assert "amount" in refused.value.errors


def test_a_purchases_amount_must_be_what_its_lines_add_up_to(c):
    """The finding: ¥100 with a line of 10 × ¥30,000 went to the head alone."""
    from xietong.approvals.actions import approval_submit

    template = FlowTemplate.objects.get(key="purchase")
    lines = [{"name": "服务器", "quantity": "10", "unit_price": "30000"}]
    with pytest.raises(FormInvalid) as refused:
        approval_submit(actor=c.employee, template=template, data={
            "item": "服务器", "category": "it", "amount": "100", "reason": "扩容", "lines": lines})
    assert "300,000.00" in refused.value.errors["amount"]
    approval = approval_submit(actor=c.employee, template=template, data={
        "item": "服务器", "category": "it", "amount": "300000", "reason": "扩容", "lines": lines})
    assert [n["key"] for n in approval.plan] == ["head", "finance", "ceo"]


def test_a_need_date_in_the_past_is_refused(c):
    from xietong.approvals.actions import approval_submit

    with pytest.raises(FormInvalid) as refused:
        approval_submit(actor=c.employee, template=FlowTemplate.objects.get(key="purchase"), data={
            "item": "笔", "category": "office", "amount": "10", "reason": "x", "needed_by": "2020-01-01"})
    assert "needed_by" in refused.value.errors


def test_text_limits_hold_on_the_server(c, as_):
    """The finding: a 500-character title and a 9,000-character note were stored."""
    response = as_(c.employee).post("/api/v1/requests", {"to_department": c.tech.pk, "title": "长" * 500},
                                    content_type="application/json")
    assert response.status_code == 400
    page = as_(c.employee).post("/requests/new/", {"to": c.tech.pk, "title": "长" * 500})
    assert "at most 200 characters" in page.content.decode()
    r = requests_actions.request_submit(actor=c.employee, to_department=c.tech, title="固件")
    requests_actions.request_accept(actor=c.rd1_lead, request=r, owner=c.engineer)
    with pytest.raises(DomainError) as refused:
        requests_actions.request_update(actor=c.engineer, request=r, body="进展" * 4500)
    assert refused.value.code == "too_long"
    assert Request.objects.count() == 1


def test_progress_out_of_range_or_not_a_number_is_refused(c, as_):
    r = requests_actions.request_submit(actor=c.employee, to_department=c.tech, title="固件")
    requests_actions.request_accept(actor=c.rd1_lead, request=r, owner=c.engineer)
    for bad in ("-10", "abc", "101"):
        page = as_(c.engineer).post(f"/requests/{r.pk}/progress/", {"body": "进展", "percent": bad},
                                    follow=True)
        assert "Progress" in page.content.decode() and r.updates.count() == 0


def test_a_line_break_in_a_title_does_not_stop_its_mail(c, settings):
    """The finding: a line break in a title silently killed every e-mail about the record."""
    r = requests_actions.request_submit(actor=c.employee, to_department=c.tech, title="固件\n升级\r\n支持")
    assert r.title == "固件 升级 支持"
    # An outbox row written before titles were normalised still goes out.
    from xietong.work.notify import notify

    notify(recipients=[c.sales_head], kind="mention", key="old", title="旧数据")
    Delivery.objects.filter(key__startswith="old").update(payload={"title": "旧\n数据", "body": "", "url": ""})
    mail.outbox.clear()
    deliveries_send_due()
    assert Delivery.objects.filter(channel=Channel.EMAIL).exclude(state=DeliveryState.SENT).count() == 0
    assert "旧 数据" in [m.subject for m in mail.outbox]


def test_the_case_form_saves_nothing_when_it_shows_an_error(c, as_):
    """The finding: the form saved the case and showed an error; resubmitting made a duplicate."""
    form = {"channel": "hotline", "category": "fault", "title": "充电桩无法启动", "description": "扫码后无反应",
            "customer_name": "张先生", "customer_phone": "13900001111"}
    for how in ("solve", "pass"):
        page = as_(c.service).post(reverse("service:new"), {**form, "how": how})
        assert page.status_code == 200 and Case.objects.count() == 0


def test_nul_characters_are_refused_before_any_lookup(c, as_):
    response = as_(c.employee).get("/api/v1/tasks?kind=%00x")
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_character"
    response = as_(c.employee).post("/api/v1/requests", '{"to_department": 1, "title": "a\\u0000b"}',
                                    content_type="application/json")
    assert response.status_code == 400


def test_the_django_admin_is_not_mounted(c, as_):
    """It wrote no audit events; every change goes through the product."""
    assert as_(c.admin).get("/django-admin/").status_code == 404


@pytest.mark.parametrize(("raw", "flat"), [
    ("审批：采购 80,000 元", "审批：采购 80,000 元"),
    ("  padded title  ", "padded title"),
    ("two\nlines\r\nand\ttab", "two lines and tab"),
    ("bell\x07and\u2028separator\u0085next", "bell and separator next"),
    ("zero\u200bwidth", "zero\u200bwidth"),  # a format character is kept (not a control character)
    (None, ""),
])
def test_a_composed_title_becomes_one_clean_line(raw, flat):
    from xietong.inputs import one_line

    assert one_line(raw) == flat
    assert one_line("长" * 300, limit=10) == "长" * 9 + "…"
