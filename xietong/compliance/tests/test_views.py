"""The compliance view's pages, API and export: who sees what, what they
show, and their number of queries."""

from collections import Counter
from datetime import timedelta
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from xietong.accounts.actions import token_create
from xietong.compliance.catalogue import clauses, coverage, load
from xietong.compliance.checks import problems
from xietong.compliance.models import Record
from xietong.compliance.snapshot import snapshot_day
from xietong.org import actions as org
from xietong.platform.manifest import CHECKS, METRICS
from xietong.requests import actions as requests

from .conftest import morning, respond_due

CLAUSE = "S003-5-respond"


@pytest.fixture
def judged(company, calendar):
    """Two requests answered three weeks ago, one in time, one late, and that day's snapshot:
    to 技术部 (headed by 张伟) and to 销售部 (headed by 陈静)."""
    org.liaison_set(actor=company.admin, department=company.tech, person=company.rd1_lead)
    at = morning()
    to_tech = requests.request_submit(actor=company.employee, to_department=company.tech, title="技术支持", now=at)
    to_sales = requests.request_submit(actor=company.engineer, to_department=company.sales, title="报价支持", now=at)
    due = respond_due(to_tech)
    requests.request_accept(actor=company.rd1_lead, request=to_tech, owner=company.engineer,
                            now=due + timedelta(minutes=1))
    requests.request_accept(actor=company.sales_head, request=to_sales, owner=company.employee, now=due)
    day = timezone.localtime(due).date()
    snapshot_day(day)
    return {"period": f"{day:%Y-%m}", "late": to_tech, "on_time": to_sales}


def test_the_auditor_sees_every_clause_the_coverage_and_a_failing_record(as_, company, judged):
    page = as_(company.auditor).get(f"/compliance/?period={judged['period']}")
    assert page.status_code == 200
    html = page.content.decode()
    automated, total = coverage()
    assert f"{automated} / {total}" in html
    assert html.count('data-testid="manual-row"') == total - automated
    assert html.count('data-testid="clause-row"') == automated
    detail = as_(company.auditor).get(f"/compliance/clauses/{CLAUSE}/?period={judged['period']}")
    text = detail.content.decode()
    assert f'href="/requests/{judged["late"].pk}/"' in text
    assert f'href="/requests/{judged["on_time"].pk}/"' not in text  # passed: not among the failing
    assert "<td>Tech</td>" in text and "<td>Sales</td>" in text  # the English names: the reader's language
    every = as_(company.auditor).get(f"/compliance/clauses/{CLAUSE}/?period={judged['period']}&all=1")
    assert f'href="/requests/{judged["on_time"].pk}/"' in every.content.decode()


def test_a_head_sees_their_department_only(as_, company, judged):
    text = as_(company.tech_head).get(f"/compliance/clauses/{CLAUSE}/?period={judged['period']}").content.decode()
    assert "<td>Tech</td>" in text and "<td>Sales</td>" not in text
    text = as_(company.sales_head).get(f"/compliance/clauses/{CLAUSE}/?period={judged['period']}&all=1").content.decode()
    assert f'href="/requests/{judged["on_time"].pk}/"' in text
    assert f'href="/requests/{judged["late"].pk}/"' not in text


@pytest.mark.parametrize("url", ["/compliance/", f"/compliance/clauses/{CLAUSE}/", "/compliance/export.xlsx"])
def test_an_employee_and_an_outsider_are_refused(as_, company, url):
    assert as_(company.employee).get(url).status_code == 403
    assert as_(company.outsider).get(url).status_code in (403, 302)


def test_the_navigation_shows_the_view_to_whom_may_open_it(as_, company):
    assert 'data-testid="nav-compliance"' in as_(company.auditor).get("/work/").content.decode()
    assert 'data-testid="nav-compliance"' in as_(company.tech_head).get("/work/").content.decode()
    assert 'data-testid="nav-compliance"' not in as_(company.employee).get("/work/").content.decode()


def test_a_bad_period_is_said_and_this_month_shown(as_, company):
    page = as_(company.auditor).get("/compliance/?period=2026-13", follow=True)
    assert page.status_code == 200
    assert "A period is a month (2026-11) or a quarter (2026-Q4)." in page.content.decode()
    assert f'data-testid="period">{timezone.localdate():%Y-%m}<' in page.content.decode()


def test_an_unknown_clause_is_not_found(as_, company):
    assert as_(company.auditor).get("/compliance/clauses/S999-nothing/").status_code == 404


def test_the_api_has_the_pages_gates_and_figures(client, company, judged):
    _token, auditor = token_create(actor=company.auditor, name="t")
    _token, employee = token_create(actor=company.employee, name="t")
    _token, head = token_create(actor=company.tech_head, name="t")
    url = f"/api/v1/compliance?period={judged['period']}"
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {employee}").status_code == 403
    body = client.get(url, HTTP_AUTHORIZATION=f"Bearer {auditor}").json()
    row = next(c for c in body["clauses"] if c["id"] == CLAUSE)
    assert (row["applies"], row["passed"], row["automated"]) == (2, 1, True)
    assert len(body["clauses"]) == len(clauses())
    mine = client.get(f"/api/v1/compliance/clauses/{CLAUSE}?period={judged['period']}",
                      HTTP_AUTHORIZATION=f"Bearer {head}").json()
    assert [d["name"] for d in mine["departments"]] == ["Tech"]
    assert [r["subject_id"] for r in mine["failing"]] == [str(judged["late"].pk)]


