"""SUP-2 in a real browser: the auditor opens the compliance view, picks a
failing clause, lands on a failing record and its history; an employee is
refused."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_compliance(demo):
    from xietong.compliance.demo import load_demo_compliance
    from xietong.requests.demo import load_demo_requests

    load_demo_requests()
    load_demo_compliance()


def test_the_auditor_follows_a_failing_clause_to_its_record(demo_compliance, page):
    from xietong.compliance.models import Record

    failing = Record.objects.filter(clause="S003-5-respond", passed=False).order_by("-at").first()
    assert failing is not None, "the demo has late answers"
    period = f"{failing.day:%Y-%m}"
    sign_in(page, "panyue")
    page.click("[data-testid=nav-compliance]")
    expect(page.locator("[data-testid=coverage]")).to_have_text(re.compile(r"^\d+ / \d+$"))
    page.goto(f"/compliance/?period={period}")
    row = page.locator("[data-testid=clause-row][data-clause=S003-5-respond]")
    expect(row).to_contain_text("及时响应协作请求")
    row.locator("[data-testid=failing-link]").click()
    expect(page).to_have_url(re.compile(r"/compliance/clauses/S003-5-respond/"))
    expect(page.locator("[data-testid=clause-text]")).to_contain_text("接到协作请求后")
    first = page.locator("[data-testid=record-row]").first
    expect(first).to_contain_text("不符合")
    expect(first).to_contain_text("request.response_working_hours")
    first.locator("[data-testid=record-link]").click()
    expect(page).to_have_url(re.compile(r"/requests/\d+/$"))
    expect(page.locator("table.list", has_text="request.submit")).to_be_visible()  # the record's history


def test_an_employee_is_refused_and_sees_no_link(demo_compliance, page):
    sign_in(page, "liuyang")
    expect(page.locator("[data-testid=nav-compliance]")).to_have_count(0)
    response = page.goto("/compliance/")
    assert response is not None and response.status == 403
