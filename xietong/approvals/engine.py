"""The walk through an approval's plan (APR-2..5), shared by the actions:
start each node's step, make approvers pending as kernel tasks (or approve
them automatically), settle a 或签 node, finish the approval with its
handler, its CCs and, for an emergency decision, its post-hoc reviews.

Internal to approvals: other modules read `queries` and write through
`actions`. Every function here runs inside the caller's transaction, with
the approval's row locked (`lock`).
"""

import itertools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.audit.trail import event_record
from xietong.errors import Conflict, DomainError
from xietong.fastsql import create_objects, save_fields, update_rows
from xietong.locking import lock_into
from xietong.org.models import Person, Role
from xietong.org.queries import acting_for, role_holders
from xietong.policy.queries import param
from xietong.prepared import Slot, prepared
from xietong.work.actions import (
    NewTask,
    may_act_on,
    task_cancel,
    task_complete,
    task_create,
    tasks_create,
)
from xietong.work.models import Priority, Task, TaskState
from xietong.work.notify import notify

from .definition import Definition, route
from .handlers import HANDLERS
from .models import (
    OPEN_APPROVER_STATES,
    Approval,
    ApprovalCc,
    ApprovalState,
    ApproverState,
    FlowVersion,
    Origin,
    Step,
    StepApprover,
    StepState,
    TimeoutAction,
)
from .routing import Context, node_people

KIND_APPROVE = "approvals.approve"


KIND_APPROVE_BATCH = "approvals.approve_batch"


KIND_RESUBMIT = "approvals.resubmit"


KIND_REVIEW = "approvals.review"


APPROVE_KINDS = (KIND_APPROVE, KIND_APPROVE_BATCH)


_DEFINITIONS: dict[tuple[int, datetime], Definition] = {}


def version_definition(version: FlowVersion) -> Definition:
    """A version's definition as objects. A version is never edited (a change
    is a new version), so the parse is kept in each process, keyed by id and
    creation time (an id can come back after a rolled-back transaction on
    SQLite; its creation time does not)."""
    key = (version.pk, version.created_at)
    definition = _DEFINITIONS.get(key)
    if definition is None:
        definition = _DEFINITIONS[key] = Definition.model_validate(version.definition)
    return definition


def stale() -> Conflict:
    return Conflict(_("This approval has moved on since you opened it: someone else has acted on this step, or it "
                      "was withdrawn. Reload the page to see where it is now."), code="stale")


_LOCK_RELATED = ("template", "version", "applicant", "department")


def lock(approval: Approval | int) -> Approval:
    """The approval's row, locked for this transaction. Given an object, the
    row is read into that object, which is returned (`lock_into`): what the
    action then does to it is what its caller sees, and an API answer reads
    no second copy."""
    found = Approval(pk=approval) if isinstance(approval, int) else approval
    if not lock_into(found, related=_LOCK_RELATED):
        raise DomainError(_("No such approval."), code="not_found")
    return found


def _context(approval: Approval) -> Context:
    return Context(applicant=approval.applicant, department=approval.department, data=approval.data,
                   chosen=approval.chosen, admin=approval.template.admin)


def settings_of(approval: Approval) -> Any:
    if approval.emergency:
        from .definition import Settings
        return Settings(dedupe=False, applicant_approver="manager")
    return version_definition(approval.version).settings


_ACTIVE_STEP = prepared(lambda approval, round, index, active: Step.objects.filter(
    approval=Slot("approval"), round=Slot("round"), index=Slot("index"), state=Slot("active")).order_by("pk")[:1])
# Who approved an earlier step of the approval (not superseded), for 去重 (dedupe).
_APPROVED_BEFORE = prepared(lambda approval, step, approved, finished: StepApprover.objects.filter(
    approval=Slot("approval"), state=Slot("approved"), step__superseded=False, step__state=Slot("finished"))
    .exclude(step=Slot("step")).values("person_id"))


