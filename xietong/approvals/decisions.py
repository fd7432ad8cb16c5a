"""An approver acts (APR-4): approve, reject, return (退回), transfer (转交),
add a signer (加签), approve in a batch. Each locks the approval, then checks
that the approver row it acts for is still pending, so that of two actions
at once exactly one takes effect and the other gets `Conflict` (APR-7).
Other modules call these through `actions`.
"""

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from xietong.audit.trail import event_record, events_batched
from xietong.errors import DomainError, PermissionDenied
from xietong.fastsql import save_fields
from xietong.inputs import clean_text
from xietong.org.models import Person
from xietong.org.queries import is_member
from xietong.prepared import Slot, prepared
from xietong.work.actions import may_act_on, task_cancel, task_create, task_hand_over
from xietong.work.models import Task, TaskState
from xietong.work.notify import notify

from .engine import (
    KIND_RESUBMIT,
    activate,
    advance,
    after_approve,
    cancel_open,
    close_task,
    finish,
    lock,
    settings_of,
    stale,
)
from .models import (
    OPEN_APPROVER_STATES,
    Approval,
    ApprovalState,
    ApproverState,
    Origin,
    Step,
    StepApprover,
    StepState,
)

_APPROVER_RELATED = ("step", "task", "task__assignee", "person")
_ACTIVE_APPROVERS = prepared(lambda approval, active: StepApprover.objects.select_related(*_APPROVER_RELATED).filter(
    approval=Slot("approval"), step__state=Slot("active")).order_by("position", "pk"))


def _acting(actor: Person, approval: Approval, approver_id: int) -> tuple[StepApprover, Person | None]:
    """The approver row `actor` acts for, checked, and on whose behalf."""
    try:
        a = StepApprover.objects.select_related(*_APPROVER_RELATED).get(pk=approver_id, approval=approval)
    except StepApprover.DoesNotExist:
        raise DomainError(_("No such approver on this approval."), code="not_found") from None
    return a, _check(actor, approval, a)


def _acting_with_peers(actor: Person, approval: Approval,
                       approver_id: int) -> tuple[StepApprover, Person | None, list[StepApprover]]:
    """`_acting`, and every approver of the row's step (with their tasks and
    people, in position order, sharing one step object): one read for the
    decision and for what it sets off (或签, the next in turn)."""
    peers = _ACTIVE_APPROVERS.all(approval=approval.pk, active=StepState.ACTIVE)
    a = next((p for p in peers if p.pk == approver_id), None)
    if a is None:  # not on an active step: refused as any other such row is (not found, not theirs, stale)
        _acting(actor, approval, approver_id)
        raise stale()  # pragma: no cover - _acting has refused it
    on_behalf_of = _check(actor, approval, a)
    peers = [p for p in peers if p.step_id == a.step_id]
    for p in peers:
        p.step = a.step
    return a, on_behalf_of, peers


def _check(actor: Person, approval: Approval, a: StepApprover) -> Person | None:
    """Refuse unless `actor` may decide for `a` now; on whose behalf they do."""
    if a.task is None:
        raise stale()
    allowed, on_behalf_of = may_act_on(actor, a.task)
    if not allowed:
        raise PermissionDenied()
    if actor.pk == approval.applicant_id:
        raise PermissionDenied(_("You cannot approve your own application."))
    if approval.state != ApprovalState.RUNNING or a.state != ApproverState.PENDING or a.step.state != StepState.ACTIVE:
        raise stale()
    return on_behalf_of


def _record(a: StepApprover, *, state: str, actor: Person, on_behalf_of: Person | None, comment: str,
            now: datetime) -> None:
    a.state, a.acted_at, a.acted_by, a.on_behalf_of, a.comment = state, now, actor, on_behalf_of, comment
    save_fields(a, "state", "acted_at", "acted_by", "on_behalf_of", "comment")


