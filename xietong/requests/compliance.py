"""The clauses the requests module judges (SUP-2; platform/owed.py): seed 003
§5 (answer in time, finish by the agreed date, say so before the date when
you cannot) and seed 001 (the coordination office rules in time)."""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from xietong.org.models import Person
from xietong.platform.owed import Fact, Finding, Held
from xietong.work.compliance import in_time, record_departments, task_findings, tasks_decided
from xietong.work.models import Task

from .actions import KIND_DELIVER, KIND_RESPOND, KIND_RULE, SUBJECT
from .models import OPEN_STATES, DateProposal, ProposalKind, Request, RequestState


def _asked(tasks: list[Task]) -> Any:
    """The asked department of each task's request: the one answerable."""
    return record_departments(tasks, Request, "to_department_id")


def _findings(kind: str, start: datetime, end: datetime, param_key: str, **kw: object) -> Iterator[Finding]:
    tasks = list(tasks_decided(kind, start, end))
    yield from task_findings(tasks, subject=lambda t: (SUBJECT, t.subject_id), department=_asked(tasks),
                             param_key=param_key, **kw)


def responded_in_time(start: datetime, end: datetime) -> Iterator[Finding]:
    """S003-5-respond: accepted with an owner or declined with a reason by the response deadline."""
    yield from _findings(KIND_RESPOND, start, end, "request.response_working_hours",
                         passed=lambda t: in_time(t) and t.outcome in ("accepted", "declined"))


def completed_by_date(start: datetime, end: datetime) -> Iterator[Finding]:
    """S003-5-complete-by-date: delivered by the agreed date (the due time, moved only by an accepted new date)."""
    yield from _findings(KIND_DELIVER, start, end, "request.default_due_working_days")


def ruled_in_time(start: datetime, end: datetime) -> Iterator[Finding]:
    """S001-4.2-ruled-by-office: a disputed date or matter ruled on by the coordination office in time."""
    yield from _findings(KIND_RULE, start, end, "request.ruling_working_days")


def delay_told_ahead(start: datetime, end: datetime) -> Iterator[Finding]:
    """S003-5-delay-notice: every delivery that missed its date, judged by
    whether the department proposed a new date (a delay notice) before it."""
    late = [t for t in tasks_decided(KIND_DELIVER, start, end) if not in_time(t)]
    notices: dict[str, list[DateProposal]] = {}
    for proposal in (DateProposal.objects.filter(request_id__in={t.subject_pk for t in late}, kind=ProposalKind.DELAY)
                     .select_related("proposed_by").order_by("created_at")):
        notices.setdefault(str(proposal.request_id), []).append(proposal)

    def told(task: Task) -> bool:
        return any(p.created_at <= task.due_at for p in notices.get(task.subject_id, ()))  # type: ignore[operator]

    for finding in task_findings(late, subject=lambda t: (SUBJECT, t.subject_id), department=_asked(late),
                                 passed=told):
        finding.evidence["notices"] = [
            {"at": p.created_at.isoformat(), "by": p.proposed_by.name, "old_due": p.old_due_at.isoformat(),
             "new_due": p.new_due_at.isoformat(), "state": p.state} for p in notices.get(finding.subject_id, ())]
        # A failed delivery with a notice in time is decided at its due time, like any other.
        yield finding


# --- measures (platform/owed.py Metric) -------------------------------------------------

def response_facts(start: datetime, end: datetime) -> Iterator[Fact]:
    """requests.response_hours: working hours from a request to its first answer, for those answered in the period."""
    for r in (Request.objects.filter(responded_at__gte=start, responded_at__lt=end, response_minutes__isnull=False)
              .order_by("responded_at", "pk")):
        yield Fact(SUBJECT, str(r.pk), r.to_department_id, r.liaison_id, round((r.response_minutes or 0) / 60, 2),
                   r.responded_at)  # type: ignore[arg-type]


def delivered_facts(start: datetime, end: datetime) -> Iterator[Fact]:
    """requests.on_time: requests completed in the period, 1 when by the agreed date."""
    for r in (Request.objects.filter(completed_at__gte=start, completed_at__lt=end, on_time__isnull=False)
              .order_by("completed_at", "pk")):
        yield Fact(SUBJECT, str(r.pk), r.to_department_id, r.owner_id, 1.0 if r.on_time else 0.0,
                   r.completed_at)  # type: ignore[arg-type]


def rating_facts(start: datetime, end: datetime) -> Iterator[Fact]:
    """requests.rating: the requester's rating (1–5) of requests confirmed in the period."""
    for r in (Request.objects.filter(confirmed_at__gte=start, confirmed_at__lt=end, rating__isnull=False)
              .order_by("confirmed_at", "pk")):
        yield Fact(SUBJECT, str(r.pk), r.to_department_id, r.owner_id, float(r.rating or 0),
                   r.confirmed_at)  # type: ignore[arg-type]


# --- holdings (platform/owed.py Holding) ---------------------------------------------------

def owned_requests(person: Person) -> list[Held]:
    """Open requests the person delivers (the owner named on acceptance)."""
    return [Held(SUBJECT, str(r.pk), r.title, str(r.get_state_display()), r.due_at)
            for r in Request.objects.filter(owner=person, state__in=OPEN_STATES).order_by("due_at", "pk")]


def waiting_requests(person: Person) -> list[Held]:
    """Requests waiting for the person's answer as their department's liaison."""
    return [Held(SUBJECT, str(r.pk), r.title, str(r.get_state_display()), r.due_at)
            for r in Request.objects.filter(liaison=person, state=RequestState.SUBMITTED).order_by("due_at", "pk")]


def hand_over_requests(*, actor: Person, holder: Person, to: Person, ids: list[str], note: str = "") -> int:
    """The hand-over of both request holdings: each request moves whole (its liaison or its owner, and its task)."""
    from .actions import request_hand_over

    moved = 0
    for request in Request.objects.filter(pk__in=[int(i) for i in ids if str(i).isdigit()]).order_by("pk"):
        request_hand_over(actor=actor, request=request, holder=holder, to=to, note=note)
        moved += 1
    return moved
