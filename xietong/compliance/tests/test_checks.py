"""Each clause check at its boundary: exactly at the deadline, one minute
over, and a parameter changed in the middle of the period (judged by the
value in force at the time)."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from xietong.approvals.builtin import builtin_install
from xietong.approvals.tests.conftest import approve, make_template, pending_names, purchase, submit
from xietong.audit.trail import event_record
from xietong.org import actions as org
from xietong.platform.manifest import CHECKS
from xietong.policy.actions import parameter_set
from xietong.policy.calendar import WorkingCalendar
from xietong.policy.models import ParameterValue
from xietong.requests import actions as requests
from xietong.work.actions import task_create
from xietong.work.models import Task
from xietong.work.registry import TODO

from .conftest import morning, respond_due


def run(clause: str, start: datetime, end: datetime) -> list:
    return list(CHECKS[clause].run(start, end))


@pytest.fixture
def builtins(company, calendar):
    builtin_install()
    return company


@pytest.fixture
def collab(company, calendar):
    org.liaison_set(actor=company.admin, department=company.tech, person=company.rd1_lead)
    return company


def ask(company, at: datetime, title: str = "充电桩固件升级支持"):
    return requests.request_submit(actor=company.employee, to_department=company.tech, title=title, now=at)


# --- S003-5-respond ------------------------------------------------------------------

def test_an_answer_exactly_at_the_deadline_passes_and_one_a_minute_late_fails(collab):
    at = morning()
    on_time, late = ask(collab, at, "准时"), ask(collab, at, "迟了")
    due = respond_due(on_time)
    assert due == respond_due(late) and due > at
    requests.request_accept(actor=collab.rd1_lead, request=on_time, owner=collab.engineer, now=due)
    requests.request_decline(actor=collab.rd1_lead, request=late, reason="不属于本部门", now=due + timedelta(minutes=1))

    found = {f.subject_id: f for f in run("S003-5-respond", at, at + timedelta(days=7))}

    assert found[str(on_time.pk)].passed is True
    assert found[str(late.pk)].passed is False
    assert found[str(late.pk)].at == due  # a missed duty is decided when it fell due
    assert found[str(on_time.pk)].department_id == collab.tech.pk
    assert found[str(on_time.pk)].evidence["param"] == {"key": "request.response_working_hours", "value": 8}


def test_a_response_time_changed_mid_period_judges_each_request_by_the_value_then(collab):
    at = morning()
    before = ask(collab, at, "改之前")
    # The response time drops from 8 to 2 working hours at 10:00 (a stored change, as POL-2 leaves it).
    ParameterValue.objects.create(key="request.response_working_hours", value=2, effective_from=at + timedelta(minutes=30),
                                  reason="提速", set_by=collab.admin)
    after = ask(collab, at + timedelta(hours=1), "改之后")
    answer = at + timedelta(hours=5)  # within 8 working hours of 09:30, not within 2 of 10:30
    for r in (before, after):
        requests.request_accept(actor=collab.rd1_lead, request=r, owner=collab.engineer, now=answer)

    found = {f.subject_id: f for f in run("S003-5-respond", at, at + timedelta(days=7))}

    assert (found[str(before.pk)].passed, found[str(before.pk)].evidence["param"]["value"]) == (True, 8)
    assert (found[str(after.pk)].passed, found[str(after.pk)].evidence["param"]["value"]) == (False, 2)


def test_a_request_withdrawn_before_its_deadline_is_not_judged_one_withdrawn_after_had_failed(collab):
    at = morning()
    early, late = ask(collab, at, "撤回早"), ask(collab, at, "撤回晚")
    due = respond_due(early)
    requests.request_withdraw(actor=collab.employee, request=early, reason="不需要了", now=due - timedelta(minutes=1))
    requests.request_withdraw(actor=collab.employee, request=late, reason="不需要了", now=due + timedelta(minutes=1))

    found = {f.subject_id: f.passed for f in run("S003-5-respond", at, at + timedelta(days=7))}

    assert found == {str(late.pk): False}


def test_a_duty_not_yet_due_is_not_judged_and_the_period_bounds_hold(collab):
    at = morning()
    r = ask(collab, at)
    due = respond_due(r)
    requests.request_accept(actor=collab.rd1_lead, request=r, owner=collab.engineer, now=due - timedelta(hours=1))
    answered = due - timedelta(hours=1)

    assert [f.passed for f in run("S003-5-respond", answered, answered + timedelta(minutes=1))] == [True]
    assert run("S003-5-respond", answered + timedelta(minutes=1), answered + timedelta(days=7)) == []
    assert run("S003-5-respond", at - timedelta(days=1), answered) == []


# --- S003-5-delay-notice and S003-5-complete-by-date ---------------------------------------

def test_a_late_delivery_passes_the_notice_clause_only_with_a_notice_before_its_date(collab):
    at = morning(weeks_ago=4)
    told, silent = ask(collab, at, "说明了"), ask(collab, at, "没说")
    for r in (told, silent):
        requests.request_accept(actor=collab.rd1_lead, request=r, owner=collab.engineer, now=at + timedelta(hours=1))
    told.refresh_from_db()
    due = told.due_at
    cal = WorkingCalendar.load(lenient=True)
    requests.request_propose_date(actor=collab.engineer, request=told, new_date=cal.local_date(due + timedelta(days=7)),
                                  reason="芯片缺货", now=due - timedelta(minutes=1))
    for r in (told, silent):
        r.refresh_from_db()
        requests.request_complete(actor=collab.engineer, request=r, result="完成", now=due + timedelta(hours=2))

    window = (at, at + timedelta(days=30))
    completed = {f.subject_id: f.passed for f in run("S003-5-complete-by-date", *window)}
    notices = {f.subject_id: f for f in run("S003-5-delay-notice", *window)}

    assert completed == {str(told.pk): False, str(silent.pk): False}  # the new date was never accepted
    assert notices[str(told.pk)].passed is True
    assert notices[str(told.pk)].evidence["notices"][0]["by"] == collab.engineer.name
    assert notices[str(silent.pk)].passed is False


# --- S000-3-purchase-chain / S000-4-approval-by-amount -------------------------------------

def test_purchases_are_judged_by_who_signed_and_the_thresholds_when_submitted(builtins):
    company = builtins
    start = timezone.now() - timedelta(minutes=1)
    full = purchase(company.employee, 60_000)  # above 50,000 at the time: head, then finance
    approve(company.sales_head, full)
    approve(company.finance, full)
    parameter_set(actor=company.admin, key="approval.finance_threshold_yuan", raw_value="100000", reason="放宽")
    small = purchase(company.employee, 60_000)  # now below the threshold: the head alone
    approve(company.sales_head, small)
    # A purchase template an administrator made without finance or the CEO.
    bare = make_template(company, "purchase_bare", [{"type": "approve", "key": "head", "name": "head", "mode": "any",
                                                      "approvers": [{"rule": "dept_head"}]}])
    bare.category = "purchase"
    bare.save(update_fields=["category"])
    skipped = submit(company.employee, "purchase_bare", amount=300_000)
    approve(company.sales_head, skipped)

    found = {f.subject_id: f for f in run("S000-3-purchase-chain", start, timezone.now() + timedelta(minutes=1))}

    assert found[str(full.pk)].passed is True
    assert found[str(full.pk)].evidence["required"] == ["head", "finance"]
    assert found[str(small.pk)].passed is True
    assert found[str(small.pk)].evidence["param"]["approval.finance_threshold_yuan"] == "100000.00"
    assert found[str(skipped.pk)].passed is False
    assert found[str(skipped.pk)].evidence["missing"] == ["finance", "ceo"]
    by_amount = {f.subject_id: f.passed for f in run("S000-4-approval-by-amount", start,
                                                      timezone.now() + timedelta(minutes=1))}
    assert by_amount == {str(full.pk): True, str(small.pk): True, str(skipped.pk): False}


# --- S000-3-process-change-approved (POL-2) ------------------------------------------------

def test_a_parameter_set_directly_fails_the_process_change_clause(builtins):
    company = builtins
    start = timezone.now() - timedelta(minutes=1)
    parameter_set(actor=company.admin, key="request.response_working_hours", raw_value="6", reason="管理员直接修改")
    found = run("S000-3-process-change-approved", start, timezone.now() + timedelta(minutes=1))
    assert [(f.subject_id, f.passed, f.evidence["set_by"]) for f in found] == [
        ("request.response_working_hours", False, company.admin.name)]


def test_a_parameter_changed_through_an_approval_passes(builtins):
    company = builtins
    start = timezone.now() - timedelta(minutes=1)
    change = submit(company.office, "policy_change", parameter="cs.public_submissions_per_hour", value="10",
                    reason="放宽", effective_from=timezone.localdate().isoformat())
    assert pending_names(change) == [company.service.username]
    approve(company.service, change)
    assert change.state == "approved"
    found = run("S000-3-process-change-approved", start, timezone.now() + timedelta(minutes=1))
    assert [(f.passed, f.evidence["approval"]) for f in found] == [(True, change.serial)]


# --- S003-6-delays-escalated ----------------------------------------------------------------

def test_a_late_task_passes_when_each_ladder_step_was_taken_when_it_fell_due(company, calendar):
    at = morning(weeks_ago=2)
    due = at + timedelta(hours=1)
    made = [task_create(kind=TODO, title=f"待办 {n}", subject=("work.note", str(n)), actor=company.sales_head,
                        assignee=company.employee, due_at=due, now=at) for n in (1, 2)]
    escalated, ignored = made
    cal = WorkingCalendar.load(lenient=True)
    # The ladder: head at once (0 h), the office after 8 working hours, leadership after 24.
    for level, hours in ((1, 0), (2, 8), (3, 24)):
        event_record(actor=None, verb="task.escalate", subject=("work.task", str(escalated.pk)),
                     at=cal.add_working_hours(due, hours) + timedelta(minutes=2), after={"level": level})
    found = {f.subject_id: f for f in run("S003-6-delays-escalated", at, at + timedelta(days=1))}

    assert found[str(escalated.pk)].passed is True
    assert [s["level"] for s in found[str(escalated.pk)].evidence["steps"]] == [1, 2, 3]
    assert found[str(ignored.pk)].passed is False
    assert found[str(ignored.pk)].evidence["steps"][0]["taken"] is None
    assert found[str(ignored.pk)].department_id == company.sales.pk


def test_a_step_taken_beyond_the_grace_fails(company, calendar):
    from xietong.work.compliance import LADDER_GRACE

    at = morning(weeks_ago=2)
    due = at + timedelta(hours=1)
    task = task_create(kind=TODO, title="待办", subject=("work.note", "9"), actor=company.sales_head,
                       assignee=company.employee, due_at=due, now=at)
    task.completed_at, task.state = due + timedelta(hours=2), "done"  # done before the office's step fell due
    task.save(update_fields=["completed_at", "state"])
    event_record(actor=None, verb="task.escalate", subject=("work.task", str(task.pk)),
                 at=due + LADDER_GRACE + timedelta(minutes=1), after={"level": 1})
    (finding,) = run("S003-6-delays-escalated", at, at + timedelta(days=1))
    assert finding.passed is False
    assert [s["level"] for s in finding.evidence["steps"]] == [1]


def test_every_declared_check_names_a_clause_of_the_catalogue():
    from xietong.compliance.catalogue import clause

    assert CHECKS and all(clause(key) is not None for key in CHECKS)


# --- S002-duty-list-review ------------------------------------------------------------------

def test_a_duty_list_reviewed_by_its_due_time_passes_one_reviewed_after_fails(company, calendar):
    from xietong.duties.actions import (
        KIND_REVIEW,
        duty_list_for,
        duty_list_review,
        duty_reviews_for,
    )
    from xietong.duties.models import DutyList
    from xietong.work.actions import task_reschedule

    now = timezone.now()
    today = timezone.localdate()
    for department in (company.sales, company.tech):
        duty_list_for(department, now=now)
    DutyList.objects.update(next_review_at=now - timedelta(days=1))  # both lists fall due for review
    assert duty_reviews_for(occurrence=today, nominal=today, at=now, now=now) == 2
    sales = Task.objects.get(kind=KIND_REVIEW, assignee=company.sales_head, state="open")
    tech = Task.objects.get(kind=KIND_REVIEW, assignee=company.tech_head, state="open")
    task_reschedule(actor=None, task=tech, due_at=now - timedelta(hours=1))  # 技术部's review is already late
    duty_list_review(actor=company.sales_head, department=company.sales)
    duty_list_review(actor=company.tech_head, department=company.tech)

    found = {f.subject_id: f for f in run("S002-duty-list-review", now - timedelta(days=1), timezone.now()
                                          + timedelta(minutes=1))}

    assert (found[sales.subject_id].passed, found[sales.subject_id].department_id) == (True, company.sales.pk)
    assert (found[tech.subject_id].passed, found[tech.subject_id].department_id) == (False, company.tech.pk)
