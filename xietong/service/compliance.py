"""The clauses the customer-service module judges (SUP-2; platform/owed.py):
seed 003 四3 — a case taken up and passed on in time, handled by the
department it was passed to in time, confirmed with the customer in time."""

from collections.abc import Iterator
from datetime import datetime
from typing import cast

from xietong.org.models import Person
from xietong.platform.owed import Fact, Finding, Held
from xietong.work.compliance import task_department, task_findings, tasks_decided

from .actions import KIND_CONFIRM, KIND_HANDLE, KIND_INTAKE, SUBJECT
from .models import Assignment, AssignmentState, Case


def _case(task: object) -> tuple[str, str]:
    return SUBJECT, task.subject_id  # type: ignore[attr-defined]


def passed_on_in_time(start: datetime, end: datetime) -> Iterator[Finding]:
    """S003-4.3-case-passed-on: customer service took the case up (solved it or passed it on) in time."""
    yield from task_findings(tasks_decided(KIND_INTAKE, start, end), subject=_case, department=task_department,
                             param_key="cs.intake_working_hours")


def handled_in_time(start: datetime, end: datetime) -> Iterator[Finding]:
    """S003-4.3-case-handled: the department it was passed to reported its result in time."""
    tasks = list(tasks_decided(KIND_HANDLE, start, end))
    departments = dict(Assignment.objects.filter(task__in=tasks).values_list("task_id", "department_id"))
    yield from task_findings(tasks, subject=_case, department=lambda t: departments.get(t.pk, task_department(t)),
                             param_key="cs.department_response_working_hours")


def confirmed_in_time(start: datetime, end: datetime) -> Iterator[Finding]:
    """S003-4.3-case-confirmed: customer service confirmed the result with the customer in time."""
    yield from task_findings(tasks_decided(KIND_CONFIRM, start, end), subject=_case, department=task_department,
                             param_key="cs.customer_confirm_working_hours")


# --- measures (platform/owed.py Metric) -------------------------------------------------

def _cs_department(case: Case) -> int | None:
    return case.recorded_by.primary_department_id if case.recorded_by else None


def resolution_facts(start: datetime, end: datetime) -> Iterator[Fact]:
    """service.resolution_hours: hours from receiving a case to closing it, for cases closed in the period."""
    for case in (Case.objects.filter(closed_at__gte=start, closed_at__lt=end).select_related("recorded_by")
                 .order_by("closed_at", "pk")):
        closed = cast(datetime, case.closed_at)
        yield Fact(SUBJECT, str(case.pk), _cs_department(case), case.recorded_by_id,
                   round((closed - case.created_at).total_seconds() / 3600, 2), closed)


def satisfaction_facts(start: datetime, end: datetime) -> Iterator[Fact]:
    """service.satisfaction: the customer's satisfaction (1–5) with cases closed in the period."""
    for case in (Case.objects.filter(closed_at__gte=start, closed_at__lt=end, satisfaction__isnull=False)
                 .select_related("recorded_by").order_by("closed_at", "pk")):
        yield Fact(SUBJECT, str(case.pk), _cs_department(case), case.recorded_by_id, float(case.satisfaction or 0),
                   cast(datetime, case.closed_at))


def complaint_facts(start: datetime, end: datetime) -> Iterator[Fact]:
    """service.complaints: complaints received in the period."""
    for case in (Case.objects.filter(created_at__gte=start, created_at__lt=end, complaint=True)
                 .select_related("recorded_by").order_by("created_at", "pk")):
        yield Fact(SUBJECT, str(case.pk), _cs_department(case), case.recorded_by_id, 1.0, case.created_at)


# --- holdings (platform/owed.py Holding) ---------------------------------------------------

def handled_cases(person: Person) -> list[Held]:
    """Customer cases the person is handling for their department now (the open task of a pending assignment)."""
    return [Held(SUBJECT, str(a.case_id), a.case.title, str(a.get_state_display()), a.task.due_at if a.task else None)
            for a in Assignment.objects.filter(state=AssignmentState.PENDING, task__assignee=person,
                                               task__state="open").select_related("case", "task").order_by("pk")]


def hand_over_cases(*, actor: Person, holder: Person, to: Person, ids: list[str], note: str = "") -> int:
    from .actions import case_hand_over

    moved = 0
    for assignment in Assignment.objects.filter(case_id__in=[int(i) for i in ids if str(i).isdigit()],
                                                state=AssignmentState.PENDING, task__assignee=holder,
                                                task__state="open").select_related("case").order_by("pk"):
        case_hand_over(actor=actor, assignment=assignment, holder=holder, to=to, note=note)
        moved += 1
    return moved