def advance(approval: Approval, *, actor: Person | None, now: datetime,
            current: tuple[Step, bool] | None = None) -> None:
    """Walk the plan from the current node until a node waits for someone or
    the plan ends. `current`: the current node's active step and whether it
    still waits for someone, when the caller has just walked its approvers
    (`activate`); the step it starts says the same."""
    known = current if current is not None and (current[0].round, current[0].index) == (
        approval.round, approval.current) and current[0].state == StepState.ACTIVE else None
    while approval.state == ApprovalState.RUNNING:
        if approval.current >= len(approval.plan):
            finish(approval, state=ApprovalState.APPROVED, actor=actor, now=now)
            return
        node = approval.plan[approval.current]
        waiting: bool | None = None
        if known is not None:
            (step, waiting), known = known, None
        else:
            found = _ACTIVE_STEP.first(approval=approval.pk, round=approval.round, index=approval.current,
                                       active=StepState.ACTIVE)
            step, waiting = (found, None) if found is not None else _start_step(approval, node, now=now)
        if step.state == StepState.ACTIVE:
            if waiting is None:
                waiting = step.approvers.filter(state__in=OPEN_APPROVER_STATES).exists()
            if waiting:
                return
            step.state, step.finished_at = StepState.APPROVED, now
            save_fields(step, "state", "finished_at")
            if node.get("cc"):
                _cc_rules(approval, node, rules_key="cc", now=now)
        following = approval.current + 1
        if approval.resume_at:
            keys = [n["key"] for n in approval.plan]
            if approval.resume_at in keys and keys.index(approval.resume_at) > approval.current:
                following = keys.index(approval.resume_at)
            approval.resume_at = ""
        approval.current = following
        save_fields(approval, "current", "resume_at")


def _cc_rules(approval: Approval, node: dict[str, Any], *, rules_key: str, now: datetime) -> list[Person]:
    resolved = node_people(node, _context(approval), rules_key=rules_key)
    cc_add(approval=approval, people=resolved.people, actor=None, now=now)
    return resolved.people


def _start_step(approval: Approval, node: dict[str, Any], *, now: datetime) -> tuple[Step, bool]:
    """The node's step, begun: its approvers made pending (or approved
    automatically). Returns it, and whether it waits for someone."""
    settings = settings_of(approval)
    if node["type"] == "cc":
        people = _cc_rules(approval, node, rules_key="cc", now=now)
        return Step.objects.create(
            approval=approval, round=approval.round, index=approval.current, node_key=node["key"], name=node["name"],
            name_en=node.get("name_en", ""), kind="cc", state=StepState.DONE, started_at=now, finished_at=now,
            explanation=[{"code": "cc", "people": [p.name for p in people]}]), False
    resolved = node_people(node, _context(approval), applicant_approver=settings.applicant_approver)
    if approval.emergency:
        resolved.explanation = [{"code": "emergency", "person": resolved.people[0].name if resolved.people else ""}]
    if not resolved.people:
        raise DomainError(_("Nobody can approve “%(node)s” and the flow has no administrator; ask an administrator "
                            "to fix the template.") % {"node": node["name"]}, code="no_approver")
    (step,) = create_objects([Step(
        approval=approval, round=approval.round, index=approval.current, node_key=node["key"], name=node["name"],
        name_en=node.get("name_en", ""), kind="approve", mode=node["mode"], explanation=resolved.explanation,
        started_at=now)])
    hours = node.get("timeout_hours")
    origin = Origin.EMERGENCY if approval.emergency else (Origin.ADMIN if resolved.by_admin else Origin.RULE)
    approvers = create_objects([StepApprover(
        step=step, approval=approval, person=person, position=position, origin=origin,
        timeout_action=node.get("timeout_action", TimeoutAction.ESCALATE), batch=bool(node.get("batch")),
        timeout_hours=hours) for position, person in enumerate(resolved.people)])
    if node["mode"] == "sequential" and len(approvers) > 1:  # each waits for the one before
        for previous, a in itertools.pairwise(approvers):
            a.waits_for = previous
        update_rows(StepApprover, "id", ["waits_for"], [(a.pk, a.waits_for_id) for a in approvers[1:]])
    return step, activate(approval, step, now=now, approvers=approvers)


