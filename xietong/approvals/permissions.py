"""Who may see an approval and what they may do on it (one gate)."""

from dataclasses import dataclass, field

from django.db.models import Q
from django.http import Http404

from xietong.inputs import parse_id
from xietong.org.models import Person, Role
from xietong.org.queries import has_role, is_member
from xietong.prepared import Slot, prepared
from xietong.work.models import Task

from .models import Approval, ApprovalCc, ApproverState, Step, StepApprover
from .queries import timeline


def _sees_everything(person: Person) -> bool:
    return person.is_superuser or has_role(person, Role.AUDITOR, Role.ADMIN)


def _asked(person: Person, a: StepApprover) -> bool:
    return person.pk in (a.person_id, a.acted_by_id) or (
        a.task is not None and person.pk in (a.task.assignee_id, a.task.delegated_from_id))


_ASKED = prepared(lambda approval, person: StepApprover.objects.filter(
    Q(person=Slot("person")) | Q(acted_by=Slot("person")) | Q(task__assignee=Slot("person"))
    | Q(task__delegated_from=Slot("person")), approval=Slot("approval")).values("pk")[:1])


def can_view_approval(person: Person, approval: Approval, *, approvers: list[StepApprover] | None = None) -> bool:
    """The applicant, everyone asked to approve (and their delegates), people
    CC'd, the flow administrator, auditors and administrators; leadership
    for emergency decisions (they review them, APR-5). `approvers`: the
    approval's approvers with their tasks, when the caller has them."""
    if not person.is_active:
        return False
    if person.pk == approval.applicant_id or person.pk == approval.template.admin_id or _sees_everything(person):
        return True
    if approvers is not None:
        if any(_asked(person, a) for a in approvers):
            return True
    elif _ASKED.first(approval=approval.pk, person=person.pk) is not None:
        return True
    if ApprovalCc.objects.filter(approval=approval, person=person).exists():
        return True
    return approval.emergency and (has_role(person, Role.LEADERSHIP) or person.pk in approval.emergency_group.get(
        "reviewers", []) or Task.objects.filter(subject_type="approvals.approval", subject_id=str(approval.pk),
                                                delegated_from=person).exists())


def can_view_approval_id(person: Person, pk: str) -> bool:
    approval = Approval.objects.select_related("template").filter(pk=parse_id(pk) or 0).first()
    return approval is not None and can_view_approval(person, approval)


@dataclass
class ApprovalAccess:
    # The pending approver rows this person may act on (their own, or as a delegate).
    mine: list[StepApprover] = field(default_factory=list)
    is_applicant: bool = False
    can_withdraw: bool = False
    can_urge: bool = False
    can_cc: bool = False
    can_resubmit: bool = False
    # APR-5: the post-hoc review of an emergency decision this person may give.
    can_review: bool = False
    # Every step reached, with its approvers (queries.timeline), read once for the gate and the page.
    steps: list[Step] = field(default_factory=list)


_GATE_RELATED = ("template", "version", "applicant", "department")
_GATE = prepared(lambda pk: Approval.objects.select_related(*_GATE_RELATED).filter(pk=Slot("pk"))[:1])


def approval_gate(viewer: Person, pk: int) -> Approval:
    """The approval, for someone who may see it (404 for anyone else), as a
    verb's gate: the action then checks what they may do, so this reads only
    the row and asks the database whether they are on it, not its timeline."""
    if not is_member(viewer):
        raise Http404
    approval = _GATE.first(pk=pk)
    if approval is None or not can_view_approval(viewer, approval):
        raise Http404
    return approval


def get_approval_for_user(viewer: Person, pk: int) -> tuple[Approval, ApprovalAccess]:
    if not is_member(viewer):
        raise Http404
    try:
        approval = Approval.objects.select_related(*_GATE_RELATED).get(pk=pk)
    except Approval.DoesNotExist:
        raise Http404 from None
    steps = timeline(approval)
    approvers = [a for step in steps for a in step.approvers.all()]
    if not can_view_approval(viewer, approval, approvers=approvers):
        raise Http404
    from xietong.work.actions import may_act_on

    from .actions import may_withdraw, open_review_task

    mine = []
    if approval.state == "running" and viewer.pk != approval.applicant_id:
        mine = [a for a in approvers if a.state == ApproverState.PENDING and a.task is not None
                and may_act_on(viewer, a.task)[0]]
    applicant = viewer.pk == approval.applicant_id
    involved = applicant or any(viewer.pk in (a.person_id, a.acted_by_id)
                                or (a.task is not None and a.task.assignee_id == viewer.pk) for a in approvers)
    return approval, ApprovalAccess(
        mine=mine, is_applicant=applicant, steps=steps,
        can_withdraw=may_withdraw(approval, viewer, approvers=approvers),
        can_urge=applicant and approval.state == "running",
        can_cc=approval.is_open and involved,
        can_resubmit=applicant and approval.state == "returned",
        can_review=approval.emergency and approval.reviewed_at is None and approval.state != "running"
        and open_review_task(approval, viewer) is not None,
    )
