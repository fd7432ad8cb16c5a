"""Every write to approvals (APR-1..7). Pending approvals are kernel tasks;
every action is an audit event on the approval, in the same transaction.

Each action locks the approval's row first, then checks that the approver it
acts for is still pending: of two approvers acting at once on a 或签 node, a
double click, or a form left open while the flow moved on, exactly one takes
effect and the other gets `Conflict` with a clear message (APR-7).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from xietong.audit.trail import Subject, event_record, subject_key
from xietong.errors import Conflict, DomainError, PermissionDenied
from xietong.inputs import clean_line, clean_text, one_line, parse_id
from xietong.org.models import Department, Person, Role
from xietong.org.queries import acting_for, has_role, is_member, manager_chain, role_holders
from xietong.policy.queries import param
from xietong.work.actions import may_act_on, task_cancel, task_complete, task_create, task_urge
from xietong.work.discussion import attachment_add
from xietong.work.models import Priority, Task, TaskState
from xietong.work.notify import notify
from xietong.work.registry import subject_exists, subject_visible

from .definition import Definition, route
from .forms import amount_of, form_validate
from .handlers import HANDLERS
from .models import (
    OPEN_APPROVER_STATES,
    Approval,
    ApprovalCc,
    ApprovalState,
    ApproverState,
    FlowTemplate,
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
EMERGENCY_NODE = "emergency"


class FormInvalid(DomainError):
    """The form has errors; `errors` maps each field key to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(gettext_lazy("The form has errors; see the fields marked."), code="form_invalid",
                         details=errors)
        self.errors = errors


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


def _stale() -> Conflict:
    return Conflict(_("This approval has moved on since you opened it: someone else has acted on this step, or it "
                      "was withdrawn. Reload the page to see where it is now."), code="stale")


def _lock(approval: Approval | int) -> Approval:
    pk = approval if isinstance(approval, int) else approval.pk
    try:
        return Approval.objects.select_for_update(of=("self",)).select_related(
            "template", "version", "applicant", "department").get(pk=pk)
    except Approval.DoesNotExist:
        raise DomainError(_("No such approval."), code="not_found") from None


# --- submit ----------------------------------------------------------------

@dataclass
class Emergency:
    """APR-5: a temporary decision group led by a director decides directly."""

    leader: Person
    members: Sequence[Person]
    reason: str


def is_director(person: Person) -> bool:
    """A director (总监, seed 000 §4): leadership, the CEO, or the head of a
    department."""
    return has_role(person, Role.LEADERSHIP, Role.CEO) or Department.objects.filter(
        head=person, is_active=True, kind__in=["company", "department"]).exists()


def may_lead_emergency(leader: Person, applicant: Person) -> bool:
    """APR-5: the emergency decision group is led by leadership, or by a
    director in the applicant's own management chain — never by the head of
    an unrelated department."""
    if not leader.is_active or leader.pk == applicant.pk:
        return False
    if has_role(leader, Role.LEADERSHIP, Role.CEO):
        return True
    return is_director(leader) and any(p.pk == leader.pk for p in manager_chain(applicant, levels=10))


def _check_chosen(plan: list[dict[str, Any]], chosen: dict[str, list[int]], applicant: Person) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for node in plan:
        if not any(r["rule"] == "chosen" for r in node.get("approvers", [])):
            continue
        ids = [pk for pk in map(parse_id, chosen.get(node["key"], [])) if pk]
        people = list(Person.objects.filter(pk__in=ids, is_active=True))
        if not people:
            raise DomainError(_("Choose who approves “%(node)s”.") % {"node": node["name"]}, code="choose_approver")
        if any(p.pk == applicant.pk for p in people):
            raise DomainError(_("You cannot choose yourself to approve your own application."), code="self_approval")
        if any(not is_member(p) for p in people):
            raise DomainError(_("Only people of the company can approve."), code="not_member")
        out[node["key"]] = [p.pk for p in people]
    return out


