"""Every module page's number of queries: a detail page at most 12 whoever
reads it (a participant, an administrator, an auditor), however much it
holds; a list page the same with three times the rows. The principal (roles,
memberships and delegations) is read once per request and shared by every
gate, the navigation and the queries (xietong.org.principal)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from xietong.duties import actions as duties
from xietong.org import actions as org
from xietong.requests import actions as requests
from xietong.service import actions as service
from xietong.work.discussion import attachment_add, comment_add

DETAIL_MAX = 12

CUSTOMER = {"title": "充电桩无法启动", "description": "扫码后没有反应", "customer_name": "李雷",
            "customer_phone": "13912345678", "customer_address": "深圳市南山区科技园1号", "plate_number": "粤B12345",
            "category": "fault", "channel": "hotline"}


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured.captured_queries)


def discuss(actor, subject, n: int = 3) -> None:
    for i in range(n):
        comment_add(actor=actor, subject=subject, body=f"第{i}条意见 @陈静")
        attachment_add(actor=actor, subject=subject, upload=SimpleUploadedFile(f"附件{i}.txt", b"x" * 10))


@pytest.fixture
def collab(company, calendar):
    org.liaison_set(actor=company.admin, department=company.tech, person=company.rd1_lead)
    return company


def a_busy_request(c):
    r = requests.request_submit(actor=c.employee, to_department=c.tech, title="充电桩固件升级支持", reason="客户投诉")
    r = requests.request_accept(actor=c.rd1_lead, request=r, owner=c.engineer)
    for percent in (20, 50, 80):
        requests.request_update(actor=c.engineer, request=r, body=f"进度 {percent}%", percent=percent)
    requests.request_propose_date(actor=c.engineer, request=r, new_date=(timezone.localdate() + timedelta(days=20)),
                                  reason="等待供应商")
    child = requests.request_submit(actor=c.engineer, to_department=c.finance_dept, title="采购备件", parent=r)
    discuss(c.employee, r)
    return r, child


@pytest.mark.parametrize("viewer", ["employee", "engineer", "admin", "auditor", "office"])
def test_a_request_page_is_at_most_12_queries(collab, as_, viewer):
    r, _child = a_busy_request(collab)
    assert queries(as_(getattr(collab, viewer)), f"/requests/{r.pk}/") <= DETAIL_MAX


@pytest.mark.parametrize("url", ["/requests/?box=mine", "/requests/?box=incoming", "/requests/catalogue/",
                                 "/requests/map/"])
def test_request_lists_are_flat_in_their_rows(collab, as_, url):
    def add(n):
        for i in range(n):
            r = requests.request_submit(actor=collab.employee, to_department=collab.tech, title=f"请求 {i}")
            requests.request_accept(actor=collab.rd1_lead, request=r, owner=collab.engineer)
    add(2)
    few = queries(as_(collab.employee), url)
    add(6)
    assert queries(as_(collab.employee), url) == few


def a_busy_case(c):
    case = service.case_record(actor=c.service, data=CUSTOMER, departments=[c.tech, c.sales])
    discuss(c.service, case)
    return case


@pytest.mark.parametrize("viewer", ["service", "tech_head", "admin", "auditor"])
def test_a_case_page_is_at_most_12_queries(company, calendar, as_, viewer):
    case = a_busy_case(company)
    assert queries(as_(getattr(company, viewer)), f"/service/{case.pk}/") <= DETAIL_MAX


def test_the_case_list_and_a_summary_are_flat_in_their_rows(company, calendar, as_):
    def add(n):
        for i in range(n):
            service.case_record(actor=company.service, data={**CUSTOMER, "title": f"投诉 {i}", "complaint": True},
                                departments=[company.tech])
    add(2)
    few = queries(as_(company.service), "/service/")
    add(6)
    assert queries(as_(company.service), "/service/") == few
    from xietong.policy.calendar import WorkingCalendar

    calendar_ = WorkingCalendar.load(lenient=True)
    today = timezone.localdate()
    summary = service.summary_make(today - timedelta(days=today.weekday()), now=timezone.now(), tz=calendar_.tz)
    assert summary is not None and summary.cases.count() == 8
    assert queries(as_(company.ceo), f"/service/summaries/{summary.pk}/") <= DETAIL_MAX
    assert queries(as_(company.ceo), "/service/summaries/") <= DETAIL_MAX


@pytest.mark.parametrize("viewer", ["tech_head", "employee", "admin", "auditor"])
def test_a_duty_list_page_is_at_most_12_queries_and_flat_in_its_duties(company, calendar, as_, viewer):
    def add(n, start):
        for i in range(start, start + n):
            duties.duty_save(actor=company.tech_head, department=company.tech,
                             fields={"title": f"职责 {i}", "offered": i % 2 == 0}, partners=[company.sales])
    add(2, 0)
    url = f"/duties/{company.tech.pk}/"
    few = queries(as_(getattr(company, viewer)), url)
    assert few <= DETAIL_MAX
    add(6, 2)
    assert queries(as_(getattr(company, viewer)), url) == few
    assert queries(as_(getattr(company, viewer)), "/duties/") <= DETAIL_MAX
