"""Every write to a collaboration request (REQ-1..4).

    r = request_submit(actor=liuyang, to_department=tech, title="充电桩固件升级支持", requested_date=date(...))
    request_accept(actor=machao, request=r, owner=zhengkai)             # or new_date=…, reason=… to counter-propose
    request_propose_date(actor=zhengkai, request=r, new_date=…, reason=…)  # before the due time only
    request_decide_date(actor=liuyang, request=r, accept=False)          # → the coordination office rules
    request_complete(actor=zhengkai, request=r, result="…")
    request_confirm(actor=liuyang, request=r, rating=5, comment="…")     # or request_reopen(…)

Each action locks the request row, checks the state and the person, changes
the row, closes and opens kernel tasks and appends one event, in one
transaction. Of two people acting at once, one wins; the other gets
`Conflict` ("this request has moved on").
"""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong.audit.trail import event_record, events_batched
from xietong.errors import Conflict, DomainError, PermissionDenied
from xietong.fastsql import create_objects
from xietong.inputs import check_date, clean_line, clean_text
from xietong.org.models import Department, DepartmentKind, Membership, Person, Role
from xietong.org.principal import Principal
from xietong.org.queries import department_head, department_liaison, has_role
from xietong.policy.calendar import WorkingCalendar, assumption_note
from xietong.policy.queries import param
from xietong.work.actions import (
    may_act_on,
    task_close,
    task_create,
    task_hand_over,
    task_reschedule,
)
from xietong.work.models import Priority, Task, TaskState
from xietong.work.notify import notify

from .models import DateProposal, ProposalKind, ProposalState, Request, RequestState, Update

SUBJECT = "requests.request"
KIND_RESPOND = "requests.respond"
KIND_DELIVER = "requests.deliver"
KIND_DECIDE_DATE = "requests.decide_date"
KIND_CONFIRM = "requests.confirm"
KIND_RULE = "requests.rule"
MAX_TEXT = 4000


# --- helpers ---------------------------------------------------------------

def _calendar(now: datetime) -> WorkingCalendar:
    return WorkingCalendar.load(at=now, lenient=True)


def _assumed(calendar: WorkingCalendar | None) -> dict[str, Any]:
    """The years a date was counted Monday–Friday in (their calendar not
    entered yet), on the record's event, so that its page can say so."""
    return {"calendar_assumed": sorted(calendar.assumed_years)} if calendar and calendar.assumed_years else {}