@transaction.atomic
def approval_submit(
    *,
    actor: Person,
    template: FlowTemplate,
    data: dict[str, Any],
    title: str = "",
    chosen: dict[str, list[int]] | None = None,
    files: dict[str, list[UploadedFile]] | None = None,
    emergency: Emergency | None = None,
    system: bool = False,
    subject: Subject | None = None,
    now: datetime | None = None,
) -> Approval:
    """Start an approval on the template's published version (APR-1..3, 6).
    `subject`: the record another module submits for approval (a project, a
    document, a booking); it must exist and the applicant must see it. The
    template's handler receives it when the approval ends; `approvals_for`
    reads a record's approvals."""
    if not is_member(actor):
        raise PermissionDenied()
    subject_type, subject_id = subject_key(subject) if subject is not None else ("", "")
    if subject is not None and not (subject_exists(subject_type, subject_id)
                                    and subject_visible(actor, subject_type, subject_id)):
        raise DomainError(_("There is no such record to submit for approval."), code="no_subject")
    if not template.is_active or template.current_version_id is None or (template.system and not system):
        raise DomainError(_("This approval form is not open for applications."), code="template_closed")
    now = now or timezone.now()
    version = template.current_version
    if version is None:  # pragma: no cover — checked above
        raise DomainError(_("This approval form is not open for applications."), code="template_closed")
    definition = version_definition(version)
    files = {k: v for k, v in (files or {}).items() if v}
    values, errors = form_validate(definition.form, data, files={k: len(v) for k, v in files.items()})
    if errors:
        raise FormInvalid(errors)
    handler = HANDLERS.get(template.handler)
    if handler and handler.validate:
        handler.validate(actor, values, None)
    amount = amount_of(definition.form, values)
    department = actor.primary_department
    title = clean_line(title, _("Title")) or _default_title(template, definition, values, actor)
    group: dict[str, Any] = {}
    if emergency is not None:
        if not definition.settings.allow_emergency:
            raise DomainError(_("This form has no emergency path."), code="no_emergency")
        if not emergency.reason.strip():
            raise DomainError(_("Say why this cannot wait for the normal flow."), code="reason_required")
        if emergency.leader.pk == actor.pk:
            raise DomainError(_("You cannot lead the decision on your own application."), code="self_approval")
        if not may_lead_emergency(emergency.leader, actor):
            raise DomainError(_("An emergency decision group is led by leadership or by a director in your own "
                                "line of management."), code="not_director")
        plan = [{"type": "approve", "key": EMERGENCY_NODE, "name": "紧急决策", "name_en": "Emergency decision",
                 "mode": "any", "approvers": [{"rule": "chosen"}], "cc": [], "timeout_hours": None,
                 "timeout_action": "escalate", "batch": False}]
        chosen = {EMERGENCY_NODE: [emergency.leader.pk]}
        members = [m for m in emergency.members if m.pk not in (actor.pk, emergency.leader.pk)]
        group = {"leader": emergency.leader.pk, "members": [m.pk for m in members],
                 "reason": clean_text(emergency.reason, _("Why urgent"), limit=500)}
    else:
        plan = route(definition, data=values, amount=amount, department=department,
                     major=bool(handler and handler.major and handler.major(values)))
        if not any(node["type"] == "approve" for node in plan):
            raise DomainError(_("No approval node applies to this form; ask the flow administrator."), code="no_route")
    chosen = _check_chosen(plan, chosen or {}, actor)
    approval = Approval.objects.create(
        template=template, version=version, title=title, applicant=actor, department=department, data=values,
        amount=amount, emergency=emergency is not None, emergency_group=group, plan=plan, chosen=chosen,
        submitted_at=now, subject_type=subject_type, subject_id=subject_id,
    )
    event_record(actor=actor, verb="approval.submit", subject=approval, at=now, first=True, after={
        "template": template.key, "version": version.number, "title": title, "amount": amount,
        "route": [n["key"] for n in plan], "emergency": approval.emergency, "data": approval.data,
    }, note=group.get("reason", ""))
    # After the first event: each file is an event of its own on the approval.
    _attach(actor=actor, approval=approval, files=files, definition=definition)
    if emergency is not None:
        _cc_add(approval=approval, people=emergency.members, actor=actor, now=now)
    _advance(approval, actor=actor, now=now)
    return approval


def _default_title(template: FlowTemplate, definition: Definition, values: dict[str, Any], actor: Person) -> str:
    """"采购申请：充电桩样机 — 刘洋": the form's first text, when it has one."""
    first = next((values[f.key] for f in definition.form if f.type == "text" and values.get(f.key)), "")
    return one_line(f"{template.label}：{first} — {actor.name}" if first else f"{template.label} — {actor.name}")


