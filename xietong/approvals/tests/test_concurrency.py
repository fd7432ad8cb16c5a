"""APR-7 with real concurrent transactions (two threads, two connections): on
PostgreSQL the row lock decides, on SQLite the write lock; either way exactly
one action takes effect and the other gets a clear Conflict."""

from datetime import timedelta

import pytest
from django.utils import timezone

from xietong.approvals import actions
from xietong.approvals.builtin import builtin_install
from xietong.approvals.models import ApprovalState, ApproverState, StepApprover
from xietong.audit.models import Event
from xietong.errors import Conflict
from xietong.testing import together
from xietong.work.models import Task, TaskState
from xietong.work.sweep import sweep_run

from .conftest import make_template, mine, node, pending_names, purchase, submit


def _verbs(approval) -> list[str]:
    return list(Event.objects.filter(subject_type="approvals.approval", subject_id=str(approval.pk))
                .order_by("seq").values_list("verb", flat=True))


@pytest.mark.django_db(transaction=True)
def test_two_approvers_on_an_or_node_at_once_exactly_one_wins(company):
    c = company
    make_template(c, "either", [node("n", "chenjing", "dongjie", mode="any"), node("after", "ceo")])
    approval = submit(c.employee, "either", amount=1)
    head, fin = mine(c.sales_head, approval), mine(c.finance, approval)
    results, errors = together(
        lambda: actions.approval_approve(actor=c.sales_head, approval=approval.pk, approver_id=head.pk),
        lambda: actions.approval_approve(actor=c.finance, approval=approval.pk, approver_id=fin.pk),
    )
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], Conflict), errors
    assert errors[0].code == "stale"
    assert pending_names(approval) == ["ceo"]  # advanced once, not twice
    assert _verbs(approval).count("approval.approve") == 1
    states = sorted(StepApprover.objects.filter(approval=approval, step__node_key="n").values_list("state", flat=True))
    assert states == sorted([ApproverState.APPROVED, ApproverState.CANCELLED])
    assert Task.objects.filter(subject_id=str(approval.pk), state=TaskState.OPEN).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_double_click_approves_once(company):
    c = company
    builtin_install()
    approval = purchase(c.employee, 80000)
    a = mine(c.sales_head, approval)
    results, errors = together(
        lambda: actions.approval_approve(actor=c.sales_head, approval=approval.pk, approver_id=a.pk),
        lambda: actions.approval_approve(actor=c.sales_head, approval=approval.pk, approver_id=a.pk),
    )
    assert len(results) == 1 and [type(e) for e in errors] == [Conflict]
    assert pending_names(approval) == ["dongjie"]
    assert _verbs(approval) == ["approval.submit", "approval.approve"]


@pytest.mark.django_db(transaction=True)
def test_approve_against_a_withdrawal_one_wins_and_nothing_is_half_done(company):
    c = company
    builtin_install()
    for _attempt in range(3):
        approval = purchase(c.employee, 80000)
        a = mine(c.sales_head, approval)
        pk, approver = approval.pk, a.pk

        def approve(pk: int = pk, approver: int = approver) -> object:
            return actions.approval_approve(actor=c.sales_head, approval=pk, approver_id=approver)

        def withdraw(pk: int = pk) -> object:
            return actions.approval_withdraw(actor=c.employee, approval=pk)

        results, errors = together(approve, withdraw)
        assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], Conflict), errors
        approval.refresh_from_db()
        if approval.state == ApprovalState.WITHDRAWN:
            assert not Task.objects.filter(subject_id=str(approval.pk), state=TaskState.OPEN).exists()
            assert "approval.approve" not in _verbs(approval)
        else:
            assert approval.state == ApprovalState.RUNNING and pending_names(approval) == ["dongjie"]
            assert "approval.withdrawn" not in _verbs(approval)


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_time_out_each_approver_once(company):
    c = company
    make_template(c, "late", [node("a", "chenjing", timeout_hours=1, timeout_action="approve"), node("b", "ceo")])
    approvals = [submit(c.employee, "late", amount=i + 1) for i in range(12)]
    later = timezone.now() + timedelta(days=10)
    results, errors = together(lambda: sweep_run(now=later), lambda: sweep_run(now=later))
    assert not errors, errors
    assert sum(r["timeouts"] for r in results) == len(approvals)  # type: ignore[index]
    for approval in approvals:
        assert pending_names(approval) == ["ceo"]
        assert _verbs(approval).count("approval.timeout") == 1