def _text(value: Any, label: Any, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    return clean_text(value, label, limit=limit, required=required)


def _deadline(day: date, *, now: datetime, calendar: WorkingCalendar, label: Any) -> datetime:
    """A date someone typed, as the end of that working day; refused when it
    is past or not a working day."""
    if not isinstance(day, date):
        raise DomainError(_("%(field)s is not a valid date.") % {"field": label}, code="bad_date")
    check_date(day, label)
    if day < calendar.local_date(now):
        raise DomainError(_("%(field)s cannot be in the past.") % {"field": label}, code="date_past")
    if not calendar.is_working_day(day):
        raise DomainError(_("%(field)s (%(date)s) is not a working day.") % {"field": label, "date": day},
                          code="not_working_day")
    return calendar.end_of_day(day)


def in_department(person: Person, department: Department) -> bool:
    """A member of the department or of one of its groups."""
    return Membership.objects.filter(person=person, department__path__startswith=department.path).exists()


def open_tasks(request: Request) -> QuerySet[Task]:
    """What the request is waiting for."""
    return Task.objects.filter(subject_type=SUBJECT, subject_id=str(request.pk), state=TaskState.OPEN)


def open_task(request: Request, kind: str, *, tasks: Sequence[Task] | None = None) -> Task | None:
    """The open task of that kind; from `tasks` (the request's open tasks) when the caller has them."""
    if tasks is not None:
        return next((task for task in tasks if task.kind == kind), None)
    return open_tasks(request).filter(kind=kind).select_related("assignee").first()


def _lock(request: Request) -> Request:
    return Request.objects.select_for_update(of=("self",)).select_related(
        "requester", "from_department", "to_department", "owner", "liaison", "service").get(pk=request.pk)


def _moved_on() -> Conflict:
    return Conflict(_("This request has moved on in the meantime. Reload the page to see where it is."),
                    code="stale")


def _state_is(request: Request, *states: str) -> None:
    if request.state not in states:
        raise _moved_on()


def _close(request: Request, kind: str, *, outcome: str, actor: Person | None, note: str = "",
           now: datetime) -> None:
    task = open_task(request, kind)
    if task is not None:
        task_close(task=task, outcome=outcome, actor=actor, note=note, now=now)


def _tell(request: Request, people: Sequence[Person | None], *, key: str, title: Any, body: str = "",
          actor: Person | None = None) -> None:
    recipients = [p for p in {p.pk: p for p in people if p is not None}.values() if actor is None or p.pk != actor.pk]
    if recipients:
        notify(recipients=recipients, kind="request_update", key=f"request:{request.pk}:{key}",
               url=f"/requests/{request.pk}/", title=title, body=body)


def is_head_of(person: Person, department: Department) -> bool:
    if not Principal.of(person).headed:
        return False  # heads nothing: no department's (or its vacancy's) head
    head = department_head(department)
    return head is not None and head.pk == person.pk


def may_receive(person: Person, request: Request, *, tasks: Sequence[Task] | None = None) -> bool:
    """Accept or decline: whoever holds the respond task (the liaison or
    their delegate), or the head of the asked department."""
    task = open_task(request, KIND_RESPOND, tasks=tasks)
    if task is not None and may_act_on(person, task)[0]:
        return True
    return is_head_of(person, request.to_department)


def may_deliver(person: Person, request: Request, *, tasks: Sequence[Task] | None = None) -> bool:
    """Report progress, give notice of delay, complete, ask a third department:
    the owner (or their delegate), or the head of the asked department."""
    task = open_task(request, KIND_DELIVER, tasks=tasks)
    if task is not None and may_act_on(person, task)[0]:
        return True
    return person.pk == request.owner_id or is_head_of(person, request.to_department)


def may_answer_as_requester(person: Person, request: Request, kind: str, *,
                            tasks: Sequence[Task] | None = None) -> bool:
    if person.pk == request.requester_id:
        return True
    task = open_task(request, kind, tasks=tasks)
    return task is not None and may_act_on(person, task)[0]


def _respond_task(request: Request, *, actor: Person | None, now: datetime) -> Task:
    liaison = request.liaison
    if liaison is None:  # pragma: no cover — set at submission
        raise ValueError("a request without a receiver")
    hours = request.service.response_working_hours if request.service else None
    return task_create(
        kind=KIND_RESPOND, subject=request, actor=actor, assignee=liaison, requester=request.requester,
        title=str(_("Accept or decline: %(title)s")) % {"title": request.title},
        url=f"/requests/{request.pk}/", priority=request.priority, now=now,
        **({"due_working_hours": hours} if hours else {"due_param": "request.response_working_hours"}))


def _deliver_task(request: Request, *, actor: Person | None, now: datetime) -> Task:
    if request.owner is None:  # pragma: no cover — set on acceptance
        raise ValueError("a request without an owner")
    return task_create(
        kind=KIND_DELIVER, subject=request, actor=actor, assignee=request.owner, requester=request.requester,
        title=str(_("Deliver: %(title)s")) % {"title": request.title}, url=f"/requests/{request.pk}/",
        due_at=request.due_at, priority=request.priority, now=now)


def _snapshot(request: Request) -> dict[str, Any]:
    return {"state": request.state, "owner": request.owner_id, "due_at": request.due_at}


# --- submitting ------------------------------------------------------------

@transaction.atomic
@events_batched
def request_submit(*, actor: Person, to_department: Department, title: str, reason: str = "",
                   expected_result: str = "", requested_date: date | None = None, priority: int = Priority.NORMAL,
                   service: Any = None, from_department: Department | None = None, parent: Request | None = None,
                   files: Sequence[UploadedFile] = (), now: datetime | None = None) -> Request:
    """Ask another department (REQ-1). Routed to its liaison for the
    requesting department (ORG-3), else its general liaison, else its head."""
    now = now or timezone.now()
    title = clean_line(title, _("What is needed"), required=True, limit=200)
    reason = _text(reason, _("Why"))
    expected_result = _text(expected_result, _("Expected result"))
    if priority not in Priority.values:
        raise DomainError(_("Unknown priority."), code="bad_priority")
    if parent is not None:
        parent = _lock(parent)
        _state_is(parent, RequestState.ACCEPTED)
        if not may_deliver(actor, parent):
            raise PermissionDenied()
        from_department = parent.to_department
    elif from_department is None:
        from_department = actor.primary_department
        if from_department is None:
            raise DomainError(_("You belong to no department, so you cannot ask one for help."),
                              code="no_department")
    elif not in_department(actor, from_department):
        raise PermissionDenied(_("You can only ask on behalf of a department you belong to."))
    if not to_department.is_active:
        raise DomainError(_("That department no longer exists."), code="inactive_department")
    if DepartmentKind.COMPANY in (to_department.kind, from_department.kind):
        # Every member belongs to the company: a request to or from it would be everyone's to read.
        raise DomainError(_("A request goes between departments, not to or from the whole company."),
                          code="company_root")
    if to_department.pk == from_department.pk or (parent is not None and to_department.pk == parent.from_department_id):
        raise DomainError(_("Ask another department: a sub-request goes to a third department.")
                          if parent is not None else _("A request goes to another department than your own."),
                          code="same_department")
    if service is not None and (not service.is_active or not service.offered
                                or service.department_id != to_department.pk):
        raise DomainError(_("That service is not offered by %(department)s.")
                              % {"department": to_department.name}, code="bad_service")
    calendar = _calendar(now)
    if requested_date is not None:
        due_at = _deadline(requested_date, now=now, calendar=calendar, label=_("Requested date"))
    else:
        days = (service.delivery_working_days if service is not None else None) or int(
            param("request.default_due_working_days", at=now))
        due_at = calendar.add_working_days(now, days)
    liaison = department_liaison(to_department, partner=from_department)
    if liaison is None:
        raise DomainError(_("%(department)s has neither a liaison nor a head to receive requests. "
                            "Ask an administrator to name one.") % {"department": to_department.name},
                          code="no_receiver")
    (request,) = create_objects([Request(
        title=title, reason=reason, expected_result=expected_result, requester=actor,
        from_department=from_department, to_department=to_department, service=service, priority=priority,
        requested_date=requested_date, due_at=due_at, liaison=liaison, parent=parent, created_at=now)])
    event_record(actor=actor, verb="request.submit", subject=request, at=now, first=True, after={
        "title": title, "from": from_department.pk, "to": to_department.pk, "liaison": liaison.pk,
        "due_at": due_at, "priority": priority, "service": service.pk if service else None,
        "parent": parent.pk if parent else None, **_assumed(calendar)}, note=assumption_note(calendar))
    if parent is not None:
        event_record(actor=actor, verb="request.sub_request", subject=parent, at=now,
                     after={"child": request.pk, "to": to_department.pk})
    _respond_task(request, actor=actor, now=now)
    if files:
        from xietong.work.discussion import attachment_add

        for upload in files:
            attachment_add(actor=actor, subject=request, upload=upload)
    return request


# --- the receiving side ----------------------------------------------------

@transaction.atomic
@events_batched
def request_accept(*, actor: Person, request: Request, owner: Person, new_date: date | None = None,
                   reason: str = "", now: datetime | None = None) -> Request:
    """Accept (REQ-2): name the owner, confirm the date, or counter-propose
    another (the requester must agree; the due time changes only then)."""
    now = now or timezone.now()
    request = _lock(request)
    _state_is(request, RequestState.SUBMITTED)
    if not may_receive(actor, request):
        raise PermissionDenied()
    if not owner.is_active or not in_department(owner, request.to_department):
        raise DomainError(_("The owner must be an active member of %(department)s.")
                          % {"department": request.to_department.name}, code="bad_owner")
    calendar = _calendar(now)
    counter_at = None
    if new_date is not None:
        counter_at = _deadline(new_date, now=now, calendar=calendar, label=_("Proposed date"))
        if counter_at == request.due_at:
            counter_at = None
        else:
            reason = _text(reason, _("Reason for another date"), required=True)
    before = _snapshot(request)
    first_answer = request.responded_at is None
    request.state, request.owner = RequestState.ACCEPTED, owner
    request.responded_at = request.responded_at or now
    if first_answer:
        request.response_minutes = int(calendar.working_time_between(request.created_at, now).total_seconds() // 60)
    request.save(update_fields=["state", "owner", "responded_at", "response_minutes"])
    _close(request, KIND_RESPOND, outcome="accepted", actor=actor, now=now)
    _deliver_task(request, actor=actor, now=now)
    event_record(actor=actor, verb="request.accept", subject=request, at=now, before=before,
                 after={**_snapshot(request), **_assumed(calendar)}, note=assumption_note(calendar))
    _tell(request, [request.requester], key="accepted", actor=actor,
          title=lambda: str(_("%(department)s accepted: %(title)s (owner %(owner)s)"))
          % {"department": request.to_department.name, "title": request.title, "owner": owner.name})
    if counter_at is not None:
        _proposal_open(request, actor=actor, kind=ProposalKind.COUNTER, new_due_at=counter_at, reason=reason,
                       now=now, calendar=calendar)
    return request


@transaction.atomic
def request_decline(*, actor: Person, request: Request, reason: str, now: datetime | None = None) -> Request:
    """Decline with a reason (REQ-2). Not after the coordination office ruled
    that the department must take it."""
    now = now or timezone.now()
    request = _lock(request)
    _state_is(request, RequestState.SUBMITTED)
    if not may_receive(actor, request):
        raise PermissionDenied()
    if request.must_accept:
        raise DomainError(_("The coordination office ruled that %(department)s must take this request.")
                          % {"department": request.to_department.name}, code="must_accept")
    reason = _text(reason, _("Reason for declining"), required=True)
    before = _snapshot(request)
    request.state, request.decline_reason = RequestState.DECLINED, reason
    if request.responded_at is None:
        request.responded_at = now
        request.response_minutes = int(
            _calendar(now).working_time_between(request.created_at, now).total_seconds() // 60)
    request.save(update_fields=["state", "decline_reason", "responded_at", "response_minutes"])
    _close(request, KIND_RESPOND, outcome="declined", actor=actor, note=reason, now=now)
    event_record(actor=actor, verb="request.decline", subject=request, at=now, before=before,
                 after=_snapshot(request), note=reason)
    _tell(request, [request.requester], key="declined", actor=actor, body=reason,
          title=lambda: str(_("%(department)s declined: %(title)s"))
          % {"department": request.to_department.name, "title": request.title})
    return request


def _proposal_open(request: Request, *, actor: Person, kind: str, new_due_at: datetime, reason: str,
                   now: datetime, calendar: WorkingCalendar | None = None) -> DateProposal:
    proposal = DateProposal.objects.create(request=request, kind=kind, proposed_by=actor, old_due_at=request.due_at,
                                           new_due_at=new_due_at, reason=reason, created_at=now)
    task_create(kind=KIND_DECIDE_DATE, subject=request, actor=actor, assignee=request.requester,
                title=str(_("New date proposed: %(title)s")) % {"title": request.title},
                url=f"/requests/{request.pk}/", due_param="request.date_decision_working_hours", now=now)
    event_record(actor=actor, verb="request.propose_date", subject=request, at=now,
                 note="; ".join(filter(None, [reason, assumption_note(calendar)])),
                 before={"due_at": request.due_at}, after={"proposed_due_at": new_due_at, "kind": kind,
                                                           "proposal": proposal.pk, **_assumed(calendar)})
    return proposal


@transaction.atomic
def request_propose_date(*, actor: Person, request: Request, new_date: date, reason: str,
                         now: datetime | None = None) -> DateProposal:
    """延期说明 (REQ-2, seed 003 §5): before the due time, say why it cannot be
    met and propose a new date. After the due time it is too late: the task
    is overdue and escalates."""
    now = now or timezone.now()
    request = _lock(request)
    _state_is(request, RequestState.ACCEPTED)
    if not may_deliver(actor, request):
        raise PermissionDenied()
    if now >= request.due_at:
        raise DomainError(_("The due time has passed: a delay must be announced before it. "
                            "Finish the work or explain to the requester."), code="too_late")
    if request.proposals.filter(state__in=[ProposalState.PENDING, ProposalState.REJECTED]).exists():
        raise DomainError(_("A proposed date is already waiting for an answer."), code="proposal_pending")
    reason = _text(reason, _("Reason for the delay"), required=True)
    calendar = _calendar(now)
    new_due_at = _deadline(new_date, now=now, calendar=calendar, label=_("Proposed date"))
    if new_due_at <= request.due_at:
        raise DomainError(_("The proposed date must be later than the current due date."), code="not_later")
    return _proposal_open(request, actor=actor, kind=ProposalKind.DELAY, new_due_at=new_due_at, reason=reason,
                          now=now, calendar=calendar)


def _set_due(request: Request, due_at: datetime, *, actor: Person | None, note: str, now: datetime) -> None:
    request.due_at = due_at
    request.save(update_fields=["due_at"])
    task = open_task(request, KIND_DELIVER)
    if task is not None:
        task_reschedule(actor=actor, task=task, due_at=due_at, note=note, now=now)


@transaction.atomic
def request_decide_date(*, actor: Person, request: Request, accept: bool, note: str = "",
                        now: datetime | None = None) -> DateProposal:
    """The requester agrees to the proposed date, or disputes it: then the
    coordination office rules, and the current date stands until it does."""
    now = now or timezone.now()
    request = _lock(request)
    _state_is(request, RequestState.ACCEPTED)
    proposal = request.proposals.filter(state=ProposalState.PENDING).first()
    if proposal is None:
        raise _moved_on()
    if not may_answer_as_requester(actor, request, KIND_DECIDE_DATE):
        raise PermissionDenied()
    note = _text(note, _("Comment"))
    if not accept and not note:
        raise DomainError(_("Say why you cannot accept the new date."), code="reason_required")
    proposal.state = ProposalState.ACCEPTED if accept else ProposalState.REJECTED
    proposal.decided_by, proposal.decided_at, proposal.decision_note = actor, now, note
    proposal.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    _close(request, KIND_DECIDE_DATE, outcome="accepted" if accept else "rejected", actor=actor, note=note, now=now)
    if accept:
        before = request.due_at
        _set_due(request, proposal.new_due_at, actor=actor, note="new date agreed", now=now)
        event_record(actor=actor, verb="request.date_accepted", subject=request, at=now, note=note,
                     before={"due_at": before}, after={"due_at": request.due_at, "proposal": proposal.pk})
        _tell(request, [request.owner, proposal.proposed_by], key=f"date:{proposal.pk}", actor=actor,
              title=lambda: str(_("New date agreed: %(title)s")) % {"title": request.title})
    else:
        _ruling_task(request, actor=actor, now=now,
                     title=str(_("Rule on a disputed date: %(title)s")) % {"title": request.title})
        event_record(actor=actor, verb="request.date_disputed", subject=request, at=now, note=note,
                     after={"proposal": proposal.pk})
        _tell(request, [request.owner, proposal.proposed_by], key=f"date:{proposal.pk}", actor=actor, body=note,
              title=lambda: str(_("New date disputed; the coordination office will rule: %(title)s"))
              % {"title": request.title})
    return proposal


# --- progress and delivery -------------------------------------------------

@transaction.atomic
def request_update(*, actor: Person, request: Request, body: str, percent: int | None = None,
                   now: datetime | None = None) -> Update:
    now = now or timezone.now()
    request = _lock(request)
    _state_is(request, RequestState.ACCEPTED)
    if not may_deliver(actor, request):
        raise PermissionDenied()
    body = _text(body, _("Progress"), required=True)
    if percent is not None and (isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100):
        raise DomainError(_("Progress must be between 0 and 100 %."), code="bad_percent")
    update = Update.objects.create(request=request, author=actor, body=body, percent=percent, created_at=now)
    event_record(actor=actor, verb="request.update", subject=request, at=now, note=body,
                 after={"percent": percent})
    _tell(request, [request.requester], key=f"update:{update.pk}", actor=actor, body=body,
          title=lambda: str(_("Progress on: %(title)s")) % {"title": request.title})
    return update


@transaction.atomic
def request_complete(*, actor: Person, request: Request, result: str, now: datetime | None = None) -> Request:
    """Done (REQ-3): the requester now confirms and rates, or reopens; without
    an answer it is confirmed after `request.auto_confirm_working_days`."""
    now = now or timezone.now()
    request = _lock(request)
    _state_is(request, RequestState.ACCEPTED)
    if not may_deliver(actor, request):
        raise PermissionDenied()
    result = _text(result, _("Result"), required=True)
    if request.proposals.filter(state=ProposalState.PENDING).update(state=ProposalState.WITHDRAWN, decided_at=now):
        # Finishing makes the proposed new date moot.
        _close(request, KIND_DECIDE_DATE, outcome="moot", actor=actor, now=now)
    before = _snapshot(request)
    request.state, request.result, request.completed_at = RequestState.COMPLETED, result, now
    if request.on_time is None:
        request.on_time = now <= request.due_at
    request.save(update_fields=["state", "result", "completed_at", "on_time"])
    _close(request, KIND_DELIVER, outcome="completed", actor=actor, note=result, now=now)
    task_create(kind=KIND_CONFIRM, subject=request, actor=actor, assignee=request.requester,
                title=str(_("Confirm and rate: %(title)s")) % {"title": request.title},
                # Due after request.auto_confirm_working_days (the kind's due_param); confirmed
                # by its timeout action (request_confirm_timeout) when nobody answers.
                url=f"/requests/{request.pk}/", escalates=False, now=now)
    event_record(actor=actor, verb="request.complete", subject=request, at=now, before=before,
                 after={**_snapshot(request), "on_time": request.on_time}, note=result)
    return request


@transaction.atomic
def request_confirm(*, actor: Person, request: Request, rating: Any, comment: str = "",
                    now: datetime | None = None) -> Request:
    """The requester confirms with a rating of 1–5 (REQ-3; feeds satisfaction)."""
    now = now or timezone.now()
    text = str(rating if rating is not None else "").strip()
    rating = int(text) if text in {"1", "2", "3", "4", "5"} else 0
    if not 1 <= rating <= 5:
        raise DomainError(_("Give a rating from 1 to 5."), code="bad_rating")
    comment = _text(comment, _("Comment"))
    if rating <= 2 and not comment:
        raise DomainError(_("A rating of 1 or 2 needs a comment saying what went wrong."), code="comment_required")
    request = _lock(request)
    _state_is(request, RequestState.COMPLETED)
    if not may_answer_as_requester(actor, request, KIND_CONFIRM):
        raise PermissionDenied()
    return _confirm(request, actor=actor, rating=rating, comment=comment, now=now)


def _confirm(request: Request, *, actor: Person | None, rating: int | None, comment: str, now: datetime) -> Request:
    before = _snapshot(request)
    request.state, request.confirmed_at = RequestState.CONFIRMED, now
    request.rating, request.rating_comment, request.auto_confirmed = rating, comment, actor is None
    request.save(update_fields=["state", "confirmed_at", "rating", "rating_comment", "auto_confirmed"])
    _close(request, KIND_CONFIRM, outcome="confirmed" if actor else "auto_confirmed", actor=actor,
           note=comment, now=now)
    event_record(actor=actor, verb="request.confirm" if actor else "request.auto_confirm", subject=request, at=now,
                 before=before, after={**_snapshot(request), "rating": rating}, note=comment)
    _tell(request, [request.owner, request.liaison], key="confirmed", actor=actor, body=comment,
          title=lambda: (str(_("Confirmed, rated %(rating)s/5: %(title)s")) % {"rating": rating,
                                                                              "title": request.title})
          if rating else str(_("Confirmed automatically: %(title)s")) % {"title": request.title})
    return request


@transaction.atomic
def request_reopen(*, actor: Person, request: Request, reason: str, now: datetime | None = None) -> Request:
    """Not done after all: back to the owner with the requester's words."""
    now = now or timezone.now()
    request = _lock(request)
    _state_is(request, RequestState.COMPLETED)
    if not may_answer_as_requester(actor, request, KIND_CONFIRM):
        raise PermissionDenied()
    reason = _text(reason, _("What is still missing"), required=True)
    before = _snapshot(request)
    days = int(param("request.reopen_working_days", at=now))
    request.state, request.reopen_count = RequestState.ACCEPTED, request.reopen_count + 1
    calendar = _calendar(now)
    request.due_at = calendar.add_working_days(now, days)
    request.save(update_fields=["state", "reopen_count", "due_at"])
    _close(request, KIND_CONFIRM, outcome="reopened", actor=actor, note=reason, now=now)
    if request.owner is not None and not request.owner.is_active:
        request.owner = request.liaison
        request.save(update_fields=["owner"])
    _deliver_task(request, actor=actor, now=now)
    event_record(actor=actor, verb="request.reopen", subject=request, at=now, before=before,
                 after={**_snapshot(request), **_assumed(calendar)},
                 note="; ".join(filter(None, [reason, assumption_note(calendar)])))
    _tell(request, [request.owner], key=f"reopened:{request.reopen_count}", actor=actor, body=reason,
          title=lambda: str(_("Reopened by the requester: %(title)s")) % {"title": request.title})
    return request


# --- the requester's other moves ------------------------------------------

@transaction.atomic
def request_withdraw(*, actor: Person, request: Request, reason: str = "", now: datetime | None = None) -> Request:
    """No longer needed: until the work is completed."""
    now = now or timezone.now()
    request = _lock(request)
    _state_is(request, RequestState.SUBMITTED, RequestState.ACCEPTED, RequestState.DECLINED)
    if actor.pk != request.requester_id:
        raise PermissionDenied()
    before = _snapshot(request)
    request.state = RequestState.WITHDRAWN
    request.save(update_fields=["state"])
    for task in open_tasks(request):
        task_close(task=task, outcome="withdrawn", actor=actor, note=reason, now=now)
    request.proposals.filter(state=ProposalState.PENDING).update(state=ProposalState.WITHDRAWN, decided_at=now)
    event_record(actor=actor, verb="request.withdraw", subject=request, at=now, before=before,
                 after=_snapshot(request), note=reason)
    _tell(request, [request.owner, request.liaison], key="withdrawn", actor=actor, body=reason,
          title=lambda: str(_("Withdrawn by the requester: %(title)s")) % {"title": request.title})
    return request


def _ruling_task(request: Request, *, actor: Person, now: datetime, title: str) -> Task:
    return task_create(kind=KIND_RULE, subject=request, actor=actor, role=Role.COORDINATION_OFFICE,
                       requester=request.requester, title=title, url=f"/requests/{request.pk}/",
                       due_param="request.ruling_working_days", now=now)


@transaction.atomic
def request_escalate(*, actor: Person, request: Request, reason: str, now: datetime | None = None) -> Request:
    """A declined request goes to the coordination office for a ruling (REQ-4;
    the disputes module will take this over)."""
    now = now or timezone.now()
    request = _lock(request)
    _state_is(request, RequestState.DECLINED)
    if actor.pk != request.requester_id and not is_head_of(actor, request.from_department):
        raise PermissionDenied()
    reason = _text(reason, _("Why the request should be taken"), required=True)
    before = _snapshot(request)
    request.state = RequestState.IN_RULING
    request.save(update_fields=["state"])
    _ruling_task(request, actor=actor, now=now,
                 title=str(_("Rule on a declined request: %(title)s")) % {"title": request.title})
    event_record(actor=actor, verb="request.escalate", subject=request, at=now, before=before,
                 after=_snapshot(request), note=reason)
    return request


def pending_ruling(request: Request, *, proposals: Sequence[DateProposal] | None = None) -> str:
    """What the coordination office is asked to rule on: "decline", "date" or "".
    `proposals`: the request's date proposals, when the caller has them."""
    if request.state == RequestState.IN_RULING:
        return "decline"
    if request.state != RequestState.ACCEPTED:
        return ""
    if proposals is not None:
        return "date" if any(p.state == ProposalState.REJECTED for p in proposals) else ""
    return "date" if request.proposals.filter(state=ProposalState.REJECTED).exists() else ""


@transaction.atomic
def request_rule(*, actor: Person, request: Request, for_requester: bool, note: str,
                 now: datetime | None = None) -> Request:
    """The coordination office rules. On a decline: the department must take
    the request (back to its liaison, who can no longer decline), or the
    decline stands. On a date: the original date stands, or the new one."""
    now = now or timezone.now()
    request = _lock(request)
    kind = pending_ruling(request)
    if not kind:
        raise _moved_on()
    if not has_role(actor, Role.COORDINATION_OFFICE):
        raise PermissionDenied()
    note = _text(note, _("Ruling"), required=True)
    outcome = "for_requester" if for_requester else "for_department"
    before = _snapshot(request)
    _close(request, KIND_RULE, outcome=outcome, actor=actor, note=note, now=now)
    if kind == "decline":
        if for_requester:
            request.state, request.must_accept = RequestState.SUBMITTED, True
            request.liaison = department_liaison(request.to_department, partner=request.from_department) \
                or request.liaison
            request.save(update_fields=["state", "must_accept", "liaison"])
            _respond_task(request, actor=actor, now=now)
        else:
            request.state = RequestState.DECLINED
            request.save(update_fields=["state"])
    else:
        proposal = request.proposals.get(state=ProposalState.REJECTED)
        proposal.state = ProposalState.RULED_KEPT if for_requester else ProposalState.RULED_NEW
        proposal.decided_by, proposal.decided_at, proposal.decision_note = actor, now, note
        proposal.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        if not for_requester:
            _set_due(request, proposal.new_due_at, actor=actor, note="new date by ruling", now=now)
    event_record(actor=actor, verb="request.rule", subject=request, at=now, before=before,
                 after={**_snapshot(request), "on": kind, "outcome": outcome}, note=note)
    _tell(request, [request.requester, request.owner, request.liaison], key=f"ruling:{kind}:{now.timestamp():.0f}",
          actor=actor, body=note,
          title=lambda: str(_("The coordination office ruled on: %(title)s")) % {"title": request.title})
    return request


# --- the sweep -------------------------------------------------------------

def request_confirm_timeout(task: Task, now: datetime) -> bool:
    """The confirm task's timeout action (REQ-3; TaskKind.on_timeout): a
    completed request its requester did not answer is confirmed for them.
    Under the request's lock, once, whichever worker offers it."""
    try:
        request = Request.objects.select_for_update(of=("self",)).select_related(
            "requester", "owner", "liaison", "to_department").get(pk=int(task.subject_id))
    except (Request.DoesNotExist, ValueError):
        return False
    task.refresh_from_db(fields=["state"])
    if request.state != RequestState.COMPLETED or task.state != TaskState.OPEN:
        return False
    _confirm(request, actor=None, rating=None, comment="", now=now)
    return True


# --- handing over (HOV; org/holdings.py) ------------------------------------------

@transaction.atomic
@events_batched
def request_hand_over(*, actor: Person, request: Request, holder: Person, to: Person, note: str = "",
                      now: datetime | None = None) -> Request:
    """The liaison of a request waiting for its answer, or the owner of one
    being delivered, hands it to another member of the asked department
    (HOV: a transfer, a personnel change). Its state and due times stay; its
    open task moves with it. HR, the holder's head or manager decide it."""
    from xietong.org.holdings import may_hand_over

    now = now or timezone.now()
    if not may_hand_over(actor, holder):
        raise PermissionDenied()
    request = _lock(request)
    if not to.is_active or not in_department(to, request.to_department):
        raise DomainError(_("The new holder must be an active member of %(department)s.")
                          % {"department": request.to_department.name}, code="bad_receiver")
    before = {**_snapshot(request), "liaison": request.liaison_id}
    if request.state == RequestState.SUBMITTED and request.liaison_id == holder.pk:
        request.liaison, kind = to, KIND_RESPOND
        request.save(update_fields=["liaison"])
    elif request.state in (RequestState.ACCEPTED, RequestState.IN_RULING, RequestState.COMPLETED) \
            and request.owner_id == holder.pk:
        request.owner, kind = to, KIND_DELIVER
        request.save(update_fields=["owner"])
    else:
        raise Conflict(_("%(name)s no longer holds this request.") % {"name": holder.name}, code="not_held")
    task = open_task(request, kind)
    if task is not None and task.assignee_id == holder.pk:
        task_hand_over(actor=actor, task=task, holder=holder, to=to, note=note, by_module=True)
    event_record(actor=actor, verb="request.hand_over", subject=request, at=now, before=before,
                 after={**_snapshot(request), "liaison": request.liaison_id}, note=clean_text(note, _("Note"), limit=500))
    _tell(request, [request.requester], key=f"handed:{to.pk}", actor=actor,
          title=lambda: str(_("%(name)s now holds your request: %(title)s")) % {"name": to.name, "title": request.title})
    return request