def _attach(*, actor: Person, approval: Approval, files: dict[str, list[UploadedFile]],
            definition: Definition) -> None:
    keys = {f.key for f in definition.form if f.type == "attachment"}
    changed = False
    for key, uploads in files.items():
        if key not in keys:
            continue
        ids = [attachment_add(actor=actor, subject=approval, upload=upload).pk for upload in uploads[:20]]
        approval.data[key] = approval.data.get(key, []) + ids
        changed = True
    if changed:
        approval.save(update_fields=["data"])


# --- walking the plan ------------------------------------------------------

def _context(approval: Approval) -> Context:
    return Context(applicant=approval.applicant, department=approval.department, data=approval.data,
                   chosen=approval.chosen, admin=approval.template.admin)


def _settings(approval: Approval) -> Any:
    if approval.emergency:
        from .definition import Settings
        return Settings(dedupe=False, applicant_approver="manager")
    return version_definition(approval.version).settings


def _advance(approval: Approval, *, actor: Person | None, now: datetime) -> None:
    """Walk the plan from the current node until a node waits for someone or
    the plan ends."""
    while approval.state == ApprovalState.RUNNING:
        if approval.current >= len(approval.plan):
            _finish(approval, state=ApprovalState.APPROVED, actor=actor, now=now)
            return
        node = approval.plan[approval.current]
        step = Step.objects.filter(approval=approval, round=approval.round, index=approval.current,
                                   state=StepState.ACTIVE).first()
        if step is None:
            step = _start_step(approval, node, now=now)
        if step.state == StepState.ACTIVE:
            if step.approvers.filter(state__in=OPEN_APPROVER_STATES).exists():
                return
            step.state, step.finished_at = StepState.APPROVED, now
            step.save(update_fields=["state", "finished_at"])
            if node.get("cc"):
                _cc_rules(approval, node, rules_key="cc", now=now)
        following = approval.current + 1
        if approval.resume_at:
            keys = [n["key"] for n in approval.plan]
            if approval.resume_at in keys and keys.index(approval.resume_at) > approval.current:
                following = keys.index(approval.resume_at)
            approval.resume_at = ""
        approval.current = following
        approval.save(update_fields=["current", "resume_at"])


def _cc_rules(approval: Approval, node: dict[str, Any], *, rules_key: str, now: datetime) -> list[Person]:
    resolved = node_people(node, _context(approval), rules_key=rules_key)
    _cc_add(approval=approval, people=resolved.people, actor=None, now=now)
    return resolved.people


def _start_step(approval: Approval, node: dict[str, Any], *, now: datetime) -> Step:
    settings = _settings(approval)
    if node["type"] == "cc":
        people = _cc_rules(approval, node, rules_key="cc", now=now)
        return Step.objects.create(
            approval=approval, round=approval.round, index=approval.current, node_key=node["key"], name=node["name"],
            name_en=node.get("name_en", ""), kind="cc", state=StepState.DONE, started_at=now, finished_at=now,
            explanation=[{"code": "cc", "people": [p.name for p in people]}])
    resolved = node_people(node, _context(approval), applicant_approver=settings.applicant_approver)
    if approval.emergency:
        resolved.explanation = [{"code": "emergency", "person": resolved.people[0].name if resolved.people else ""}]
    if not resolved.people:
        raise DomainError(_("Nobody can approve “%(node)s” and the flow has no administrator; ask an administrator "
                            "to fix the template.") % {"node": node["name"]}, code="no_approver")
    step = Step.objects.create(
        approval=approval, round=approval.round, index=approval.current, node_key=node["key"], name=node["name"],
        name_en=node.get("name_en", ""), kind="approve", mode=node["mode"], explanation=resolved.explanation,
        started_at=now)
    hours = node.get("timeout_hours")
    previous: StepApprover | None = None
    origin = Origin.EMERGENCY if approval.emergency else (Origin.ADMIN if resolved.by_admin else Origin.RULE)
    for position, person in enumerate(resolved.people):
        previous = StepApprover.objects.create(
            step=step, approval=approval, person=person, position=position, origin=origin,
            waits_for=previous if node["mode"] == "sequential" else None,
            timeout_action=node.get("timeout_action", TimeoutAction.ESCALATE), batch=bool(node.get("batch")),
            timeout_hours=hours)
    _activate(approval, step, now=now)
    return step


