"""The clauses the approvals module judges (SUP-2; platform/owed.py): seed
000 §3 (a purchase signed by the department head, finance and the CEO in
order, as its amount requires) and §4 (authority graded by amount: finance
joins above X). Judged by who signed, not by the template's node names, so a
template an administrator changed is held to the same rule; the thresholds
are those in force when the approval was submitted."""

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from xietong.org.models import Department, Person, Role, RoleAssignment
from xietong.platform.owed import Fact, Finding, Held
from xietong.policy.queries import param_over

from .models import Approval, ApprovalState, ApproverState, Category, StepApprover

SUBJECT = "approvals.approval"
SIGNED = (ApproverState.APPROVED, ApproverState.SKIPPED)
FINANCE, CEO = "approval.finance_threshold_yuan", "approval.ceo_threshold_yuan"


def _decided(start: datetime, end: datetime, **filters: Any) -> list[Approval]:
    return list(Approval.objects.filter(state=ApprovalState.APPROVED, finished_at__gte=start, finished_at__lt=end,
                                        amount__isnull=False, emergency=False, **filters)
                .select_related("department").order_by("pk"))


def _signatures(approvals: list[Approval]) -> dict[int, list[StepApprover]]:
    """Each approval's signatures in its last round, in the order they were given."""
    out: dict[int, list[StepApprover]] = {a.pk: [] for a in approvals}
    rounds = {a.pk: a.round for a in approvals}
    for signer in (StepApprover.objects.filter(approval__in=approvals, state__in=SIGNED, step__superseded=False,
                                               step__kind="approve")
                   .select_related("step", "acted_by", "person").order_by("acted_at", "pk")):
        if signer.step.round == rounds[signer.approval_id]:
            out[signer.approval_id].append(signer)
    return out


def _holders(role: str) -> set[int]:
    return set(RoleAssignment.objects.filter(role=role).values_list("person_id", flat=True))


def _who(signer: StepApprover) -> set[int]:
    """Whose signature it is: the approver's, and the person they acted for."""
    return {signer.person_id, *(pk for pk in (signer.acted_by_id, signer.on_behalf_of_id) if pk)}


def _thresholds(approvals: list[Approval]) -> tuple[Any, Any]:
    if not approvals:
        return (lambda moment: None), (lambda moment: None)
    made = [a.submitted_at for a in approvals]
    return (param_over(FINANCE, start=min(made), end=max(made)), param_over(CEO, start=min(made), end=max(made)))


def _judge(approval: Approval, signers: list[StepApprover], *, finance_at: Any, ceo_at: Any,
           finance: set[int], ceo: set[int], heads: dict[int, int | None], with_ceo: bool) -> Finding:
    amount = Decimal(approval.amount or 0)
    finance_threshold, ceo_threshold = Decimal(finance_at(approval.submitted_at)), Decimal(ceo_at(approval.submitted_at))
    head = heads.get(approval.department_id) if approval.department_id else None
    needed = [("head", {head} if head else set())]
    if amount > finance_threshold:
        needed.append(("finance", finance))
    if with_ceo and amount > ceo_threshold:
        needed.append(("ceo", ceo))
    found: list[dict[str, Any]] = []
    missing: list[str] = []
    last: datetime | None = None
    in_order = True
    for role, people in needed:
        signer = next((s for s in signers if _who(s) & people), None)
        if signer is None:
            missing.append(role)
            continue
        if last is not None and signer.acted_at is not None and signer.acted_at < last:
            in_order = False
        last = signer.acted_at or last
        found.append({"role": role, "who": signer.person.name, "at": signer.acted_at.isoformat() if signer.acted_at
                      else None, "state": signer.state})
    evidence = {"amount": str(amount), "submitted": approval.submitted_at.isoformat(),
                "param": {FINANCE: str(finance_threshold), **({CEO: str(ceo_threshold)} if with_ceo else {})},
                "required": [role for role, _people in needed], "signed": found, "missing": missing,
                "in_order": in_order}
    return Finding(SUBJECT, str(approval.pk), approval.department_id, not missing and in_order,
                   cast(datetime, approval.finished_at), evidence)  # the query asked for finished ones


def _findings(approvals: list[Approval], *, with_ceo: bool) -> Iterator[Finding]:
    signatures = _signatures(approvals)
    finance_at, ceo_at = _thresholds(approvals)
    finance, ceo = _holders(Role.FINANCE), _holders(Role.CEO)
    heads: dict[int, int | None] = dict(Department.objects.filter(
        pk__in={a.department_id for a in approvals if a.department_id}).values_list("pk", "head_id"))
    for approval in approvals:
        yield _judge(approval, signatures[approval.pk], finance_at=finance_at, ceo_at=ceo_at, finance=finance,
                     ceo=ceo, heads=heads, with_ceo=with_ceo)


def purchase_chain(start: datetime, end: datetime) -> Iterator[Finding]:
    """S000-3-purchase-chain: every approved purchase signed by its department's
    head, then finance above the finance threshold, then the CEO above the CEO's."""
    yield from _findings(_decided(start, end, template__category=Category.PURCHASE), with_ceo=True)


def authority_by_amount(start: datetime, end: datetime) -> Iterator[Finding]:
    """S000-4-approval-by-amount: every approved request with an amount signed
    by the head, and by finance when the amount is above the finance threshold."""
    yield from _findings(_decided(start, end), with_ceo=False)


