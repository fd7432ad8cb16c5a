"""POL-2 governance, as the personas would try it: who may change a policy
parameter, who reviews it, and what no change may do."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from xietong.approvals.actions import FormInvalid, approval_reject, approval_withdraw
from xietong.approvals.models import ApprovalState, FlowTemplate
from xietong.errors import Conflict, DomainError, PermissionDenied
from xietong.policy.actions import parameter_set
from xietong.policy.queries import param
from xietong.policy.registry import BY_KEY, parameters

from .conftest import approve, pending_names, submit


def change(person, key: str, value: str, *, days: int = 0, reason: str = "调整"):
    day = (timezone.localdate() + timedelta(days=days)).isoformat()
    return submit(person, "policy_change", parameter=key, value=value, effective_from=day, reason=reason)


def test_an_employee_cannot_raise_the_ceo_threshold(builtins):
    """The finding: 刘洋 marked it "not major", 陈静 alone approved it, and purchases skipped the CEO."""
    with pytest.raises(PermissionDenied) as refused:
        change(builtins.employee, "approval.ceo_threshold_yuan", "1000000000")
    assert "Amount above which the CEO approves" in str(refused.value.message)  # its label, in English here
    assert param("approval.ceo_threshold_yuan") == Decimal("200000")


def test_the_applicant_cannot_say_whether_a_change_is_major(builtins):
    with pytest.raises(FormInvalid) as refused:
        submit(builtins.office, "policy_change", parameter="approval.ceo_threshold_yuan", value="300000",
               effective_from=timezone.localdate().isoformat(), reason="业务扩大", major="no")
    assert "__all__" in refused.value.errors  # "major" is not a field of the form any more


def test_a_money_threshold_is_reviewed_by_finance_then_the_ceo(builtins):
    c = builtins
    proposal = change(c.office, "approval.ceo_threshold_yuan", "300000", reason="业务扩大")
    assert [n["key"] for n in proposal.plan] == ["owner", "ceo"]
    assert pending_names(proposal) == [c.finance.username]
    approve(c.finance, proposal)
    assert param("approval.ceo_threshold_yuan") == Decimal("200000")  # the CEO has not approved yet
    assert pending_names(proposal) == [c.ceo.username]
    approve(c.ceo, proposal)
    assert proposal.state == ApprovalState.APPROVED
    assert param("approval.ceo_threshold_yuan") == Decimal("300000")


def test_a_setting_is_reviewed_by_its_owner_alone(builtins):
    c = builtins
    assert not BY_KEY["cs.public_submissions_per_hour"].major
    proposal = change(c.office, "cs.public_submissions_per_hour", "10")
    assert [n["key"] for n in proposal.plan] == ["owner"]
    assert pending_names(proposal) == [c.service.username]
    approve(c.service, proposal)
    assert param("cs.public_submissions_per_hour") == 10


def test_a_proposer_who_owns_the_parameter_does_not_review_it_alone(builtins):
    c = builtins
    proposal = change(c.finance, "approval.finance_threshold_yuan", "60000")
    # 董洁 is the only finance role holder: her manager reviews in her place, then the CEO.
    assert c.finance.username not in pending_names(proposal)
    assert pending_names(proposal) == [c.ceo.username]


def test_time_limits_and_money_thresholds_are_declared_major():
    for p in parameters():
        if p.unit == "yuan" or p.unit.endswith(("hours", "days")) and p.key != "work.urge_min_interval_hours":
            assert p.major, p.key
        if p.type in ("int", "decimal"):
            assert p.minimum is not None and p.maximum is not None, p.key
    assert "approval.dept_head_limit_yuan" not in BY_KEY
    assert "policy.major_change_needs_ceo" not in BY_KEY


def test_values_beyond_the_declared_bounds_are_refused_with_the_label(builtins):
    with pytest.raises(DomainError) as refused:
        change(builtins.office, "approval.ceo_threshold_yuan", "100000000000000000000")
    message = str(refused.value.message)
    assert "approval.ceo_threshold_yuan" not in message
    assert "CEO" in message
    for bad in ("1,0,0", "-0", "1e5", "12.345"):
        with pytest.raises(DomainError):
            change(builtins.office, "approval.ceo_threshold_yuan", bad)


def test_the_finance_threshold_may_not_exceed_the_ceo_threshold(builtins):
    with pytest.raises(DomainError) as refused:
        change(builtins.office, "approval.finance_threshold_yuan", "250000")
    assert refused.value.code == "breaks_rule"


def test_the_rule_is_checked_again_when_the_change_is_approved(builtins):
    c = builtins
    raise_finance = change(c.office, "approval.finance_threshold_yuan", "150000")
    lower_ceo = change(c.office, "approval.ceo_threshold_yuan", "100000")  # each fine alone
    approve(c.finance, lower_ceo)
    approve(c.ceo, lower_ceo)
    assert param("approval.ceo_threshold_yuan") == Decimal("100000")
    approve(c.finance, raise_finance)
    with pytest.raises(DomainError) as refused:
        approve(c.ceo, raise_finance)
    assert refused.value.code == "breaks_rule"
    assert param("approval.finance_threshold_yuan") == Decimal("50000")


def test_one_change_per_parameter_and_day_while_pending_or_approved(builtins):
    c = builtins
    first = change(c.office, "cs.public_submissions_per_hour", "8", days=3)
    with pytest.raises(Conflict):  # pending
        change(c.office, "cs.public_submissions_per_hour", "9", days=3)
    assert change(c.office, "cs.public_submissions_per_hour", "9", days=4).state == ApprovalState.RUNNING
    approve(c.service, first)
    with pytest.raises(Conflict):  # approved
        change(c.office, "cs.public_submissions_per_hour", "9", days=3)
    refused = change(c.office, "cs.public_submissions_per_hour", "7", days=5)
    a = refused.approvers.get(state="pending")
    approval_reject(actor=a.task.assignee, approval=refused, approver_id=a.pk, comment="不必")
    withdrawn = change(c.office, "cs.public_submissions_per_hour", "6", days=6)
    approval_withdraw(actor=c.office, approval=withdrawn)
    # Rejected or withdrawn, the day is free again.
    assert change(c.office, "cs.public_submissions_per_hour", "7", days=5).state == ApprovalState.RUNNING
    assert change(c.office, "cs.public_submissions_per_hour", "6", days=6).state == ApprovalState.RUNNING


def test_two_values_for_one_day_cannot_be_set_even_by_an_administrator(builtins):
    day = timezone.now() + timedelta(days=2)
    parameter_set(actor=builtins.admin, key="meeting.minutes_due_hours", raw_value="12", reason="a",
                  effective_from=day)
    with pytest.raises(Conflict):
        parameter_set(actor=builtins.admin, key="meeting.minutes_due_hours", raw_value="18", reason="b",
                      effective_from=day + timedelta(minutes=1))


def test_publishing_a_template_version_always_goes_to_the_ceo(builtins):
    from xietong.approvals.flows import template_create, version_request_publish

    c = builtins
    version = template_create(actor=c.admin, key="gift", name="礼品", definition={
        "nodes": [{"type": "approve", "key": "a", "name": "a", "approvers": [{"rule": "dept_head"}]}]})
    review = version_request_publish(actor=c.admin, version=version, reason="新增礼品申领")
    assert [n["key"] for n in review.plan] == ["head", "ceo"]
    assert FlowTemplate.objects.get(key="gift").current_version is None


# --- delegation (ORG-5) ------------------------------------------------------

def _window(days: int = 3) -> dict:
    now = timezone.now()
    return {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(days=days)}


def test_hr_cannot_make_themselves_the_ceos_delegate(builtins):
    """The finding: HR named themselves the CEO's delegate and approved ¥600,000 in his name."""
    from xietong.work.delegation import delegation_create

    c = builtins
    with pytest.raises(PermissionDenied):
        delegation_create(actor=c.hr, principal=c.ceo, delegate=c.hr, **_window())
    with pytest.raises(PermissionDenied):  # nor an unrelated head for someone else's person
        delegation_create(actor=c.tech_head, principal=c.employee, delegate=c.tech_head, **_window())