def _activate(approval: Approval, step: Step, *, now: datetime) -> None:
    """Make every approver whose turn has come pending (a task in their inbox),
    or approve them automatically when the template says so. The step's
    approvers are read once and walked in memory until nothing changes."""
    settings = _settings(approval)
    approvers = list(step.approvers.select_related("person").order_by("position", "pk"))
    by_id = {a.pk: a for a in approvers}
    approved_before: set[int] | None = None
    hours = param("approval.step_timeout_working_hours", at=now)
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
                    approved_before = set(StepApprover.objects.filter(
                        approval=approval, state=ApproverState.APPROVED, step__superseded=False,
                        step__state=StepState.APPROVED).exclude(step=step).values_list("person_id", flat=True))
                if a.person_id in approved_before:
                    reason = "dedupe"
            if reason:
                a.state, a.acted_at, a.reason = ApproverState.SKIPPED, now, reason
                a.save(update_fields=["state", "acted_at", "reason"])
                step.explanation.append({"code": reason, "person": a.person.name})
                step.save(update_fields=["explanation"])
                event_record(actor=None, verb="approval.auto_approve", subject=approval, at=now,
                             after={"step": step.node_key, "person": a.person_id, "why": reason})
                for closed in _after_approve(approval, step, a, now=now):
                    if closed in by_id:
                        by_id[closed].state = ApproverState.CANCELLED
            else:
                _make_pending(approval, step, a, now=now, hours=a.timeout_hours or hours)
            changed = True
            break


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


def _make_pending(approval: Approval, step: Step, a: StepApprover, *, now: datetime, hours: int) -> None:
    major = is_major(approval, now=now)
    task = task_create(
        kind=KIND_APPROVE_BATCH if a.batch else KIND_APPROVE, title=approval.title, subject=approval,
        actor=None, assignee=a.person, requester=approval.applicant, url=approval.get_absolute_url(),
        due_working_hours=hours, escalates=a.timeout_action == TimeoutAction.ESCALATE,
        priority=Priority.URGENT if approval.emergency else Priority.NORMAL, major=major,
        remind_at_due=a.timeout_action == TimeoutAction.REMIND, now=now)
    a.state, a.task = ApproverState.PENDING, task
    a.save(update_fields=["state", "task"])
    if task.delegated_from_id:
        step.explanation.append({"code": "delegated", "principal": a.person.name,
                                 "delegate": task.assignee.name if task.assignee else ""})
        step.save(update_fields=["explanation"])
    elif acting_for(a.person, at=now, major=major).pk == approval.applicant_id:
        step.explanation.append({"code": "not_delegated", "principal": a.person.name})
        step.save(update_fields=["explanation"])
    elif major and acting_for(a.person, at=now).pk != a.person.pk:
        # Away, but the delegation does not cover decisions above the thresholds.
        step.explanation.append({"code": "major_not_delegated", "principal": a.person.name})
        step.save(update_fields=["explanation"])


def _close_task(a: StepApprover, *, actor: Person | None, outcome: str, note: str) -> None:
    task = a.task
    if task is None or task.state != TaskState.OPEN:
        return
    if actor is None:
        task_cancel(actor=None, task=task, reason=note or outcome, system=True)
    else:
        task_complete(actor=actor, task=task, outcome=outcome, note=note, by_module=True, notify_requester=False)


def _cancel_open(approvers: Iterable[StepApprover], *, now: datetime, why: str) -> None:
    for other in approvers:
        if other.state in OPEN_APPROVER_STATES:
            other.state, other.acted_at, other.reason = ApproverState.CANCELLED, now, why
            other.save(update_fields=["state", "acted_at", "reason"])
            _close_task(other, actor=None, outcome="cancelled", note=why)


def _after_approve(approval: Approval, step: Step, a: StepApprover, *, now: datetime) -> set[int]:
    """或签: the first main approver's approval settles the node; signers added
    by 加签 must still sign. Returns the approvers it closed."""
    if step.mode != "any" or a.added:
        return set()
    added = [Origin.BEFORE, Origin.AFTER, Origin.PARALLEL]
    others = list(step.approvers.filter(state__in=OPEN_APPROVER_STATES).exclude(pk=a.pk).exclude(
        origin__in=added).select_related("task"))
    _cancel_open(others, now=now, why="another approver approved")
    # Signers the cancelled approvers had added are no longer needed either.
    by_them = list(step.approvers.filter(state__in=OPEN_APPROVER_STATES, origin__in=added,
                                         added_by__in=[o.person_id for o in others]).select_related("task"))
    _cancel_open(by_them, now=now, why="another approver approved")
    return {o.pk for o in [*others, *by_them]}


