"""Modes and actions (APR-2, APR-4, APR-5): each mode, each action, the
settings that change them, timeouts and delegation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from xietong.approvals import actions
from xietong.approvals.models import ApprovalCc, ApprovalState, ApproverState, Origin, StepApprover
from xietong.errors import Conflict, DomainError, PermissionDenied
from xietong.work.delegation import delegation_create
from xietong.work.models import Notification, Task, TaskState
from xietong.work.sweep import sweep_run

from .conftest import approve, make_template, mine, node, pending, pending_names, purchase, submit


def test_sequential_asks_one_after_another(company):
    c = company
    make_template(c, "seq", [node("n", "chenjing", "dongjie", "ceo", mode="sequential")])
    approval = submit(c.employee, "seq", amount=1)
    assert pending_names(approval) == ["chenjing"]
    approve(c.sales_head, approval)
    assert pending_names(approval) == ["dongjie"]
    approve(c.finance, approval)
    assert approve(c.ceo, approval).state == ApprovalState.APPROVED


def test_all_must_approve(company):
    c = company
    make_template(c, "all", [node("n", "chenjing", "dongjie", mode="all"), node("after", "ceo")])
    approval = submit(c.employee, "all", amount=1)
    assert pending_names(approval) == ["chenjing", "dongjie"]
    approve(c.finance, approval)
    assert pending_names(approval) == ["chenjing"]
    approve(c.sales_head, approval)
    assert pending_names(approval) == ["ceo"]


def test_any_one_settles_the_node_and_closes_the_others_tasks(company):
    c = company
    make_template(c, "any", [node("n", "chenjing", "dongjie", mode="any"), node("after", "ceo")])
    approval = submit(c.employee, "any", amount=1)
    other = mine(c.finance, approval)
    approve(c.sales_head, approval)
    assert pending_names(approval) == ["ceo"]
    other.refresh_from_db()
    assert other.state == ApproverState.CANCELLED
    assert Task.objects.get(pk=other.task.pk).state == TaskState.CANCELLED


def test_reject_needs_a_reason_and_ends_the_approval(builtins):
    c = builtins
    approval = purchase(c.employee, 80000)
    a = mine(c.sales_head, approval)
    with pytest.raises(DomainError):
        actions.approval_reject(actor=c.sales_head, approval=approval, approver_id=a.pk, comment=" ")
    actions.approval_reject(actor=c.sales_head, approval=approval, approver_id=a.pk, comment="预算不足")
    approval.refresh_from_db()
    assert approval.state == ApprovalState.REJECTED
    assert not pending(approval)
    assert Notification.objects.filter(recipient=c.employee, key=f"approval:{approval.pk}:rejected:{c.employee.pk}").exists()


def test_a_stranger_cannot_act_and_the_applicant_cannot_approve_their_own(builtins):
    c = builtins
    approval = purchase(c.employee, 80000)
    a = mine(c.sales_head, approval)
    with pytest.raises(PermissionDenied):
        actions.approval_approve(actor=c.engineer, approval=approval, approver_id=a.pk)
    with pytest.raises(PermissionDenied):
        actions.approval_approve(actor=c.employee, approval=approval, approver_id=a.pk)
    assert pending_names(approval) == ["chenjing"]


def test_return_to_the_applicant_then_resubmit_runs_again_from_the_start(builtins):
    c = builtins
    approval = purchase(c.employee, 80000)
    approve(c.sales_head, approval)
    actions.approval_return(actor=c.finance, approval=approval, approver_id=mine(c.finance, approval).pk,
                            to="applicant", comment="请补充报价单")
    approval.refresh_from_db()
    assert approval.state == ApprovalState.RETURNED
    assert Task.objects.filter(kind=actions.KIND_RESUBMIT, assignee=c.employee, state=TaskState.OPEN).count() == 1
    with pytest.raises(PermissionDenied):
        actions.approval_resubmit(actor=c.sales_head, approval=approval, data={})
    actions.approval_resubmit(actor=c.employee, approval=approval, data={
        "item": "笔记本电脑", "category": "it", "amount": "30000", "reason": "已补充"})
    approval.refresh_from_db()
    assert approval.state == ApprovalState.RUNNING and approval.round == 2
    assert [n["key"] for n in approval.plan] == ["head"]  # a smaller amount: a shorter route
    # Restart: the head decides again, not skipped as "already approved".
    assert pending_names(approval) == ["chenjing"]
    assert not Task.objects.filter(kind=actions.KIND_RESUBMIT, state=TaskState.OPEN).exists()
    assert approve(c.sales_head, approval).state == ApprovalState.APPROVED


def test_with_jump_a_resubmitted_approval_goes_straight_back_to_the_node_that_returned_it(company):
    c = company
    make_template(c, "jumpy", [node("a", "chenjing"), node("b", "dongjie"), node("c", "ceo")],
                  settings={"return_resume": "jump"})
    approval = submit(c.employee, "jumpy", amount=1)
    approve(c.sales_head, approval)
    approve(c.finance, approval)
    actions.approval_return(actor=c.ceo, approval=approval, approver_id=mine(c.ceo, approval).pk, to="applicant",
                            comment="改一下")
    actions.approval_resubmit(actor=c.employee, approval=approval, data={"amount": "2"})
    assert pending_names(approval) == ["ceo"]


def test_return_to_an_earlier_node_restarts_there_or_jumps_back(company):
    c = company
    make_template(c, "restart", [node("a", "chenjing"), node("b", "dongjie"), node("c", "ceo")])
    make_template(c, "jump", [node("a", "chenjing"), node("b", "dongjie"), node("c", "ceo")],
                  settings={"return_resume": "jump"})
    for key, after_a in (("restart", ["dongjie"]), ("jump", ["ceo"])):
        approval = submit(c.employee, key, amount=1)
        approve(c.sales_head, approval)
        approve(c.finance, approval)
        targets = dict(actions.return_targets(approval, mine(c.ceo, approval).step))
        assert set(targets) == {"applicant", "0", "1"}
        actions.approval_return(actor=c.ceo, approval=approval, approver_id=mine(c.ceo, approval).pk, to="0",
                                comment="请部门再确认")
        assert pending_names(approval) == ["chenjing"]
        approve(c.sales_head, approval)
        assert pending_names(approval) == after_a, key


def test_return_cannot_go_forward(company):
    c = company
    make_template(c, "fwd", [node("a", "chenjing"), node("b", "dongjie")])
    approval = submit(c.employee, "fwd", amount=1)
    with pytest.raises(DomainError):
        actions.approval_return(actor=c.sales_head, approval=approval, approver_id=mine(c.sales_head, approval).pk,
                                to="1", comment="x")


def test_transfer_hands_the_slot_over(company):
    c = company
    make_template(c, "tr", [node("a", "chenjing", "dongjie", mode="sequential")])
    approval = submit(c.employee, "tr", amount=1)
    a = mine(c.sales_head, approval)
    with pytest.raises(DomainError):  # not to the applicant
        actions.approval_transfer(actor=c.sales_head, approval=approval, approver_id=a.pk, to=c.employee)
    actions.approval_transfer(actor=c.sales_head, approval=approval, approver_id=a.pk, to=c.tech_head,
                              comment="张伟更了解")
    assert pending_names(approval) == ["zhangwei"]
    approve(c.tech_head, approval)
    assert pending_names(approval) == ["dongjie"]  # the sequence goes on after the new holder


@pytest.mark.parametrize(("where", "first", "then"), [
    ("before", ["zhangwei"], ["chenjing"]),
    ("parallel", ["chenjing", "zhangwei"], None),
    ("after", ["chenjing"], ["zhangwei"]),
])
def test_add_signer(company, where, first, then):
    c = company
    make_template(c, "add", [node("a", "chenjing"), node("b", "ceo")])
    approval = submit(c.employee, "add", amount=1)
    actions.approval_add_signer(actor=c.sales_head, approval=approval, approver_id=mine(c.sales_head, approval).pk,
                                person=c.tech_head, where=where, comment="请技术部把关")
    assert sorted(pending_names(approval)) == sorted(first)
    if where == "before":
        approve(c.tech_head, approval)
        assert pending_names(approval) == then
        approve(c.sales_head, approval)
    elif where == "after":
        approve(c.sales_head, approval)
        assert pending_names(approval) == then
        approve(c.tech_head, approval)
    else:
        approve(c.sales_head, approval)
        assert pending_names(approval) == ["zhangwei"]  # an added signer must sign even on 或签
        approve(c.tech_head, approval)
    assert pending_names(approval) == ["ceo"]
    assert StepApprover.objects.filter(approval=approval, person=c.tech_head).get().origin == {
        "before": Origin.BEFORE, "after": Origin.AFTER, "parallel": Origin.PARALLEL}[where]


def test_withdraw_until_the_first_approval(builtins):
    c = builtins
    approval = purchase(c.employee, 80000)
    with pytest.raises(PermissionDenied):
        actions.approval_withdraw(actor=c.sales_head, approval=approval)
    approve(c.sales_head, approval)
    with pytest.raises(Conflict):
        actions.approval_withdraw(actor=c.employee, approval=approval, reason="不买了")
    early = purchase(c.employee, 80000)
    actions.approval_withdraw(actor=c.employee, approval=early, reason="不买了")
    early.refresh_from_db()
    assert early.state == ApprovalState.WITHDRAWN and not pending(early)


def test_withdraw_until_the_end_when_the_template_says_so(builtins):
    c = builtins
    approval = submit(c.employee, "expense", kind="travel", amount=3000, reason="出差")
    approve(c.sales_head, approval)
    actions.approval_withdraw(actor=c.employee, approval=approval, reason="重复提交")
    approval.refresh_from_db()
    assert approval.state == ApprovalState.WITHDRAWN


def test_the_applicant_as_approver_goes_to_their_manager_or_is_skipped(company):
    c = company
    make_template(c, "mgr", [{"type": "approve", "key": "head", "name": "head", "approvers": [{"rule": "dept_head"}]}])
    make_template(c, "skip", [{"type": "approve", "key": "head", "name": "head", "approvers": [{"rule": "dept_head"}]},
                              node("next", "ceo")], settings={"applicant_approver": "skip"})
    # 陈静 heads sales; her department head is herself. Her manager: the head of the parent, 王建国.
    by_manager = submit(c.sales_head, "mgr", amount=1)
    assert pending_names(by_manager) == ["ceo"]
    assert any(e["code"] == "applicant_manager" for e in by_manager.steps.get().explanation)
    skipped = submit(c.sales_head, "skip", amount=1)
    assert pending_names(skipped) == ["ceo"]
    assert StepApprover.objects.get(approval=skipped, person=c.sales_head).state == ApproverState.SKIPPED


def test_dedupe_approves_someone_who_already_approved(company):
    c = company
    make_template(c, "dd", [node("a", "chenjing"), node("b", "chenjing", "dongjie", mode="all")])
    make_template(c, "nodd", [node("a", "chenjing"), node("b", "chenjing", "dongjie", mode="all")],
                  settings={"dedupe": False})
    approval = submit(c.employee, "dd", amount=1)
    approve(c.sales_head, approval)
    assert pending_names(approval) == ["dongjie"]
    other = submit(c.employee, "nodd", amount=1)
    approve(c.sales_head, other)
    assert pending_names(other) == ["chenjing", "dongjie"]


def test_an_empty_approver_goes_to_the_flow_administrator(company):
    c = company
    make_template(c, "empty", [{"type": "approve", "key": "a", "name": "a",
                                "approvers": [{"rule": "role", "role": "data_analyst"}]}], admin=c.office)
    approval = submit(c.employee, "empty", amount=1)
    assert pending_names(approval) == ["zhoumin"]
    assert pending(approval)[0].origin == Origin.ADMIN


def test_chosen_by_the_applicant_and_form_person(company):
    c = company
    form = [{"key": "amount", "type": "money", "label": "金额", "amount": True},
            {"key": "reviewer", "type": "person", "label": "评审人"}]
    make_template(c, "pick", [{"type": "approve", "key": "a", "name": "a", "approvers": [{"rule": "chosen"}]},
                              {"type": "approve", "key": "b", "name": "b",
                               "approvers": [{"rule": "form_person", "field": "reviewer"}]},
                              {"type": "approve", "key": "c", "name": "c", "mode": "sequential",
                               "approvers": [{"rule": "manager_chain", "levels": 2}]}], form=form)
    with pytest.raises(DomainError):
        submit(c.engineer, "pick", amount=1, reviewer="dongjie")
    with pytest.raises(DomainError):
        submit(c.engineer, "pick", amount=1, reviewer="dongjie", chosen={"a": [c.engineer.pk]})
    approval = submit(c.engineer, "pick", amount=1, reviewer="dongjie", chosen={"a": [c.ceo.pk]})
    assert pending_names(approval) == ["ceo"]
    approve(c.ceo, approval)
    assert pending_names(approval) == ["dongjie"]
    approve(c.finance, approval)
    # 郑凯's managers two levels up, one after the other: the rd1 leader 吴昊, then the tech head 张伟.
    assert pending_names(approval) == ["wuhao"]
    approve(c.rd1_lead, approval)
    assert pending_names(approval) == ["zhangwei"]


def test_timeout_auto_approve_and_auto_reject(company):
    c = company
    make_template(c, "late_ok", [node("a", "chenjing", timeout_hours=2, timeout_action="approve"), node("b", "ceo")])
    make_template(c, "late_no", [node("a", "chenjing", timeout_hours=2, timeout_action="reject")])
    ok, no = submit(c.employee, "late_ok", amount=1), submit(c.employee, "late_no", amount=1)
    later = timezone.now() + timedelta(days=10)
    report = sweep_run(now=later)
    assert report["timeouts"] == 2
    assert pending_names(ok) == ["ceo"]
    no.refresh_from_db()
    assert no.state == ApprovalState.REJECTED
    assert sweep_run(now=later)["timeouts"] == 0  # once


def test_timeout_escalate_uses_the_kernel_ladder_and_remind_does_not(company):
    c = company
    make_template(c, "esc", [node("a", "chenjing", timeout_hours=1, timeout_action="escalate")])
    make_template(c, "rem", [node("a", "chenjing", timeout_hours=1, timeout_action="remind")])
    esc, rem = submit(c.employee, "esc", amount=1), submit(c.employee, "rem", amount=1)
    assert pending(esc)[0].task.next_escalation_at is not None
    assert pending(rem)[0].task.next_escalation_at is None
    reminded = pending(rem)[0].task
    # One working hour is shorter than the reminder's lead time: the reminder comes at the timeout.
    assert reminded.due_at is not None and reminded.remind_at == reminded.due_at
    sweep_run(now=reminded.due_at + timedelta(minutes=1))
    assert Notification.objects.filter(recipient=c.sales_head, kind="task_reminder",
                                       title__startswith="已到期").count() == 1


def test_delegation_the_delegate_acts_on_behalf(builtins):
    c = builtins
    now = timezone.now()
    delegation_create(actor=c.sales_head, principal=c.sales_head, delegate=c.tech_head,
                      starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=3))
    approval = purchase(c.employee, 30000)  # below the finance threshold: delegable
    a = pending(approval)[0]
    assert a.person == c.sales_head and a.task.assignee == c.tech_head
    assert any(e["code"] == "delegated" for e in a.step.explanation)
    actions.approval_approve(actor=c.tech_head, approval=approval, approver_id=a.pk)
    a.refresh_from_db()
    assert a.acted_by == c.tech_head and a.on_behalf_of == c.sales_head


def test_no_self_approval_through_delegation(builtins):
    c = builtins
    now = timezone.now()
    # The head is away and delegates to the very employee who applies.
    delegation_create(actor=c.sales_head, principal=c.sales_head, delegate=c.employee,
                      starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=3))
    approval = purchase(c.employee, 30000)
    a = pending(approval)[0]
    assert a.task.assignee == c.sales_head  # not delegated to the applicant
    assert any(e["code"] == "not_delegated" for e in a.step.explanation)
    with pytest.raises(PermissionDenied):
        actions.approval_approve(actor=c.employee, approval=approval, approver_id=a.pk)


def test_delegation_cycles_are_refused(company):
    c = company
    now = timezone.now()
    delegation_create(actor=c.sales_head, principal=c.sales_head, delegate=c.tech_head,
                      starts_at=now, ends_at=now + timedelta(days=3))
    delegation_create(actor=c.tech_head, principal=c.tech_head, delegate=c.finance,
                      starts_at=now, ends_at=now + timedelta(days=3))
    with pytest.raises(DomainError, match="cycle"):
        delegation_create(actor=c.finance, principal=c.finance, delegate=c.sales_head,
                          starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=2))


def test_cc_at_a_node_at_the_end_and_by_hand(company):
    c = company
    make_template(c, "ccs", [{**node("a", "chenjing"), "cc": [{"rule": "people", "people": ["zhoumin"]}]},
                             {"type": "cc", "key": "tell", "name": "tell", "cc": [{"rule": "role", "role": "hr"}]}],
                  settings={"cc_end": [{"rule": "role", "role": "auditor"}]})
    approval = submit(c.employee, "ccs", amount=1)
    assert not ApprovalCc.objects.filter(approval=approval).exists()
    with pytest.raises(PermissionDenied):
        actions.approval_cc(actor=c.engineer, approval=approval, people=[c.engineer])
    actions.approval_cc(actor=c.employee, approval=approval, people=[c.tech_head])
    approve(c.sales_head, approval)
    approval.refresh_from_db()
    assert approval.state == ApprovalState.APPROVED
    assert set(ApprovalCc.objects.filter(approval=approval).values_list("person__username", flat=True)) == {
        "zhangwei", "zhoumin", "dengli", "panyue"}


def test_urge_reminds_the_pending_approvers_within_the_limit(builtins):
    c = builtins
    approval = purchase(c.employee, 80000)
    assert actions.approval_urge(actor=c.employee, approval=approval, note="请尽快") == 1
    with pytest.raises(DomainError):
        actions.approval_urge(actor=c.employee, approval=approval)
    assert pending(approval)[0].task.urge_count == 1


def test_batch_approval_only_where_the_node_allows_it(builtins):
    c = builtins
    claims = [submit(c.employee, "expense", kind="travel", amount=100 + i, reason="出差") for i in range(3)]
    for claim in claims:
        approve(c.sales_head, claim)
    buy = purchase(c.employee, 80000)
    approve(c.sales_head, buy)
    ids = [mine(c.finance, a).pk for a in (*claims, buy)]
    done, problems = actions.approvals_approve_batch(actor=c.finance, approver_ids=ids)
    assert done == 3 and len(problems) == 1
    for claim in claims:
        claim.refresh_from_db()
        assert claim.state == ApprovalState.APPROVED
    assert pending_names(buy) == ["dongjie"]


def test_the_inbox_bulk_completion_approves_batchable_tasks(builtins):
    from xietong.work.actions import tasks_complete_bulk

    c = builtins
    claim = submit(c.employee, "expense", kind="travel", amount=100, reason="出差")
    approve(c.sales_head, claim)
    done, problems = tasks_complete_bulk(actor=c.finance, ids=[mine(c.finance, claim).task.pk])
    assert (done, problems) == (1, [])
    claim.refresh_from_db()
    assert claim.state == ApprovalState.APPROVED


def test_form_errors_are_per_field_and_change_nothing(builtins):
    c = builtins
    from xietong.approvals.models import Approval

    with pytest.raises(actions.FormInvalid) as caught:
        submit(c.employee, "purchase", item="", category="nope", amount="-1", reason="x", needed_by="明天")
    assert set(caught.value.errors) == {"item", "category", "amount", "needed_by"}
    assert Approval.objects.count() == 0
    with pytest.raises(actions.FormInvalid) as caught:
        submit(c.employee, "purchase", item="a", category="it", amount="1.234", reason="x",
               lines=[{"name": "纸", "quantity": "x", "unit_price": "1"}])
    assert set(caught.value.errors) == {"amount", "lines.1.quantity"}


def test_outsider_cannot_submit(builtins):
    with pytest.raises(PermissionDenied):
        purchase(builtins.outsider, 100)