def test_hr_may_name_a_delegate_and_the_principal_is_told_and_may_revoke(builtins):
    from xietong.work.delegation import delegation_cancel, delegation_create
    from xietong.work.models import Notification

    c = builtins
    delegation = delegation_create(actor=c.hr, principal=c.sales_head, delegate=c.finance, **_window())
    told = Notification.objects.get(recipient=c.sales_head, kind="delegation_set")
    assert "邓丽" in told.title and "董洁" in told.title
    delegation_cancel(actor=c.sales_head, delegation=delegation)
    delegation.refresh_from_db()
    assert delegation.cancelled_at is not None


def test_only_the_principal_hands_over_decisions_above_the_thresholds(builtins):
    from xietong.work.delegation import delegation_create

    c = builtins
    with pytest.raises(PermissionDenied):
        delegation_create(actor=c.hr, principal=c.ceo, delegate=c.office, include_major=True, **_window())


def test_a_large_purchase_stays_with_the_ceo_unless_he_delegated_major_decisions(builtins):
    from xietong.approvals.actions import approval_approve
    from xietong.work.delegation import delegation_cancel, delegation_create

    c = builtins
    delegation = delegation_create(actor=c.ceo, principal=c.ceo, delegate=c.office, **_window())
    big = submit(c.employee, "purchase", item="产线设备", category="production", amount="600000", reason="扩产")
    approve(c.sales_head, big)
    approve(c.finance, big)
    (ceo_step,) = big.approvers.filter(state="pending")
    assert ceo_step.task.assignee == c.ceo and ceo_step.task.major
    assert any(e["code"] == "major_not_delegated" for e in ceo_step.step.explanation)
    with pytest.raises(PermissionDenied):  # the delegate may not act on it either
        approval_approve(actor=c.office, approval=big, approver_id=ceo_step.pk)
    delegation_cancel(actor=c.ceo, delegation=delegation)
    delegation_create(actor=c.ceo, principal=c.ceo, delegate=c.office, include_major=True,
                      starts_at=timezone.now(), ends_at=timezone.now() + timedelta(days=3))
    other = submit(c.employee, "purchase", item="产线设备二期", category="production", amount="600000", reason="扩产")
    approve(c.sales_head, other)
    approve(c.finance, other)
    (step,) = other.approvers.filter(state="pending")
    assert step.task.assignee == c.office and step.task.delegated_from == c.ceo