def activate(approval: Approval, step: Step, *, now: datetime, approvers: list[StepApprover] | None = None) -> bool:
    """Make every approver whose turn has come pending (a task in their
    inbox), or approve them automatically when the template says so. The
    step's approvers (read here, unless the caller has them all with their
    people and tasks, in position order) are walked in memory until nothing
    changes; the tasks of everyone whose turn came are then created together.
    Returns whether the step still waits for someone."""
    settings = settings_of(approval)
    if approvers is None:
        approvers = list(step.approvers.select_related("person", "task").order_by("position", "pk"))
    by_id = {a.pk: a for a in approvers}
    approved_before: set[int] | None = None
    hours = param("approval.step_timeout_working_hours", at=now)
    turn: list[StepApprover] = []
    changed = True
    while changed:
        changed = False
        for a in approvers:
            if a.state != ApproverState.WAITING:
                continue
            blocker = by_id.get(a.waits_for_id) if a.waits_for_id else None
            if a.waits_for_id and (blocker is None or blocker.state not in (ApproverState.APPROVED,
                                                                             ApproverState.SKIPPED)):
                if blocker is None:  # waits for someone on another step: read it
                    blocker = StepApprover.objects.get(pk=a.waits_for_id)
                    if blocker.state not in (ApproverState.APPROVED, ApproverState.SKIPPED):
                        continue
                else:
                    continue
            reason = ""
            if a.person_id == approval.applicant_id:
                reason = "applicant_skip"
            elif settings.dedupe and not approval.emergency and a.origin == Origin.RULE:
                if approved_before is None:
                    approved_before = {row["person_id"] for row in _APPROVED_BEFORE.all(
                        approval=approval.pk, step=step.pk, approved=ApproverState.APPROVED, finished=StepState.APPROVED)}
                if a.person_id in approved_before:
                    reason = "dedupe"
            if reason:
                a.state, a.acted_at, a.reason = ApproverState.SKIPPED, now, reason
                a.save(update_fields=["state", "acted_at", "reason"])
                step.explanation.append({"code": reason, "person": a.person.name})
                step.save(update_fields=["explanation"])
                event_record(actor=None, verb="approval.auto_approve", subject=approval, at=now,
                             after={"step": step.node_key, "person": a.person_id, "why": reason})
                after_approve(approval, step, a, now=now, approvers=approvers)
            else:
                a.state = ApproverState.PENDING  # its task comes below, with the others'
                turn.append(a)
            changed = True
            break
    # One approved automatically may have settled a 或签 node and cancelled the others meanwhile.
    _make_pending(approval, step, [a for a in turn if a.state == ApproverState.PENDING], now=now, hours=hours)
    return any(a.state in OPEN_APPROVER_STATES for a in approvers)


def is_major(approval: Approval, *, now: datetime | None = None) -> bool:
    """A decision above the policy thresholds (ORG-5: not delegated unless the
    principal says so): an amount above the finance threshold, a change the
    template's handler calls major, an emergency decision."""
    if approval.emergency:
        return True
    if approval.amount is not None and approval.amount > param("approval.finance_threshold_yuan", at=now):
        return True
    handler = HANDLERS.get(approval.template.handler)
    return bool(handler and handler.major and handler.major(approval.data))


def _make_pending(approval: Approval, step: Step, approvers: list[StepApprover], *, now: datetime,
                  hours: int) -> None:
    """Each approver's task, all in one go (kernel `tasks_create`), and why
    it went to whom it went: a delegate, or the principal after all."""
    if not approvers:
        return
    major = is_major(approval, now=now)
    tasks = tasks_create([NewTask(
        kind=KIND_APPROVE_BATCH if a.batch else KIND_APPROVE, title=approval.title, subject=approval,
        assignee=a.person, requester=approval.applicant, url=approval.get_absolute_url(),
        due_working_hours=a.timeout_hours or hours, escalates=a.timeout_action == TimeoutAction.ESCALATE,
        priority=Priority.URGENT if approval.emergency else Priority.NORMAL, major=major,
        remind_at_due=a.timeout_action == TimeoutAction.REMIND) for a in approvers], actor=None, now=now)
    explained = len(step.explanation)
    for a, task in zip(approvers, tasks, strict=True):
        a.state, a.task = ApproverState.PENDING, task
        if task.delegated_from_id:
            step.explanation.append({"code": "delegated", "principal": a.person.name,
                                     "delegate": task.assignee.name if task.assignee else ""})
        elif acting_for(a.person, at=now, major=major).pk == approval.applicant_id:
            step.explanation.append({"code": "not_delegated", "principal": a.person.name})
        elif major and acting_for(a.person, at=now).pk != a.person.pk:
            # Away, but the delegation does not cover decisions above the thresholds.
            step.explanation.append({"code": "major_not_delegated", "principal": a.person.name})
    update_rows(StepApprover, "id", ["state", "task"], [(a.pk, a.state, a.task_id) for a in approvers])
    if len(step.explanation) != explained:
        save_fields(step, "explanation")