def test_the_export_is_the_periods_figures(as_, company, judged):
    response = as_(company.auditor).get(f"/compliance/export.xlsx?period={judged['period']}")
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    row = next(r for r in rows if r[0] == CLAUSE)
    assert row[3:7] == (2, 1, 1, 0.5)
    manual = list(book.worksheets[1].iter_rows(values_only=True))
    assert len(manual) - 1 == coverage()[1] - coverage()[0]


def test_the_pages_queries_do_not_grow_with_the_records(as_, company, judged):
    client = as_(company.auditor)
    url = f"/compliance/clauses/{CLAUSE}/?period={judged['period']}&all=1"

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured.captured_queries)

    index, detail = count(f"/compliance/?period={judged['period']}"), count(url)
    (record,) = Record.objects.filter(clause=CLAUSE, passed=False)
    Record.objects.bulk_create([Record(snapshot=record.snapshot, day=record.day, clause=CLAUSE,
                                       department=record.department, subject_type=record.subject_type,
                                       subject_id=str(1000 + n), passed=False, at=record.at, evidence=record.evidence)
                                for n in range(30)])
    assert count(url) == detail
    assert count(f"/compliance/?period={judged['period']}") == index
    assert index <= 12 and detail <= 12


def test_the_catalogue_checks_refuse_what_would_mislead():
    broken = load('''
[[clause]]
id = "S000-x"
title = "标题"
title_en = "Title"
seed = "000"
section = "一"
text = "文字"
summary = "Words"
params = ["no.such_parameter"]

[[clause]]
id = "S000-x"
seed = "009"
section = "一"
text = ""
summary = "Words"
''')
    errors = Counter(e.id for e in problems(broken))
    assert errors["xietong.E011"] == 1  # an undeclared parameter
    assert errors["xietong.E012"] == 2  # the ID twice; the second has no words and an unknown seed
    assert errors["xietong.E010"] == len(CHECKS)  # every module's check names a clause this catalogue lacks
    assert problems(clauses()) == []


# --- measures --------------------------------------------------------------------------

def test_every_measure_is_the_aggregate_of_the_records_behind_it(company, judged):
    from xietong.compliance import metrics as m
    from xietong.compliance.queries import Period, Scope

    period = Period.parse(judged["period"])
    everyone = Scope(company=True)
    rows = {row.metric.key: row for row in m.overview(period, everyone)}
    assert set(rows) == set(METRICS)
    for key, row in rows.items():
        detail = m.detail(row.metric, period, everyone)
        assert row.figure.records == len(detail.facts) == sum(f.records for f in detail.departments), key
        assert row.figure.value == row.metric.of(detail.facts), key
    response = rows["requests.response_hours"]
    assert response.figure.records == 2  # the two answers of the fixture
    for r in (judged["late"], judged["on_time"]):
        r.refresh_from_db()
    hours = [round(r.response_minutes / 60, 2) for r in (judged["late"], judged["on_time"])]
    assert response.figure.value == pytest.approx(sum(hours) / 2)


def test_the_measures_pages_show_a_number_its_departments_and_its_records(as_, company, judged):
    page = as_(company.auditor).get(f"/compliance/metrics/?period={judged['period']}").content.decode()
    assert page.count('data-testid="metric-row"') == len(METRICS)
    detail = as_(company.auditor).get(f"/compliance/metrics/requests.response_hours/?period={judged['period']}")
    text = detail.content.decode()
    assert text.count('data-testid="fact-row"') == 2
    assert f'href="/requests/{judged["late"].pk}/"' in text and f'href="/requests/{judged["on_time"].pk}/"' in text
    mine = as_(company.tech_head).get(f"/compliance/metrics/requests.response_hours/?period={judged['period']}")
    assert mine.content.decode().count('data-testid="fact-row"') == 1  # 技术部's answer only
    assert as_(company.auditor).get("/compliance/metrics/no.such/").status_code == 404


@pytest.mark.parametrize("url", ["/compliance/metrics/", "/compliance/metrics/requests.on_time/"])
def test_the_measures_refuse_an_employee(as_, company, url):
    assert as_(company.employee).get(url).status_code == 403


def test_the_measures_api_has_the_pages_gates_and_numbers(client, company, judged):
    _token, auditor = token_create(actor=company.auditor, name="t")
    _token, employee = token_create(actor=company.employee, name="t")
    url = f"/api/v1/compliance/metrics?period={judged['period']}"
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {employee}").status_code == 403
    rows = {m["key"]: m for m in client.get(url, HTTP_AUTHORIZATION=f"Bearer {auditor}").json()}
    assert set(rows) == set(METRICS) and rows["requests.response_hours"]["records"] == 2
    detail = client.get(f"/api/v1/compliance/metrics/requests.response_hours?period={judged['period']}",
                        HTTP_AUTHORIZATION=f"Bearer {auditor}").json()
    assert len(detail["facts"]) == detail["metric"]["records"] == sum(d["records"] for d in detail["departments"])


def test_the_on_time_rate_opens_by_kind(company, judged):
    from xietong.compliance import metrics as m
    from xietong.compliance.queries import Period, Scope

    detail = m.detail(METRICS["work.on_time"], Period.parse(judged["period"]), Scope(company=True))
    by_kind = {g.label: (g.value, g.records) for g in detail.groups}
    # The fixture's two answers (one in time, one a minute late); their deliveries, weeks overdue.
    assert by_kind == {"Accept or decline a request": (0.5, 2), "Deliver a request": (0.0, 2)}
    assert sum(g.records for g in detail.groups) == detail.figure.records