# --- the emergency path (APR-5) --------------------------------------------------

def test_an_unrelated_director_cannot_decide_an_emergency_alone(builtins):
    """The finding: an employee's ¥900,000 purchase decided alone by the head of an unrelated department."""
    from xietong.approvals.actions import Emergency

    c = builtins
    with pytest.raises(DomainError) as refused:
        submit(c.employee, "purchase", item="抢修设备", category="production", amount="900000", reason="停产",
               emergency=Emergency(leader=c.tech_head, members=[], reason="生产线停摆"))
    assert refused.value.code == "not_director"
    with pytest.raises(DomainError):  # nor a colleague who is no director
        submit(c.employee, "purchase", item="抢修设备", category="production", amount="900000", reason="停产",
               emergency=Emergency(leader=c.engineer, members=[], reason="生产线停摆"))


def test_an_emergency_decision_is_reviewed_by_the_thresholds_approvers(builtins):
    from xietong.approvals.actions import Emergency, approval_review
    from xietong.work.models import Notification, Task, TaskState

    c = builtins
    decision = submit(c.employee, "purchase", item="抢修设备", category="production", amount="900000", reason="停产",
                      emergency=Emergency(leader=c.sales_head, members=[c.finance], reason="生产线停摆，须立即采购"))
    assert pending_names(decision) == [c.sales_head.username]
    approve(c.sales_head, decision)
    assert decision.state == ApprovalState.APPROVED and decision.reviewed_at is None
    reviews = Task.objects.filter(subject_id=str(decision.pk), kind="approvals.review", state=TaskState.OPEN)
    # The normal route of ¥900,000: head (陈静, who decided), finance, the CEO.
    assert {t.assignee.username for t in reviews} == {c.finance.username, c.ceo.username}
    assert all(t.next_escalation_at is not None for t in reviews)  # late reviews climb the ladder
    with pytest.raises(DomainError):  # completed on the approval's page only
        from xietong.work.actions import task_complete

        task_complete(actor=c.ceo, task=reviews.get(assignee=c.ceo), outcome="confirmed")
    with pytest.raises(DomainError):  # an objection needs a reason
        approval_review(actor=c.finance, approval=decision, confirm=False)
    approval_review(actor=c.finance, approval=decision, confirm=False, comment="未比价")
    assert Notification.objects.filter(recipient=c.employee, title__startswith="对紧急决策有异议").exists()
    decision.refresh_from_db()
    assert decision.reviewed_at is None
    approval_review(actor=c.ceo, approval=decision, confirm=True)
    decision.refresh_from_db()
    assert decision.reviewed_at is not None
    with pytest.raises(Conflict):
        approval_review(actor=c.ceo, approval=decision, confirm=True)