def close_task(a: StepApprover, *, actor: Person | None, outcome: str, note: str) -> None:
    task = a.task
    if task is None or task.state != TaskState.OPEN:
        return
    if actor is None:
        task_cancel(actor=None, task=task, reason=note or outcome, system=True)
    else:
        task_complete(actor=actor, task=task, outcome=outcome, note=note, by_module=True, notify_requester=False)


def cancel_open(approvers: Iterable[StepApprover], *, now: datetime, why: str) -> None:
    for other in approvers:
        if other.state in OPEN_APPROVER_STATES:
            other.state, other.acted_at, other.reason = ApproverState.CANCELLED, now, why
            other.save(update_fields=["state", "acted_at", "reason"])
            close_task(other, actor=None, outcome="cancelled", note=why)


def after_approve(approval: Approval, step: Step, a: StepApprover, *, now: datetime,
                  approvers: list[StepApprover] | None = None) -> None:
    """或签: the first main approver's approval settles the node; signers added
    by 加签 must still sign. `approvers`: all of the step's, with their
    tasks, when the caller has them (those it closes are changed in place)."""
    if step.mode != "any" or a.added:
        return
    added = [Origin.BEFORE, Origin.AFTER, Origin.PARALLEL]
    if approvers is None:
        approvers = list(step.approvers.filter(state__in=OPEN_APPROVER_STATES).select_related("task"))
    others = [o for o in approvers if o.state in OPEN_APPROVER_STATES and o.pk != a.pk and o.origin not in added]
    cancel_open(others, now=now, why="another approver approved")
    # Signers the cancelled approvers had added are no longer needed either.
    by_them = [o for o in approvers if o.state in OPEN_APPROVER_STATES and o.origin in added
               and o.added_by_id in {c.person_id for c in others}]
    cancel_open(by_them, now=now, why="another approver approved")


def open_resubmit_tasks(approval: Approval) -> list[Task]:
    return list(Task.objects.filter(subject_type="approvals.approval", subject_id=str(approval.pk),
                                    kind=KIND_RESUBMIT, state=TaskState.OPEN))


def finish(approval: Approval, *, state: str, actor: Person | None, now: datetime, note: str = "") -> None:
    before = approval.state
    approval.state, approval.finished_at = state, now
    approval.save(update_fields=["state", "finished_at"])
    open_approvers = list(approval.approvers.filter(state__in=OPEN_APPROVER_STATES).select_related("task"))
    cancel_open(open_approvers, now=now, why=f"approval {state}")
    Step.objects.filter(approval=approval, state=StepState.ACTIVE).update(
        state=StepState.CANCELLED if state == ApprovalState.WITHDRAWN else state, finished_at=now)
    for task in open_resubmit_tasks(approval):
        task_cancel(actor=None, task=task, reason=f"approval {state}", system=True)
    if state != ApprovalState.WITHDRAWN:
        settings = settings_of(approval)
        if settings.cc_end:
            _cc_rules(approval, {"key": "end", "cc": [r.model_dump() for r in settings.cc_end]}, rules_key="cc",
                      now=now)
    event_record(actor=actor, verb=f"approval.{state}", subject=approval, at=now, before={"state": before},
                 after={"state": state}, note=note)
    handler = HANDLERS.get(approval.template.handler)
    if handler:
        # The handler receives the submitted record (None for a form on its own).
        if state == ApprovalState.APPROVED:
            handler.approved(approval, approval.subject)
        elif handler.ended:
            handler.ended(approval, approval.subject)
    titles: dict[str, Any] = {
        ApprovalState.APPROVED: gettext_lazy("Approved: %(title)s"),
        ApprovalState.REJECTED: gettext_lazy("Rejected: %(title)s"),
        ApprovalState.WITHDRAWN: gettext_lazy("Withdrawn: %(title)s"),
    }
    watchers = [approval.applicant] + [c.person for c in approval.ccs.select_related("person")]
    notify(recipients=[p for p in watchers if actor is None or p.pk != actor.pk], kind="approval_result",
           key=f"approval:{approval.pk}:{state}", url=approval.get_absolute_url(), now=now,
           title=lambda: str(titles[state]) % {"title": approval.title}, body=note)
    if approval.emergency and state in (ApprovalState.APPROVED, ApprovalState.REJECTED):
        _reviews_open(approval, now=now)