@transaction.atomic
@events_batched
def approval_approve(*, actor: Person, approval: Approval | int, approver_id: int, comment: str = "") -> Approval:
    """Approve one's pending step (APR-4)."""
    approval = lock(approval)
    a, on_behalf_of, peers = _acting_with_peers(actor, approval, approver_id)
    now = timezone.now()
    comment = clean_text(comment, _("Comment"), limit=2000)
    _record(a, state=ApproverState.APPROVED, actor=actor, on_behalf_of=on_behalf_of, comment=comment, now=now)
    close_task(a, actor=actor, outcome="approved", note=comment)
    event_record(actor=actor, verb="approval.approve", subject=approval, at=now, on_behalf_of=on_behalf_of,
                 after={"step": a.step.node_key, "approver": a.pk}, note=comment)
    after_approve(approval, a.step, a, now=now, approvers=peers)
    waiting = activate(approval, a.step, now=now, approvers=peers)
    advance(approval, actor=actor, now=now, current=(a.step, waiting))
    return approval


def _need_comment(comment: str, message: str) -> str:
    comment = clean_text(comment, _("Comment"), limit=2000)
    if not comment:
        raise DomainError(message, code="comment_required")
    return comment


@transaction.atomic
@events_batched
def approval_reject(*, actor: Person, approval: Approval | int, approver_id: int, comment: str) -> Approval:
    """Reject: the approval ends rejected (APR-4). A reason is required."""
    comment = _need_comment(comment, _("Say why you reject it."))
    approval = lock(approval)
    a, on_behalf_of = _acting(actor, approval, approver_id)
    now = timezone.now()
    _record(a, state=ApproverState.REJECTED, actor=actor, on_behalf_of=on_behalf_of, comment=comment, now=now)
    close_task(a, actor=actor, outcome="rejected", note=comment)
    event_record(actor=actor, verb="approval.reject", subject=approval, at=now, on_behalf_of=on_behalf_of,
                 after={"step": a.step.node_key, "approver": a.pk}, note=comment)
    a.step.state, a.step.finished_at = StepState.REJECTED, now
    a.step.save(update_fields=["state", "finished_at"])
    finish(approval, state=ApprovalState.REJECTED, actor=actor, now=now, note=comment)
    return approval


def return_targets(approval: Approval, step: Step) -> list[tuple[str, str]]:
    """Where an approver at `step` may send the approval back (退回): the
    applicant, or an earlier approval node of the plan."""
    english = not (get_language() or "zh-hans").startswith("zh")
    targets = [("applicant", _("The applicant"))]
    for index, node in enumerate(approval.plan[:step.index]):
        if node["type"] == "approve":
            targets.append((str(index), node.get("name_en") if english and node.get("name_en") else node["name"]))
    return targets


@transaction.atomic
@events_batched
def approval_return(*, actor: Person, approval: Approval | int, approver_id: int, to: str, comment: str) -> Approval:
    """退回 (APR-4): to the applicant, who edits and resubmits, or to an
    earlier node, which decides again. After that, the flow runs on from there
    or jumps straight back to this node (the template's `return_resume`)."""
    comment = _need_comment(comment, _("Say why you return it."))
    approval = lock(approval)
    a, on_behalf_of = _acting(actor, approval, approver_id)
    step = a.step
    valid = {key for key, _label in return_targets(approval, step)}
    if to not in valid:
        raise DomainError(_("It can only go back to the applicant or to an earlier approval node."), code="bad_target")
    now = timezone.now()
    jump = settings_of(approval).return_resume == "jump"
    _record(a, state=ApproverState.RETURNED, actor=actor, on_behalf_of=on_behalf_of, comment=comment, now=now)
    close_task(a, actor=actor, outcome="returned", note=comment)
    step.state, step.finished_at = StepState.RETURNED, now
    step.save(update_fields=["state", "finished_at"])
    cancel_open(list(step.approvers.filter(state__in=OPEN_APPROVER_STATES).select_related("task")), now=now,
                 why="returned")
    event_record(actor=actor, verb="approval.return", subject=approval, at=now, on_behalf_of=on_behalf_of,
                 after={"step": step.node_key, "to": to}, note=comment)
    approval.resume_at = step.node_key if jump else ""
    if to == "applicant":
        approval.state = ApprovalState.RETURNED
        approval.save(update_fields=["state", "resume_at"])
        task_create(kind=KIND_RESUBMIT, title=approval.title, subject=approval, actor=actor,
                    assignee=approval.applicant, url=approval.get_absolute_url(), escalates=False, now=now)
        notify(recipients=[approval.applicant], kind="approval_result", key=f"approval:{approval.pk}:return:{a.pk}",
               url=approval.get_absolute_url(), now=now, body=comment,
               title=lambda: str(_("Returned to you: %(title)s")) % {"title": approval.title})
        return approval
    target = int(to)
    Step.objects.filter(approval=approval, index__gte=target).update(superseded=True)
    approval.current = target
    approval.save(update_fields=["current", "resume_at"])
    advance(approval, actor=actor, now=now)
    return approval