def emergencies_reviewed(start: datetime, end: datetime) -> Iterator[Finding]:
    """S000-4-emergency-reviewed (APR-5): an emergency decision's review task done by its due time."""
    from xietong.work.compliance import record_departments, task_findings, tasks_decided

    from .actions import KIND_REVIEW

    tasks = list(tasks_decided(KIND_REVIEW, start, end))
    yield from task_findings(tasks, subject=lambda t: (SUBJECT, t.subject_id),
                             department=record_departments(tasks, Approval),
                             param_key="approval.step_timeout_working_hours")


def changes_through_approval(start: datetime, end: datetime) -> Iterator[Finding]:
    """S000-3-process-change-approved (POL-2): every change of a policy
    parameter made in [start, end) names the approval that decided it, and
    that approval was approved. An administrator's direct change fails."""
    from xietong.audit.models import Event

    events = list(Event.objects.filter(verb="policy.parameter_set", at__gte=start, at__lt=end)
                  .select_related("actor").order_by("at", "pk"))
    changes = [(event, json.loads(event.after_json or "null") or {}) for event in events]
    ids = {pk for _event, after in changes if (pk := _serial_pk(after.get("approved_in", ""))) is not None}
    approvals = {a.pk: a for a in Approval.objects.filter(pk__in=ids)}
    for event, after in changes:
        serial = str(after.get("approved_in", ""))
        approval = approvals.get(_serial_pk(serial) or 0)
        passed = approval is not None and approval.serial == serial and approval.state == ApprovalState.APPROVED
        yield Finding("policy.parameter", event.subject_id, None, passed, event.at, {
            "parameter": event.subject_id, "value": after.get("value"), "effective_from": after.get("effective_from"),
            "set_by": event.actor.name if event.actor else None, "at": event.at.isoformat(),
            "approval": serial or None, "approval_state": approval.state if approval else None, "event": event.pk})


def _serial_pk(serial: str) -> int | None:
    """SP20261201-000042 → 42."""
    _day, _sep, number = str(serial).rpartition("-")
    return int(number) if number.isdigit() else None


# --- measures (platform/owed.py Metric) -------------------------------------------------

def cycle_facts(start: datetime, end: datetime) -> Iterator[Fact]:
    """approvals.cycle_hours: hours from submission to the decision, for approvals decided in the period."""
    for a in (Approval.objects.filter(finished_at__gte=start, finished_at__lt=end,
                                      state__in=(ApprovalState.APPROVED, ApprovalState.REJECTED))
              .order_by("finished_at", "pk")):
        finished = cast(datetime, a.finished_at)
        yield Fact(SUBJECT, str(a.pk), a.department_id, a.applicant_id,
                   round((finished - a.submitted_at).total_seconds() / 3600, 2), finished)


def return_facts(start: datetime, end: datetime) -> Iterator[Fact]:
    """approvals.returns: approvals returned to their applicant in the period (an `approval.return` event each)."""
    from xietong.audit.models import Event

    events = list(Event.objects.filter(verb="approval.return", subject_type=SUBJECT, at__gte=start, at__lt=end)
                  .order_by("at", "pk").values_list("subject_id", "at", "actor_id"))
    approvals = Approval.objects.in_bulk([int(pk) for pk, _at, _who in events if pk.isdigit()])
    for subject_id, at, actor in events:
        approval = approvals.get(int(subject_id)) if subject_id.isdigit() else None
        yield Fact(SUBJECT, subject_id, approval.department_id if approval else None, actor, 1.0, at)


# --- holdings (platform/owed.py Holding) ---------------------------------------------------

def pending_approvals(person: Person) -> list[Held]:
    """Approvals waiting for the person's decision (handed over on the approval: 转交)."""
    from .models import OPEN_APPROVER_STATES

    return [Held(SUBJECT, str(a.approval_id), a.approval.title, str(a.get_state_display()), a.task.due_at if a.task else None)
            for a in StepApprover.objects.filter(person=person, state__in=OPEN_APPROVER_STATES,
                                                 approval__state=ApprovalState.RUNNING)
            .select_related("approval", "task").order_by("pk")]


def hand_over_approvals(*, actor: Person, holder: Person, to: Person, ids: list[str], note: str = "") -> int:
    """Each listed approval's open place held by `holder` goes to `to`, with its due time."""
    from .decisions import approval_hand_over
    from .models import OPEN_APPROVER_STATES

    moved = 0
    for a in StepApprover.objects.filter(approval_id__in=[int(i) for i in ids if str(i).isdigit()], person=holder,
                                         state__in=OPEN_APPROVER_STATES,
                                         approval__state=ApprovalState.RUNNING).order_by("pk"):
        approval_hand_over(actor=actor, approval=a.approval_id, approver_id=a.pk, holder=holder, to=to, note=note)
        moved += 1
    return moved


def administered_templates(person: Person) -> list[Held]:
    """Approval templates the person administers (they answer for a template's routes)."""
    from .models import FlowTemplate

    return [Held("approvals.flowtemplate", str(t.pk), t.name, "")
            for t in FlowTemplate.objects.filter(admin=person, is_active=True).order_by("pk")]
