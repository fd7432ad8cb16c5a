"""Reads of approvals shared by the pages and the API."""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from xietong.audit.trail import Subject, subject_key
from xietong.org.models import Department, Person
from xietong.prepared import Slot, prepared

from .actions import version_definition
from .definition import FieldDef
from .forms import display_value, field_label
from .models import Approval, ApprovalCc, ApproverState, FlowTemplate, Step, StepApprover

BOXES = ("todo", "done", "started", "cc")


def pending_for(person: Person) -> QuerySet[StepApprover]:
    """待我审批: pending approvers whose task this person holds (their own, or
    as a delegate)."""
    return (StepApprover.objects.filter(state=ApproverState.PENDING, task__assignee=person)
            .select_related("approval", "approval__template", "approval__version", "approval__applicant", "step",
                            "task", "person")
            .order_by("task__due_at", "pk"))


def box(person: Person, name: str) -> QuerySet[Approval]:
    """我发起的 / 我已审批 / 抄送我的, newest first."""
    base = Approval.objects.select_related("template", "applicant")
    if name == "started":
        return base.filter(applicant=person).order_by("-submitted_at", "-pk")
    if name == "done":
        acted = StepApprover.objects.filter(acted_by=person).values("approval_id")
        return base.filter(pk__in=acted).order_by("-submitted_at", "-pk")
    if name == "cc":
        copied = ApprovalCc.objects.filter(person=person).values("approval_id")
        return base.filter(pk__in=copied).order_by("-submitted_at", "-pk")
    raise ValueError(name)


def open_templates() -> QuerySet[FlowTemplate]:
    return FlowTemplate.objects.filter(is_active=True, system=False, current_version__isnull=False).order_by(
        "category", "key")


@dataclass
class Row:
    field: FieldDef
    label: str
    value: Any
    rows: list[list[Any]] | None = None  # a table's cells
    columns: list[str] | None = None


def form_rows(approval: Approval) -> list[Row]:
    """The form as label/value rows, people and departments by name."""
    definition = version_definition(approval.version)
    data = approval.data
    person_ids, department_ids = set(), set()
    for f in definition.form:
        fields = f.columns if f.type == "table" else [f]
        values = data.get(f.key) if f.type == "table" else [{f.key: data.get(f.key)}]
        for row in values or []:
            for c in fields:
                v = row.get(c.key)
                if v and c.type == "person":
                    person_ids.add(int(v))
                if v and c.type == "department":
                    department_ids.add(int(v))
    people = {p.pk: p for p in Person.objects.filter(pk__in=person_ids)}
    departments = {d.pk: d for d in Department.objects.filter(pk__in=department_ids)}
    out = []
    for f in definition.form:
        if f.type == "attachment":
            continue
        if f.type == "table":
            cells = [[display_value(c, row.get(c.key), people, departments) for c in f.columns]
                     for row in data.get(f.key) or []]
            out.append(Row(field=f, label=field_label(f), value="", rows=cells,
                           columns=[field_label(c) for c in f.columns]))
        else:
            out.append(Row(field=f, label=field_label(f), value=display_value(f, data.get(f.key), people, departments)))
    return out


def approvals_for(subject: Subject) -> QuerySet[Approval]:
    """The approvals a record was submitted to, newest first (APR as a
    service: a project's, a document's, a booking's)."""
    subject_type, subject_id = subject_key(subject)
    return (Approval.objects.filter(subject_type=subject_type, subject_id=subject_id)
            .select_related("template", "applicant").order_by("-submitted_at", "-pk"))


# What the timeline shows of each person, and what the gate reads of each task:
# six joined rows of every column cost more to build than the rest of the page.
_PEOPLE = ("person", "acted_by", "on_behalf_of", "added_by", "task__assignee")
_TIMELINE_FIELDS = (
    *[f.attname for f in StepApprover._meta.concrete_fields],
    *[f"{who}__{field}" for who in _PEOPLE for field in ("id", "username", "name", "is_active")],
    *[f"task__{field}" for field in ("id", "kind", "state", "due_at", "assignee_id", "delegated_from_id",
                                     "assignee_role", "assignee_department_id", "major", "requester_id")],
)


_STEPS = prepared(lambda approval: Step.objects.filter(approval=Slot("approval")).order_by("started_at", "pk"))
_APPROVERS = prepared(lambda approval: StepApprover.objects.select_related(
    "person", "acted_by", "on_behalf_of", "added_by", "task", "task__assignee").only(*_TIMELINE_FIELDS)
    .filter(approval=Slot("approval")).order_by("position", "pk"))


def timeline(approval: Approval) -> list[Step]:
    """Every step reached, oldest first, with its approvers (`step.approvers.all()`,
    in position order): two prepared reads, the approvers grouped here rather
    than by a prefetch, which would build a filter per step."""
    steps = _STEPS.all(approval=approval.pk)
    by_step: dict[int, list[StepApprover]] = {s.pk: [] for s in steps}
    for a in _APPROVERS.all(approval=approval.pk):
        by_step[a.step_id].append(a)
    for s in steps:
        rows = StepApprover.objects.all()
        rows._result_cache, rows._prefetch_done = by_step[s.pk], True  # type: ignore[attr-defined]
        for a in by_step[s.pk]:
            a.step = s
        s._prefetched_objects_cache = {"approvers": rows}  # type: ignore[attr-defined]
    return steps