def _new_signer_checks(approval: Approval, step: Step, actor: Person, person: Person) -> None:
    if person.pk == approval.applicant_id:
        raise DomainError(_("The applicant cannot approve their own application."), code="self_approval")
    if person.pk == actor.pk:
        raise DomainError(_("Choose someone other than yourself."), code="self")
    if not is_member(person):
        raise DomainError(_("Only people of the company can approve."), code="not_member")
    if step.approvers.filter(person=person, state__in=OPEN_APPROVER_STATES).exists():
        raise DomainError(_("%(name)s is already asked on this step.") % {"name": person.name}, code="duplicate")


@transaction.atomic
@events_batched
def approval_transfer(*, actor: Person, approval: Approval | int, approver_id: int, to: Person,
                      comment: str = "") -> Approval:
    """转交 (APR-4): hand one's pending step to someone else, who takes one's place."""
    approval = lock(approval)
    a, on_behalf_of = _acting(actor, approval, approver_id)
    _new_signer_checks(approval, a.step, actor, to)
    now = timezone.now()
    comment = clean_text(comment, _("Comment"), limit=2000)
    _record(a, state=ApproverState.TRANSFERRED, actor=actor, on_behalf_of=on_behalf_of, comment=comment, now=now)
    close_task(a, actor=actor, outcome="transferred", note=comment)
    successor = StepApprover.objects.create(
        step=a.step, approval=approval, person=to, position=a.position, origin=Origin.TRANSFER, added_by=actor,
        waits_for=a.waits_for, timeout_action=a.timeout_action, batch=a.batch, state=ApproverState.WAITING)
    StepApprover.objects.filter(waits_for=a).exclude(pk=successor.pk).update(waits_for=successor)
    event_record(actor=actor, verb="approval.transfer", subject=approval, at=now, on_behalf_of=on_behalf_of,
                 after={"step": a.step.node_key, "from": a.person_id, "to": to.pk}, note=comment)
    activate(approval, a.step, now=now)
    return approval


@transaction.atomic
@events_batched
def approval_hand_over(*, actor: Person, approval: Approval | int, approver_id: int, holder: Person, to: Person,
                       note: str = "") -> Approval:
    """A handover (HOV) of a place on an approval: HR, the holder's manager or
    a head above them give `holder`'s waiting or pending place to `to`, who
    takes it with its due time (a 转交 by the approver starts a new one)."""
    from xietong.org.holdings import may_hand_over

    if not may_hand_over(actor, holder):
        raise PermissionDenied()
    approval = lock(approval)
    try:
        a = StepApprover.objects.select_related(*_APPROVER_RELATED).get(pk=approver_id, approval=approval,
                                                                        person=holder)
    except StepApprover.DoesNotExist:
        raise DomainError(_("%(name)s no longer holds this approval.") % {"name": holder.name},
                          code="not_held") from None
    if approval.state != ApprovalState.RUNNING or a.state not in OPEN_APPROVER_STATES:
        raise stale()
    _new_signer_checks(approval, a.step, actor, to)
    a.person = to
    save_fields(a, "person")
    if a.task is not None and a.task.state == TaskState.OPEN and a.task.assignee_id == holder.pk:
        task_hand_over(actor=actor, task=a.task, holder=holder, to=to, note=note, by_module=True)
    event_record(actor=actor, verb="approval.hand_over", subject=approval,
                 after={"step": a.step.node_key, "from": holder.pk, "to": to.pk},
                 note=clean_text(note, _("Comment"), limit=2000))
    return approval