def _open_resubmit_tasks(approval: Approval) -> list[Task]:
    return list(Task.objects.filter(subject_type="approvals.approval", subject_id=str(approval.pk),
                                    kind=KIND_RESUBMIT, state=TaskState.OPEN))


def _finish(approval: Approval, *, state: str, actor: Person | None, now: datetime, note: str = "") -> None:
    before = approval.state
    approval.state, approval.finished_at = state, now
    approval.save(update_fields=["state", "finished_at"])
    open_approvers = list(approval.approvers.filter(state__in=OPEN_APPROVER_STATES).select_related("task"))
    _cancel_open(open_approvers, now=now, why=f"approval {state}")
    Step.objects.filter(approval=approval, state=StepState.ACTIVE).update(
        state=StepState.CANCELLED if state == ApprovalState.WITHDRAWN else state, finished_at=now)
    for task in _open_resubmit_tasks(approval):
        task_cancel(actor=None, task=task, reason=f"approval {state}", system=True)
    if state != ApprovalState.WITHDRAWN:
        settings = _settings(approval)
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


@transaction.atomic
def approval_review(*, actor: Person, approval: Approval | int, confirm: bool, comment: str = "") -> Approval:
    """APR-5: a reviewer confirms the emergency decision or objects to it.
    An objection needs a reason and goes to the applicant, the leader and
    leadership. When the last review is in, the decision is reviewed."""
    approval = _lock(approval)
    comment = clean_text(comment, _("Comment"), limit=2000, required=not confirm)
    task = open_review_task(approval, actor)
    if task is None:
        raise Conflict(_("There is no review of this decision waiting for you."), code="no_review")
    now = timezone.now()
    _allowed, on_behalf_of = may_act_on(actor, task)
    task_complete(actor=actor, task=task, outcome="confirmed" if confirm else "objection", note=comment,
                  by_module=True, notify_requester=False)
    event_record(actor=actor, verb="approval.review_confirm" if confirm else "approval.review_object",
                 subject=approval, at=now, on_behalf_of=on_behalf_of, note=comment)
    if not confirm:
        leader = Person.objects.filter(pk=approval.emergency_group.get("leader") or 0).first()
        notify(recipients=[approval.applicant, *([leader] if leader else []), *role_holders(Role.LEADERSHIP)],
               kind="approval_result", key=f"approval:{approval.pk}:objection:{task.pk}",
               url=approval.get_absolute_url(), body=comment, urgent=True,
               title=lambda: str(_("Objection to an emergency decision: %(title)s")) % {"title": approval.title})
    if not Task.objects.filter(subject_type="approvals.approval", subject_id=str(approval.pk), kind=KIND_REVIEW,
                               state=TaskState.OPEN).exists():
        approval.reviewed_at = now
        approval.save(update_fields=["reviewed_at"])
        event_record(actor=None, verb="approval.reviewed", subject=approval, at=now)
    return approval


# --- an approver acts ------------------------------------------------------

def _acting(actor: Person, approval: Approval, approver_id: int) -> tuple[StepApprover, Person | None]:
    try:
        a = StepApprover.objects.select_related("step", "task", "task__assignee", "person").get(
            pk=approver_id, approval=approval)
    except StepApprover.DoesNotExist:
        raise DomainError(_("No such approver on this approval."), code="not_found") from None
    if a.task is None:
        raise _stale()
    allowed, on_behalf_of = may_act_on(actor, a.task)
    if not allowed:
        raise PermissionDenied()
    if actor.pk == approval.applicant_id:
        raise PermissionDenied(_("You cannot approve your own application."))
    if approval.state != ApprovalState.RUNNING or a.state != ApproverState.PENDING or a.step.state != StepState.ACTIVE:
        raise _stale()
    return a, on_behalf_of


def _record(a: StepApprover, *, state: str, actor: Person, on_behalf_of: Person | None, comment: str,
            now: datetime) -> None:
    a.state, a.acted_at, a.acted_by, a.on_behalf_of, a.comment = state, now, actor, on_behalf_of, comment
    a.save(update_fields=["state", "acted_at", "acted_by", "on_behalf_of", "comment"])


