"""A node's timeout (APR-4): when an approve task falls due, the kernel's
sweep calls `approver_timeout` (the task kind's `on_timeout`), which approves
or rejects automatically where the node says so. Reminders and escalation
are the kernel's own."""

from datetime import datetime

from xietong.audit.trail import event_record
from xietong.work.models import Task, TaskState

from .engine import activate, advance, after_approve, close_task, finish, lock
from .models import (
    ApprovalState,
    ApproverState,
    StepApprover,
    StepState,
    TimeoutAction,
)


def approver_timeout(task: Task, now: datetime) -> bool:
    """The approve tasks' timeout action (APR-4; TaskKind.on_timeout, called
    by the kernel's sweep when the task falls due): approve or reject
    automatically when the node says so. Reminders and escalation are the
    kernel's. Several workers: the approver is re-checked under the
    approval's lock, so it is acted on once."""
    a = StepApprover.objects.filter(task=task).values_list("pk", "approval_id", "timeout_action").first()
    if a is None or a[2] not in (TimeoutAction.APPROVE, TimeoutAction.REJECT):
        return False
    return _timeout_one(approver_id=a[0], approval_id=a[1], now=now) == 1


def _timeout_one(*, approver_id: int, approval_id: int, now: datetime) -> int:
    approval = lock(approval_id)
    a = StepApprover.objects.select_related("step", "task").get(pk=approver_id)
    task = a.task
    if (approval.state != ApprovalState.RUNNING or a.state != ApproverState.PENDING or task is None
            or task.state != TaskState.OPEN or task.due_at is None or task.due_at > now):
        return 0
    approve = a.timeout_action == TimeoutAction.APPROVE
    note = "timeout: approved automatically" if approve else "timeout: rejected automatically"
    a.state, a.acted_at, a.reason = (ApproverState.APPROVED if approve else ApproverState.REJECTED), now, "timeout"
    a.save(update_fields=["state", "acted_at", "reason"])
    close_task(a, actor=None, outcome="timeout", note=note)
    event_record(actor=None, verb="approval.timeout", subject=approval, at=now,
                 after={"step": a.step.node_key, "approver": a.pk, "action": a.timeout_action}, note=note)
    if approve:
        after_approve(approval, a.step, a, now=now)
        activate(approval, a.step, now=now)
        advance(approval, actor=None, now=now)
    else:
        a.step.state, a.step.finished_at = StepState.REJECTED, now
        a.step.save(update_fields=["state", "finished_at"])
        finish(approval, state=ApprovalState.REJECTED, actor=None, now=now, note=note)
    return 1