def post_hoc_reviewers(approval: Approval) -> list[Person]:
    """APR-5: who reviews an emergency decision — everyone the thresholds
    would have asked (the template's normal route for this form and amount:
    the head, finance, the CEO …), leadership when that names nobody. Never
    the applicant, nor the leader who decided."""
    definition = version_definition(approval.version)
    handler = HANDLERS.get(approval.template.handler)
    plan = route(definition, data=approval.data, amount=approval.amount, department=approval.department,
                 major=bool(handler and handler.major and handler.major(approval.data)))
    context = _context(approval)
    people: dict[int, Person] = {}
    for node in plan:
        if node["type"] == "approve" and not any(r["rule"] == "chosen" for r in node.get("approvers", [])):
            for person in node_people(node, context, applicant_approver="manager").people:
                people.setdefault(person.pk, person)
    if not people:
        people = {p.pk: p for p in role_holders(Role.LEADERSHIP)}
    leader = approval.emergency_group.get("leader")
    return [p for p in people.values() if p.pk not in (approval.applicant_id, leader)]


def _reviews_open(approval: Approval, *, now: datetime) -> None:
    reviewers = post_hoc_reviewers(approval)
    for person in reviewers:
        task_create(kind=KIND_REVIEW, subject=approval, actor=None, assignee=person, requester=approval.applicant,
                    title=str(_("Review an emergency decision: %(title)s")) % {"title": approval.title},
                    url=approval.get_absolute_url(), due_param="approval.step_timeout_working_hours",
                    priority=Priority.HIGH, now=now)
    approval.emergency_group = {**approval.emergency_group, "reviewers": [p.pk for p in reviewers]}
    approval.save(update_fields=["emergency_group"])
    event_record(actor=None, verb="approval.review_open", subject=approval, at=now,
                 after={"reviewers": [p.pk for p in reviewers]})


def open_review_task(approval: Approval, person: Person) -> Task | None:
    """The post-hoc review `person` may give on `approval` now, if any."""
    for task in Task.objects.filter(subject_type="approvals.approval", subject_id=str(approval.pk), kind=KIND_REVIEW,
                                    state=TaskState.OPEN).select_related("assignee"):
        if may_act_on(person, task)[0]:
            return task
    return None


def cc_add(*, approval: Approval, people: Iterable[Person], actor: Person | None, now: datetime) -> list[Person]:
    existing = set(ApprovalCc.objects.filter(approval=approval).values_list("person_id", flat=True))
    fresh = [p for p in {p.pk: p for p in people}.values() if p.pk not in existing and p.pk != approval.applicant_id]
    ApprovalCc.objects.bulk_create([ApprovalCc(approval=approval, person=p, added_by=actor, created_at=now)
                                    for p in fresh])
    if fresh:
        event_record(actor=actor, verb="approval.cc", subject=approval, at=now, after={"people": [p.pk for p in fresh]})
        notify(recipients=fresh, kind="comment", key=f"approval:{approval.pk}:cc:{now.timestamp():.3f}",
               url=approval.get_absolute_url(), now=now,
               title=lambda: str(_("For your information: %(title)s")) % {"title": approval.title})
    return fresh