@transaction.atomic
def approval_approve(*, actor: Person, approval: Approval | int, approver_id: int, comment: str = "") -> Approval:
    """Approve one's pending step (APR-4)."""
    approval = _lock(approval)
    a, on_behalf_of = _acting(actor, approval, approver_id)
    now = timezone.now()
    comment = clean_text(comment, _("Comment"), limit=2000)
    _record(a, state=ApproverState.APPROVED, actor=actor, on_behalf_of=on_behalf_of, comment=comment, now=now)
    _close_task(a, actor=actor, outcome="approved", note=comment)
    event_record(actor=actor, verb="approval.approve", subject=approval, at=now, on_behalf_of=on_behalf_of,
                 after={"step": a.step.node_key, "approver": a.pk}, note=comment)
    _after_approve(approval, a.step, a, now=now)
    _activate(approval, a.step, now=now)
    _advance(approval, actor=actor, now=now)
    return approval


def _need_comment(comment: str, message: str) -> str:
    comment = clean_text(comment, _("Comment"), limit=2000)
    if not comment:
        raise DomainError(message, code="comment_required")
    return comment


@transaction.atomic
def approval_reject(*, actor: Person, approval: Approval | int, approver_id: int, comment: str) -> Approval:
    """Reject: the approval ends rejected (APR-4). A reason is required."""
    comment = _need_comment(comment, _("Say why you reject it."))
    approval = _lock(approval)
    a, on_behalf_of = _acting(actor, approval, approver_id)
    now = timezone.now()
    _record(a, state=ApproverState.REJECTED, actor=actor, on_behalf_of=on_behalf_of, comment=comment, now=now)
    _close_task(a, actor=actor, outcome="rejected", note=comment)
    event_record(actor=actor, verb="approval.reject", subject=approval, at=now, on_behalf_of=on_behalf_of,
                 after={"step": a.step.node_key, "approver": a.pk}, note=comment)
    a.step.state, a.step.finished_at = StepState.REJECTED, now
    a.step.save(update_fields=["state", "finished_at"])
    _finish(approval, state=ApprovalState.REJECTED, actor=actor, now=now, note=comment)
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
def approval_return(*, actor: Person, approval: Approval | int, approver_id: int, to: str, comment: str) -> Approval:
    """退回 (APR-4): to the applicant, who edits and resubmits, or to an
    earlier node, which decides again. After that, the flow runs on from there
    or jumps straight back to this node (the template's `return_resume`)."""
    comment = _need_comment(comment, _("Say why you return it."))
    approval = _lock(approval)
    a, on_behalf_of = _acting(actor, approval, approver_id)
    step = a.step
    valid = {key for key, _label in return_targets(approval, step)}
    if to not in valid:
        raise DomainError(_("It can only go back to the applicant or to an earlier approval node."), code="bad_target")
    now = timezone.now()
    jump = _settings(approval).return_resume == "jump"
    _record(a, state=ApproverState.RETURNED, actor=actor, on_behalf_of=on_behalf_of, comment=comment, now=now)
    _close_task(a, actor=actor, outcome="returned", note=comment)
    step.state, step.finished_at = StepState.RETURNED, now
    step.save(update_fields=["state", "finished_at"])
    _cancel_open(list(step.approvers.filter(state__in=OPEN_APPROVER_STATES).select_related("task")), now=now,
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
    _advance(approval, actor=actor, now=now)
    return approval


@transaction.atomic
def approval_resubmit(*, actor: Person, approval: Approval | int, data: dict[str, Any], title: str = "",
                      chosen: dict[str, list[int]] | None = None,
                      files: dict[str, list[UploadedFile]] | None = None) -> Approval:
    """The applicant resubmits a returned approval, form edited. The route is
    chosen again for the new form; with `return_resume = jump` it starts at
    the node that returned it, if that node is still on the route."""
    approval = _lock(approval)
    if actor.pk != approval.applicant_id:
        raise PermissionDenied()
    if approval.state != ApprovalState.RETURNED:
        raise _stale()
    now = timezone.now()
    definition = version_definition(approval.version)
    files = {k: v for k, v in (files or {}).items() if v}
    previous_files = {f.key: len(approval.data.get(f.key, [])) for f in definition.form if f.type == "attachment"}
    counts = {k: previous_files.get(k, 0) + len(files.get(k, [])) for k in previous_files}
    values, errors = form_validate(definition.form, data, files=counts)
    if errors:
        raise FormInvalid(errors)
    handler = HANDLERS.get(approval.template.handler)
    if handler and handler.validate:
        handler.validate(actor, values, approval)
    for key, count in previous_files.items():
        if count:
            values[key] = approval.data.get(key, [])
    amount = amount_of(definition.form, values)
    plan = approval.plan if approval.emergency else route(
        definition, data=values, amount=amount, department=approval.department,
        major=bool(handler and handler.major and handler.major(values)))
    chosen = approval.chosen if approval.emergency else _check_chosen(
        plan, {**approval.chosen, **(chosen or {})}, actor)
    before = {"data": approval.data, "amount": approval.amount, "route": [n["key"] for n in approval.plan]}
    keys = [n["key"] for n in plan]
    start = keys.index(approval.resume_at) if approval.resume_at in keys else 0
    Step.objects.filter(approval=approval, index__gte=start).update(superseded=True)
    if start == 0:
        Step.objects.filter(approval=approval).update(superseded=True)
    approval.data, approval.amount, approval.plan, approval.chosen = values, amount, plan, chosen
    approval.title = clean_line(title, _("Title")) or approval.title
    approval.state, approval.current, approval.resume_at = ApprovalState.RUNNING, start, ""
    approval.round += 1
    approval.save(update_fields=["data", "amount", "plan", "chosen", "title", "state", "current", "resume_at", "round"])
    _attach(actor=actor, approval=approval, files=files, definition=definition)
    for task in _open_resubmit_tasks(approval):
        task_complete(actor=actor, task=task, outcome="resubmitted", by_module=True, notify_requester=False)
    event_record(actor=actor, verb="approval.resubmit", subject=approval, at=now, before=before,
                 after={"data": values, "amount": amount, "route": keys, "from": keys[start] if keys else ""})
    _advance(approval, actor=actor, now=now)
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
def approval_transfer(*, actor: Person, approval: Approval | int, approver_id: int, to: Person,
                      comment: str = "") -> Approval:
    """转交 (APR-4): hand one's pending step to someone else, who takes one's place."""
    approval = _lock(approval)
    a, on_behalf_of = _acting(actor, approval, approver_id)
    _new_signer_checks(approval, a.step, actor, to)
    now = timezone.now()
    comment = clean_text(comment, _("Comment"), limit=2000)
    _record(a, state=ApproverState.TRANSFERRED, actor=actor, on_behalf_of=on_behalf_of, comment=comment, now=now)
    _close_task(a, actor=actor, outcome="transferred", note=comment)
    successor = StepApprover.objects.create(
        step=a.step, approval=approval, person=to, position=a.position, origin=Origin.TRANSFER, added_by=actor,
        waits_for=a.waits_for, timeout_action=a.timeout_action, batch=a.batch, state=ApproverState.WAITING)
    StepApprover.objects.filter(waits_for=a).exclude(pk=successor.pk).update(waits_for=successor)
    event_record(actor=actor, verb="approval.transfer", subject=approval, at=now, on_behalf_of=on_behalf_of,
                 after={"step": a.step.node_key, "from": a.person_id, "to": to.pk}, note=comment)
    _activate(approval, a.step, now=now)
    return approval


ADD_WHERE = ("before", "after", "parallel")


@transaction.atomic
def approval_add_signer(*, actor: Person, approval: Approval | int, approver_id: int, person: Person, where: str,
                        comment: str = "") -> Approval:
    """加签 (APR-4): someone else signs this step too — before me (my turn
    comes back after they approve), after me, or at the same time. Added
    signers must all approve, whatever the node's mode."""
    if where not in ADD_WHERE:
        raise DomainError(_("Add the signer before, after or in parallel."), code="bad_where")
    approval = _lock(approval)
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
    _activate(approval, a.step, now=now)
    return approval


def may_withdraw(approval: Approval, person: Person, *, approvers: list[StepApprover] | None = None) -> bool:
    """`approvers`: the approval's approvers with their steps, when the caller has them."""
    if person.pk != approval.applicant_id or not approval.is_open:
        return False
    if _settings(approval).withdraw == "until_end":
        return True
    # Until the first approval by a person (automatic approvals don't count).
    if approvers is not None:
        return not any(a.state == ApproverState.APPROVED and not a.step.superseded for a in approvers)
    return not approval.approvers.filter(state=ApproverState.APPROVED, step__superseded=False).exists()


@transaction.atomic
def approval_withdraw(*, actor: Person, approval: Approval | int, reason: str = "") -> Approval:
    """撤回 (APR-4) by the applicant, until the first approval or until the end
    (the template's `withdraw`)."""
    approval = _lock(approval)
    if actor.pk != approval.applicant_id:
        raise PermissionDenied()
    if not approval.is_open:
        raise _stale()
    if not may_withdraw(approval, actor):
        raise Conflict(_("Someone has already approved it; this form cannot be withdrawn after the first "
                         "approval."), code="withdraw_too_late")
    _finish(approval, state=ApprovalState.WITHDRAWN, actor=actor, now=timezone.now(),
            note=clean_text(reason, _("Reason"), limit=500))
    return approval


def _cc_add(*, approval: Approval, people: Iterable[Person], actor: Person | None, now: datetime) -> list[Person]:
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


def involved(approval: Approval, person: Person) -> bool:
    return person.pk == approval.applicant_id or approval.approvers.filter(
        Q(person=person) | Q(acted_by=person) | Q(task__assignee=person)).exists()


@transaction.atomic
def approval_cc(*, actor: Person, approval: Approval | int, people: Sequence[Person]) -> list[Person]:
    """抄送 by hand (APR-4): the applicant or anyone asked to approve may keep
    others informed; they can then read the approval."""
    approval = _lock(approval)
    if not involved(approval, actor):
        raise PermissionDenied()
    if not people:
        raise DomainError(_("Choose whom to CC."), code="nobody")
    if any(not is_member(p) for p in people):
        raise DomainError(_("Only people of the company can be CC'd."), code="not_member")
    fresh = _cc_add(approval=approval, people=people, actor=actor, now=timezone.now())
    return fresh


def approval_urge(*, actor: Person, approval: Approval, note: str = "") -> int:
    """催办 (APR-4): remind everyone the approval waits for. The kernel limits
    how often (work.urge_min_interval_hours). Only the applicant urges here;
    a supervisor urges a late task from the inbox."""
    if actor.pk != approval.applicant_id:
        raise PermissionDenied(_("Only the applicant urges an approval."))
    pending = list(Task.objects.filter(pk__in=approval.approvers.filter(state=ApproverState.PENDING).values("task_id"),
                                       state=TaskState.OPEN))
    if not pending:
        raise Conflict(_("Nobody is pending on this approval."), code="nothing_pending")
    urged, problem = 0, None
    for task in pending:
        try:
            task_urge(actor=actor, task=task, note=note)
            urged += 1
        except DomainError as error:
            problem = error
    if not urged and problem is not None:
        raise problem
    return urged


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


# --- timeouts --------------------------------------------------------------

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
    approval = _lock(approval_id)
    a = StepApprover.objects.select_related("step", "task").get(pk=approver_id)
    task = a.task
    if (approval.state != ApprovalState.RUNNING or a.state != ApproverState.PENDING or task is None
            or task.state != TaskState.OPEN or task.due_at is None or task.due_at > now):
        return 0
    approve = a.timeout_action == TimeoutAction.APPROVE
    note = "timeout: approved automatically" if approve else "timeout: rejected automatically"
    a.state, a.acted_at, a.reason = (ApproverState.APPROVED if approve else ApproverState.REJECTED), now, "timeout"
    a.save(update_fields=["state", "acted_at", "reason"])
    _close_task(a, actor=None, outcome="timeout", note=note)
    event_record(actor=None, verb="approval.timeout", subject=approval, at=now,
                 after={"step": a.step.node_key, "approver": a.pk, "action": a.timeout_action}, note=note)
    if approve:
        _after_approve(approval, a.step, a, now=now)
        _activate(approval, a.step, now=now)
        _advance(approval, actor=None, now=now)
    else:
        a.step.state, a.step.finished_at = StepState.REJECTED, now
        a.step.save(update_fields=["state", "finished_at"])
        _finish(approval, state=ApprovalState.REJECTED, actor=None, now=now, note=note)
    return 1