ADD_WHERE = ("before", "after", "parallel")


@transaction.atomic
@events_batched
def approval_add_signer(*, actor: Person, approval: Approval | int, approver_id: int, person: Person, where: str,
                        comment: str = "") -> Approval:
    """加签 (APR-4): someone else signs this step too — before me (my turn
    comes back after they approve), after me, or at the same time. Added
    signers must all approve, whatever the node's mode."""
    if where not in ADD_WHERE:
        raise DomainError(_("Add the signer before, after or in parallel."), code="bad_where")
    approval = lock(approval)
    a, on_behalf_of = _acting(actor, approval, approver_id)
    _new_signer_checks(approval, a.step, actor, person)
    now = timezone.now()
    origin = {"before": Origin.BEFORE, "after": Origin.AFTER, "parallel": Origin.PARALLEL}[where]
    common = {"step": a.step, "approval": approval, "person": person, "origin": origin, "added_by": actor,
              "timeout_action": a.timeout_action, "state": ApproverState.WAITING, "comment": ""}
    if where == "before":
        signer = StepApprover.objects.create(position=a.position - 0.5, waits_for=a.waits_for, **common)
        a.state, a.waits_for = ApproverState.WAITING, signer
        a.save(update_fields=["state", "waits_for"])
        if a.task is not None and a.task.state == TaskState.OPEN:
            task_cancel(actor=None, task=a.task, reason=f"加签: {person.name} first", system=True)
    elif where == "after":
        signer = StepApprover.objects.create(position=a.position + 0.5, waits_for=a, **common)
        StepApprover.objects.filter(waits_for=a).exclude(pk=signer.pk).update(waits_for=signer)
    else:
        signer = StepApprover.objects.create(position=a.position + 0.25, waits_for=None, **common)
    event_record(actor=actor, verb="approval.add_signer", subject=approval, at=now, on_behalf_of=on_behalf_of,
                 after={"step": a.step.node_key, "person": person.pk, "where": where}, note=clean_text(comment, _("Comment"), limit=2000))
    activate(approval, a.step, now=now)
    return approval


def approvals_approve_batch(*, actor: Person, approver_ids: Sequence[int], comment: str = "") -> tuple[int, list[str]]:
    """Approve several at once, where the node allows it (batch). Each is its
    own transaction. An approver row the actor may not act on is reported by
    its number only, like one that does not exist: no title leaks."""
    wanted = list(dict.fromkeys(approver_ids))[:200]
    rows = {a.pk: a for a in StepApprover.objects.filter(pk__in=wanted).select_related(
        "approval", "task", "task__assignee")}
    done, problems = 0, []
    for pk in wanted:
        a = rows.get(pk)
        if a is None or a.task is None or not may_act_on(actor, a.task)[0]:
            problems.append(str(_("Approval step #%(id)s: no such step waiting for you.") % {"id": pk}))
            continue
        if not a.batch:
            problems.append(str(_("“%(title)s” must be approved on its own page.") % {"title": a.approval.title}))
            continue
        try:
            approval_approve(actor=actor, approval=a.approval_id, approver_id=a.pk, comment=comment)
            done += 1
        except DomainError as error:
            problems.append(f"{a.approval.title}: {error.message}")
    return done, problems


def approve_from_inbox(actor: Person, task: Task) -> None:
    """The inbox's bulk completion of a batch-approvable task."""
    a = StepApprover.objects.filter(task=task).first()
    if a is None or not a.batch:
        raise DomainError(_("This approval must be handled on its own page."), code="not_batch")
    approval_approve(actor=actor, approval=a.approval_id, approver_id=a.pk)
