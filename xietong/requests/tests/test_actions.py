"""Each transition and each refusal of a collaboration request (REQ-1..4),
with the kernel task behind every waiting step."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from xietong.audit.trail import history_for
from xietong.errors import Conflict, DomainError, PermissionDenied
from xietong.policy.calendar import WorkingCalendar
from xietong.requests import actions as a
from xietong.requests.models import ProposalState, Request, RequestState
from xietong.work.models import Notification, Task, TaskState
from xietong.work.sweep import sweep_run

from .conftest import ask, workday


def _(at: datetime | None) -> datetime:
    assert at is not None
    return at


def tasks(request: Request, kind: str, state: str = TaskState.OPEN) -> list[Task]:
    return list(Task.objects.filter(subject_type="requests.request", subject_id=str(request.pk), kind=kind,
                                    state=state))


def accepted(company, **extra) -> Request:
    r = ask(company, **extra)
    return a.request_accept(actor=company.rd1_lead, request=r, owner=company.engineer)


def test_submit_routes_to_the_liaison_with_a_response_deadline(collab):
    r = ask(collab)
    assert r.state == RequestState.SUBMITTED
    assert r.from_department == collab.sales and r.liaison == collab.rd1_lead
    (task,) = tasks(r, a.KIND_RESPOND)
    assert task.assignee == collab.rd1_lead and task.requester == collab.employee
    # 8 working hours (request.response_working_hours) on the calendar, not 8 clock hours.
    calendar = WorkingCalendar.load(lenient=True)
    assert task.due_at == calendar.add_working_hours(r.created_at, 8)
    assert task.next_escalation_at == task.due_at  # the head's step comes at due (0 working hours)
    # The requested date: the end of that working day.
    assert timezone.localtime(r.due_at) == calendar.end_of_day(workday(5))
    assert [e.verb for e in history_for(r)] == ["request.submit"]


def test_submit_without_liaison_goes_to_the_head(company, calendar):
    r = ask(company)
    assert r.liaison == company.tech_head


@pytest.mark.parametrize("field,value,code", [
    ("title", "  ", "required"),
    ("requested_date", "yesterday", "date_past"),
    ("priority", 9, "bad_priority"),
])
def test_bad_input_is_refused_and_saves_nothing(collab, field, value, code):
    if value == "yesterday":
        value = timezone.localdate() - timedelta(days=1)
    with pytest.raises(DomainError) as error:
        ask(collab, **{field: value})
    assert error.value.code == code
    assert not Request.objects.exists() and not Task.objects.filter(module="requests").exists()


def test_a_department_cannot_ask_itself(collab):
    with pytest.raises(DomainError) as error:
        a.request_submit(actor=collab.tech_head, to_department=collab.tech, title="x")
    assert error.value.code == "same_department"


def test_someone_without_a_department_cannot_ask(collab):
    with pytest.raises(DomainError) as error:
        a.request_submit(actor=collab.outsider, to_department=collab.tech, title="x")
    assert error.value.code == "no_department"


def test_accept_names_an_owner_who_gets_the_delivery_task(collab):
    r = accepted(collab)
    assert r.state == RequestState.ACCEPTED and r.owner == collab.engineer
    assert r.response_minutes is not None
    assert [t.outcome for t in tasks(r, a.KIND_RESPOND, TaskState.DONE)] == ["accepted"]
    (deliver,) = tasks(r, a.KIND_DELIVER)
    assert deliver.assignee == collab.engineer and deliver.due_at == r.due_at


def test_only_the_receiving_side_may_accept(collab):
    r = ask(collab)
    for stranger in (collab.employee, collab.engineer, collab.finance):
        with pytest.raises(PermissionDenied):
            a.request_accept(actor=stranger, request=r, owner=collab.engineer)
    # The head of the asked department may (first responsible, seed 003).
    a.request_accept(actor=collab.tech_head, request=r, owner=collab.engineer)


def test_the_owner_must_belong_to_the_asked_department(collab):
    r = ask(collab)
    with pytest.raises(DomainError) as error:
        a.request_accept(actor=collab.rd1_lead, request=r, owner=collab.finance)
    assert error.value.code == "bad_owner"
    assert Request.objects.get(pk=r.pk).state == RequestState.SUBMITTED


def test_accepting_twice_is_a_conflict(collab):
    r = accepted(collab)
    with pytest.raises(Conflict):
        a.request_accept(actor=collab.rd1_lead, request=r, owner=collab.engineer)


def test_decline_needs_a_reason_and_tells_the_requester(collab):
    r = ask(collab)
    with pytest.raises(DomainError):
        a.request_decline(actor=collab.rd1_lead, request=r, reason=" ")
    r = a.request_decline(actor=collab.rd1_lead, request=r, reason="不属于本部门职责")
    assert r.state == RequestState.DECLINED and r.decline_reason == "不属于本部门职责"
    assert tasks(r, a.KIND_RESPOND, TaskState.DONE)[0].outcome == "declined"
    assert Notification.objects.filter(recipient=collab.employee, kind="request_update").exists()


def test_counter_proposal_on_acceptance_waits_for_the_requester(collab):
    r = ask(collab, days=3)
    original = r.due_at
    r = a.request_accept(actor=collab.rd1_lead, request=r, owner=collab.engineer, new_date=workday(8),
                         reason="排期已满")
    assert r.due_at == original, "the date changes only when the requester agrees"
    (decide,) = tasks(r, a.KIND_DECIDE_DATE)
    assert decide.assignee == collab.employee
    a.request_decide_date(actor=collab.employee, request=r, accept=True)
    r.refresh_from_db()
    assert r.due_at > original
    assert tasks(r, a.KIND_DELIVER)[0].due_at == r.due_at


def test_delay_notice_before_the_date_then_accepted(collab):
    r = accepted(collab)
    with pytest.raises(DomainError) as error:
        a.request_propose_date(actor=collab.engineer, request=r, new_date=workday(8), reason=" ")
    assert error.value.code == "required"
    with pytest.raises(DomainError) as error:
        a.request_propose_date(actor=collab.engineer, request=r, new_date=workday(2), reason="来不及")
    assert error.value.code == "not_later"
    with pytest.raises(PermissionDenied):
        a.request_propose_date(actor=collab.employee, request=r, new_date=workday(8), reason="来不及")
    proposal = a.request_propose_date(actor=collab.engineer, request=r, new_date=workday(8), reason="等待供应商")
    with pytest.raises(DomainError) as error:
        a.request_propose_date(actor=collab.engineer, request=r, new_date=workday(9), reason="再延")
    assert error.value.code == "proposal_pending"
    with pytest.raises(PermissionDenied):
        a.request_decide_date(actor=collab.engineer, request=r, accept=True)
    a.request_decide_date(actor=collab.employee, request=r, accept=True)
    proposal.refresh_from_db()
    r.refresh_from_db()
    assert proposal.state == ProposalState.ACCEPTED and r.due_at == proposal.new_due_at
    verbs = [e.verb for e in history_for(r)]
    assert "request.propose_date" in verbs and "request.date_accepted" in verbs


def test_delay_notice_after_the_due_time_is_refused(collab):
    r = accepted(collab)
    with pytest.raises(DomainError) as error:
        a.request_propose_date(actor=collab.engineer, request=r, new_date=workday(8), reason="晚了",
                               now=r.due_at + timedelta(minutes=1))
    assert error.value.code == "too_late"
    assert not r.proposals.exists()


def test_disputed_date_goes_to_the_coordination_office(collab):
    r = accepted(collab)
    original = r.due_at
    a.request_propose_date(actor=collab.engineer, request=r, new_date=workday(8), reason="等待供应商")
    with pytest.raises(DomainError):
        a.request_decide_date(actor=collab.employee, request=r, accept=False)  # a reason is required
    a.request_decide_date(actor=collab.employee, request=r, accept=False, note="客户等不了")
    (rule,) = tasks(r, a.KIND_RULE)
    assert rule.assignee is None and rule.assignee_role == "coordination_office"
    assert a.pending_ruling(r) == "date"
    with pytest.raises(PermissionDenied):
        a.request_rule(actor=collab.tech_head, request=r, for_requester=True, note="x")
    a.request_rule(actor=collab.office, request=r, for_requester=False, note="供应商原因，同意延期")
    r.refresh_from_db()
    assert r.due_at > original and r.proposals.get().state == ProposalState.RULED_NEW
    assert tasks(r, a.KIND_RULE, TaskState.DONE)[0].outcome == "for_department"


def test_progress_updates_from_the_owner_only(collab):
    r = accepted(collab)
    with pytest.raises(PermissionDenied):
        a.request_update(actor=collab.employee, request=r, body="?")
    with pytest.raises(DomainError):
        a.request_update(actor=collab.engineer, request=r, body="half", percent=140)
    a.request_update(actor=collab.engineer, request=r, body="已定位问题", percent=50)
    assert r.updates.get().percent == 50


def test_sub_request_to_a_third_department_is_linked(collab):
    r = accepted(collab)
    child = a.request_submit(actor=collab.engineer, to_department=collab.finance_dept, title="采购测试设备报价",
                             parent=r)
    assert child.parent == r and child.from_department == collab.tech
    assert tasks(child, a.KIND_RESPOND)[0].assignee == collab.finance
    with pytest.raises(DomainError):
        a.request_submit(actor=collab.engineer, to_department=collab.sales, title="回问", parent=r)
    with pytest.raises(PermissionDenied):
        a.request_submit(actor=collab.employee, to_department=collab.finance_dept, title="x", parent=r)


def test_complete_then_confirm_with_rating(collab):
    r = accepted(collab)
    r = a.request_complete(actor=collab.engineer, request=r, result="已发布升级包 v2.1")
    assert r.state == RequestState.COMPLETED and r.on_time is True
    (confirm,) = tasks(r, a.KIND_CONFIRM)
    assert confirm.assignee == collab.employee and confirm.next_escalation_at is None
    for bad in (0, 6, "x"):
        with pytest.raises(DomainError) as error:
            a.request_confirm(actor=collab.employee, request=r, rating=bad)
        assert error.value.code == "bad_rating"
    with pytest.raises(DomainError) as error:
        a.request_confirm(actor=collab.employee, request=r, rating=2)
    assert error.value.code == "comment_required"
    with pytest.raises(PermissionDenied):
        a.request_confirm(actor=collab.engineer, request=r, rating=5)
    r = a.request_confirm(actor=collab.employee, request=r, rating=4, comment="及时")
    assert r.state == RequestState.CONFIRMED and r.rating == 4
    assert not Task.objects.filter(subject_id=str(r.pk), subject_type="requests.request", state="open").exists()


def test_late_completion_is_recorded_as_not_on_time(collab):
    r = accepted(collab)
    r = a.request_complete(actor=collab.engineer, request=r, result="done", now=r.due_at + timedelta(hours=1))
    assert r.on_time is False


def test_reopen_sends_it_back_to_the_owner(collab):
    r = accepted(collab)
    a.request_complete(actor=collab.engineer, request=r, result="done")
    with pytest.raises(DomainError):
        a.request_reopen(actor=collab.employee, request=r, reason="")
    r = a.request_reopen(actor=collab.employee, request=r, reason="升级后仍掉线")
    assert r.state == RequestState.ACCEPTED and r.reopen_count == 1
    assert tasks(r, a.KIND_CONFIRM, TaskState.DONE)[0].outcome == "reopened"
    assert tasks(r, a.KIND_DELIVER)[0].assignee == collab.engineer
    # The first completion's punctuality stays.
    a.request_complete(actor=collab.engineer, request=r, result="fixed again")
    r.refresh_from_db()
    assert r.on_time is True and r.state == RequestState.COMPLETED


def test_auto_confirm_after_the_policy_days_by_the_confirm_task_s_timeout(collab):
    from xietong.policy.calendar import WorkingCalendar
    from xietong.work.sweep import timeouts_run

    r = accepted(collab)
    r = a.request_complete(actor=collab.engineer, request=r, result="done")
    (confirm,) = tasks(r, a.KIND_CONFIRM)
    # request.auto_confirm_working_days = 5, counted on the working calendar from completion.
    assert confirm.due_at == WorkingCalendar.load().add_working_days(_(r.completed_at), 5)
    assert timeouts_run(now=_(confirm.due_at) - timedelta(minutes=1)) == 0
    result = sweep_run(now=_(confirm.due_at) + timedelta(minutes=1))
    assert result["timeouts"] == 1
    r.refresh_from_db()
    assert r.state == RequestState.CONFIRMED and r.auto_confirmed and r.rating is None
    assert tasks(r, a.KIND_CONFIRM, TaskState.DONE)[0].outcome == "auto_confirmed"


def test_withdraw_closes_every_open_task(collab):
    r = ask(collab)
    with pytest.raises(PermissionDenied):
        a.request_withdraw(actor=collab.rd1_lead, request=r)
    a.request_withdraw(actor=collab.employee, request=r, reason="不需要了")
    assert not tasks(r, a.KIND_RESPOND)
    with pytest.raises(Conflict):
        a.request_accept(actor=collab.rd1_lead, request=r, owner=collab.engineer)


def test_declined_request_escalated_and_ruled_must_be_taken(collab):
    r = ask(collab)
    a.request_decline(actor=collab.rd1_lead, request=r, reason="不归我们管")
    with pytest.raises(PermissionDenied):
        a.request_escalate(actor=collab.engineer, request=r, reason="x")
    a.request_escalate(actor=collab.employee, request=r, reason="职责清单写明由技术部负责")
    r.refresh_from_db()
    assert r.state == RequestState.IN_RULING and tasks(r, a.KIND_RULE)
    a.request_rule(actor=collab.office, request=r, for_requester=True, note="依职责清单第3项，技术部负责")
    r.refresh_from_db()
    assert r.state == RequestState.SUBMITTED and r.must_accept
    with pytest.raises(DomainError) as error:
        a.request_decline(actor=collab.rd1_lead, request=r, reason="还是不管")
    assert error.value.code == "must_accept"
    a.request_accept(actor=collab.rd1_lead, request=r, owner=collab.engineer)


def test_ruling_for_the_department_keeps_the_decline(collab):
    r = ask(collab)
    a.request_decline(actor=collab.rd1_lead, request=r, reason="不归我们管")
    a.request_escalate(actor=collab.employee, request=r, reason="请裁定")
    a.request_rule(actor=collab.office, request=r, for_requester=False, note="确属销售部自身职责")
    r.refresh_from_db()
    assert r.state == RequestState.DECLINED
    with pytest.raises(Conflict):
        a.request_rule(actor=collab.office, request=r, for_requester=True, note="again")


def test_every_waiting_step_escalates_through_the_kernel(collab):
    """The respond task, when late, climbs the ladder: the head of 技术部 gets a supervision task."""
    r = ask(collab)
    (respond,) = tasks(r, a.KIND_RESPOND)
    sweep_run(now=_(respond.next_escalation_at) + timedelta(minutes=1))
    respond.refresh_from_db()
    assert respond.escalation_level == 1
    supervise = Task.objects.get(parent=respond)
    # 吴昊 leads 研发一组 himself: the head of its parent, 技术部's 张伟, supervises.
    assert supervise.assignee == collab.tech_head
    # Accepting closes the supervision with it.
    a.request_accept(actor=collab.rd1_lead, request=r, owner=collab.engineer)
    supervise.refresh_from_db()
    assert supervise.state == TaskState.DONE


def test_every_waiting_step_has_its_policy_deadline(collab):
    """respond, deliver, decide_date, rule and confirm each carry a due time
    from policy on the working calendar; all but confirm climb the ladder."""
    from xietong.policy.calendar import WorkingCalendar
    from xietong.policy.queries import param

    cal = WorkingCalendar.load(lenient=True)
    r = ask(collab)
    (respond,) = tasks(r, a.KIND_RESPOND)
    assert respond.due_at == cal.add_working_hours(respond.created_at, param("request.response_working_hours"))
    r = a.request_accept(actor=collab.rd1_lead, request=r, owner=collab.engineer)
    (deliver,) = tasks(r, a.KIND_DELIVER)
    assert deliver.due_at == r.due_at and deliver.next_escalation_at is not None
    a.request_propose_date(actor=collab.engineer, request=r, new_date=workday(8), reason="等料")
    (decide,) = tasks(r, a.KIND_DECIDE_DATE)
    assert decide.due_at == cal.add_working_hours(decide.created_at, param("request.date_decision_working_hours"))
    assert decide.next_escalation_at is not None
    a.request_decide_date(actor=collab.employee, request=r, accept=False, note="不同意")
    (rule,) = tasks(r, a.KIND_RULE)
    assert rule.due_at == cal.add_working_days(rule.created_at, param("request.ruling_working_days"))
    assert rule.next_escalation_at is not None
    a.request_rule(actor=collab.office, request=r, for_requester=True, note="维持原日期")
    r = a.request_complete(actor=collab.engineer, request=r, result="ok")
    (confirm,) = tasks(r, a.KIND_CONFIRM)
    assert confirm.due_at == cal.add_working_days(confirm.created_at, param("request.auto_confirm_working_days"))
    assert confirm.next_escalation_at is None, "an unanswered confirmation is confirmed, not escalated"


def test_no_request_goes_to_or_from_the_whole_company(collab):
    """The finding: a request to the company root could be read by every member."""
    with pytest.raises(DomainError) as refused:
        a.request_submit(actor=collab.employee, to_department=collab.hq, title="全员通知")
    assert refused.value.code == "company_root"
    with pytest.raises(DomainError) as refused:
        a.request_submit(actor=collab.ceo, to_department=collab.tech, title="总部请求", from_department=collab.hq)
    assert refused.value.code == "company_root"
    assert not Request.objects.exists()
