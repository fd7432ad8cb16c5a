"""Every write to approvals (APR-1..7), the module's public surface: other
modules submit, act and read kinds through here. Pending approvals are kernel
tasks; every action is an audit event on the approval, in the same
transaction.

By topic: submitting and resubmitting, withdrawing, CC, urging and the
post-hoc review of an emergency decision are here; what an approver does is
in `decisions.py`; the walk through the plan in `engine.py`; node timeouts
in `timeouts.py`; templates and versions in `flows.py`. Each action locks
the approval's row first, then checks that what it acts on is still open: of
two actions at once exactly one takes effect and the other gets `Conflict`
with a clear message (APR-7).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.audit.trail import Subject, event_record, events_batched, subject_key
from xietong.errors import Conflict, DomainError, PermissionDenied
from xietong.inputs import clean_line, clean_text, one_line, parse_id
from xietong.org.models import Department, Person, Role
from xietong.org.queries import has_role, is_member, manager_chain, role_holders
from xietong.work.actions import may_act_on, task_complete, task_urge
from xietong.work.discussion import attachment_add
from xietong.work.models import Task, TaskState
from xietong.work.notify import notify
from xietong.work.registry import subject_exists, subject_visible

from .decisions import (
    approval_add_signer,
    approval_approve,
    approval_hand_over,
    approval_reject,
    approval_return,
    approval_transfer,
    approvals_approve_batch,
    approve_from_inbox,
    return_targets,
)
from .definition import Definition, route
from .engine import (
    APPROVE_KINDS,
    KIND_APPROVE,
    KIND_APPROVE_BATCH,
    KIND_RESUBMIT,
    KIND_REVIEW,
    advance,
    cc_add,
    finish,
    is_major,
    lock,
    open_resubmit_tasks,
    open_review_task,
    post_hoc_reviewers,
    settings_of,
    stale,
    version_definition,
)
from .forms import amount_of, form_validate
from .handlers import HANDLERS
from .models import (
    Approval,
    ApprovalState,
    ApproverState,
    FlowTemplate,
    Step,
    StepApprover,
)
from .timeouts import approver_timeout

__all__ = [
    "APPROVE_KINDS",
    "EMERGENCY_NODE",
    "Emergency",
    "FormInvalid",
    "KIND_APPROVE",
    "KIND_APPROVE_BATCH",
    "KIND_RESUBMIT",
    "KIND_REVIEW",
    "approval_add_signer",
    "approval_approve",
    "approval_cc",
    "approval_reject",
    "approval_resubmit",
    "approval_return",
    "approval_review",
    "approval_submit",
    "approval_hand_over",
    "approval_transfer",
    "approval_urge",
    "approval_withdraw",
    "approvals_approve_batch",
    "approve_from_inbox",
    "approver_timeout",
    "involved",
    "is_director",
    "is_major",
    "may_lead_emergency",
    "may_withdraw",
    "open_review_task",
    "post_hoc_reviewers",
    "return_targets",
    "version_definition",
]


EMERGENCY_NODE = "emergency"


class FormInvalid(DomainError):
    """The form has errors; `errors` maps each field key to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(gettext_lazy("The form has errors; see the fields marked."), code="form_invalid",
                         details=errors)
        self.errors = errors


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
@events_batched
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
        cc_add(approval=approval, people=emergency.members, actor=actor, now=now)
    advance(approval, actor=actor, now=now)
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


@transaction.atomic
def approval_review(*, actor: Person, approval: Approval | int, confirm: bool, comment: str = "") -> Approval:
    """APR-5: a reviewer confirms the emergency decision or objects to it.
    An objection needs a reason and goes to the applicant, the leader and
    leadership. When the last review is in, the decision is reviewed."""
    approval = lock(approval)
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


@transaction.atomic
def approval_resubmit(*, actor: Person, approval: Approval | int, data: dict[str, Any], title: str = "",
                      chosen: dict[str, list[int]] | None = None,
                      files: dict[str, list[UploadedFile]] | None = None) -> Approval:
    """The applicant resubmits a returned approval, form edited. The route is
    chosen again for the new form; with `return_resume = jump` it starts at
    the node that returned it, if that node is still on the route."""
    approval = lock(approval)
    if actor.pk != approval.applicant_id:
        raise PermissionDenied()
    if approval.state != ApprovalState.RETURNED:
        raise stale()
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
    for task in open_resubmit_tasks(approval):
        task_complete(actor=actor, task=task, outcome="resubmitted", by_module=True, notify_requester=False)
    event_record(actor=actor, verb="approval.resubmit", subject=approval, at=now, before=before,
                 after={"data": values, "amount": amount, "route": keys, "from": keys[start] if keys else ""})
    advance(approval, actor=actor, now=now)
    return approval


def may_withdraw(approval: Approval, person: Person, *, approvers: list[StepApprover] | None = None) -> bool:
    """`approvers`: the approval's approvers with their steps, when the caller has them."""
    if person.pk != approval.applicant_id or not approval.is_open:
        return False
    if settings_of(approval).withdraw == "until_end":
        return True
    # Until the first approval by a person (automatic approvals don't count).
    if approvers is not None:
        return not any(a.state == ApproverState.APPROVED and not a.step.superseded for a in approvers)
    return not approval.approvers.filter(state=ApproverState.APPROVED, step__superseded=False).exists()


@transaction.atomic
@events_batched
def approval_withdraw(*, actor: Person, approval: Approval | int, reason: str = "") -> Approval:
    """撤回 (APR-4) by the applicant, until the first approval or until the end
    (the template's `withdraw`)."""
    approval = lock(approval)
    if actor.pk != approval.applicant_id:
        raise PermissionDenied()
    if not approval.is_open:
        raise stale()
    if not may_withdraw(approval, actor):
        raise Conflict(_("Someone has already approved it; this form cannot be withdrawn after the first "
                         "approval."), code="withdraw_too_late")
    finish(approval, state=ApprovalState.WITHDRAWN, actor=actor, now=timezone.now(),
            note=clean_text(reason, _("Reason"), limit=500))
    return approval


def involved(approval: Approval, person: Person) -> bool:
    return person.pk == approval.applicant_id or approval.approvers.filter(
        Q(person=person) | Q(acted_by=person) | Q(task__assignee=person)).exists()


@transaction.atomic
def approval_cc(*, actor: Person, approval: Approval | int, people: Sequence[Person]) -> list[Person]:
    """抄送 by hand (APR-4): the applicant or anyone asked to approve may keep
    others informed; they can then read the approval."""
    approval = lock(approval)
    if not involved(approval, actor):
        raise PermissionDenied()
    if not people:
        raise DomainError(_("Choose whom to CC."), code="nobody")
    if any(not is_member(p) for p in people):
        raise DomainError(_("Only people of the company can be CC'd."), code="not_member")
    fresh = cc_add(approval=approval, people=people, actor=actor, now=timezone.now())
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
