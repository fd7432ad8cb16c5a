"""Every write to a customer-service case (CS-1..5).

    case = case_record(actor=cs, channel="hotline", title=…, description=…, customer={...},
                       departments=[ops])                     # or answer="…" (solved on the spot)
    case_return(actor=handler, case=case, department=ops, result="已现场更换模块")
    case_confirm(actor=cs, case=case, satisfied=True, satisfaction=5)   # or satisfied=False, words="…"

The website channel: `case_submit_public(...)` (rate-limited per source),
answered later through the tracking code and the survey link.
"""

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong.audit.trail import event_record
from xietong.errors import Conflict, DomainError, PermissionDenied
from xietong.inputs import clean_line, clean_text
from xietong.org.models import Department, DepartmentKind, Person, Role
from xietong.org.queries import department_liaison, has_role, role_holders
from xietong.personal import mask_address, mask_email, mask_name, mask_phone, mask_plate
from xietong.policy.calendar import WorkingCalendar
from xietong.policy.queries import param
from xietong.work.actions import may_act_on, task_close, task_create, task_hand_over
from xietong.work.models import Task, TaskState

from .models import (
    PERSONAL_FIELDS,
    Assignment,
    AssignmentState,
    Case,
    CaseState,
    Category,
    Channel,
    WeeklySummary,
)
from .roles import CUSTOMER_SERVICE

SUBJECT = "service.case"
KIND_INTAKE = "service.intake"
KIND_HANDLE = "service.handle"
KIND_CONFIRM = "service.confirm"
KIND_SUMMARY = "service.read_summary"
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")
# 粤B12345, 京AD12345 (new energy), 沪A·1234X: province + letter + 5–6 letters/digits.
PLATE_RE = re.compile(r"^[\u4e00-\u9fff][A-Z][·•]?[A-Z0-9]{5,6}$")
LIMITS = {"title": 200, "description": 4000, "customer_name": 100, "customer_phone": 32, "customer_address": 300,
          "plate_number": 16, "customer_email": 254}


# --- who ------------------------------------------------------------------

def is_customer_service(person: Person) -> bool:
    return person.is_active and has_role(person, CUSTOMER_SERVICE)


def current_handler(person: Person, case: Case) -> bool:
    """Holds an open task on the case now (or acts for whoever does)."""
    tasks = Task.objects.filter(subject_type=SUBJECT, subject_id=str(case.pk), state=TaskState.OPEN).select_related(
        "assignee")
    return any(may_act_on(person, task)[0] for task in tasks)


def may_reveal(person: Person, case: Case) -> bool:
    """Customer service and the current handlers; nobody else (CS-4)."""
    return is_customer_service(person) or current_handler(person, case)


# --- masking (CS-4) -------------------------------------------------------

def masked(case: Case) -> dict[str, str]:
    return {"customer_name": mask_name(case.customer_name), "customer_phone": mask_phone(case.customer_phone),
            "customer_address": mask_address(case.customer_address), "plate_number": mask_plate(case.plate_number),
            "customer_email": mask_email(case.customer_email) if case.customer_email else ""}


@transaction.atomic
def case_reveal(*, actor: Person, case: Case, reason: str = "") -> dict[str, str]:
    """The customer's details in full, for someone who needs them; each
    reveal is an event on the case (who, when, which fields)."""
    if not may_reveal(actor, case):
        raise PermissionDenied(_("Only customer service and the people handling this case may see the customer's "
                                 "details."))
    shown = [name for name in PERSONAL_FIELDS if getattr(case, name)]
    event_record(actor=actor, verb="case.reveal", subject=case, after={"fields": shown}, note=reason[:200])
    return {name: getattr(case, name) for name in PERSONAL_FIELDS}


# --- validation -----------------------------------------------------------

def _clean(data: Mapping[str, Any], *, public: bool) -> dict[str, Any]:
    """Every field checked; all problems reported at once, per field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, limit in LIMITS.items():
        clean = clean_text if name == "description" else clean_line
        try:
            values[name] = clean(data.get(name, ""), _("This field"), limit=limit)
        except DomainError as error:
            errors[name] = str(error.message)
            values[name] = ""
    for name in ("title", "description", "customer_name", "customer_phone"):
        if not values[name] and name not in errors:
            errors[name] = str(_("This field is required."))
    phone = values["customer_phone"]
    if phone and "customer_phone" not in errors and not PHONE_RE.match(phone):
        errors["customer_phone"] = str(_("Enter a phone number of digits (and + - or spaces)."))
    plate = values["plate_number"].upper().replace(" ", "")
    values["plate_number"] = plate
    if plate and "plate_number" not in errors and not PLATE_RE.match(plate):
        errors["plate_number"] = str(_("Enter a plate number such as 粤B12345."))
    if values["customer_email"] and "customer_email" not in errors:
        try:
            validate_email(values["customer_email"])
        except ValidationError:
            errors["customer_email"] = str(_("Enter a valid e-mail address."))
    category = str(data.get("category", "") or Category.OTHER)
    if category not in Category.values:
        errors["category"] = str(_("Choose a category."))
    values["category"] = category
    if not public:
        channel = str(data.get("channel", ""))
        if channel not in (Channel.HOTLINE, Channel.ONSITE, Channel.WEBSITE):
            errors["channel"] = str(_("Choose how the customer contacted us."))
        values["channel"] = channel
    if errors:
        raise CaseInvalid(errors)
    return values


class CaseInvalid(DomainError):
    def __init__(self, errors: dict[str, str]):
        super().__init__(_("Please correct the marked fields."), code="invalid", details=errors)
        self.errors = errors


def _tracking_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(10))


def _create(values: dict[str, Any], **extra: Any) -> Case:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Case.objects.create(tracking_code=_tracking_code(), **values, **extra)
        except IntegrityError:  # pragma: no cover — a 10-character code colliding
            continue
    raise Conflict(_("Could not file the case. Please try again."))  # pragma: no cover


def _cs_department() -> Department | None:
    holder = role_holders(CUSTOMER_SERVICE).exclude(primary_department=None).first()
    return holder.primary_department if holder else None


# --- intake (CS-1) --------------------------------------------------------

def source_hash(source: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), source.encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def case_submit_public(*, data: Mapping[str, Any], source: str, now: datetime | None = None) -> Case:
    """The website form, without sign-in: validated, rate-limited per source
    (`cs.public_submissions_per_hour`), queued for customer service."""
    now = now or timezone.now()
    values = _clean(data, public=True)
    digest = source_hash(source)
    limit = int(param("cs.public_submissions_per_hour", at=now))
    if Case.objects.filter(source_hash=digest, created_at__gte=now - timedelta(hours=1)).count() >= limit:
        raise DomainError(_("Too many submissions from your network in the last hour. Please call our hotline "
                            "or try again later."), code="rate_limited", details={"retry_after_seconds": 3600})
    case = _create(values, channel=Channel.WEBSITE, state=CaseState.NEW, created_at=now, source_hash=digest)
    event_record(actor=None, verb="case.submit", subject=case, at=now, first=True,
                 after={"channel": Channel.WEBSITE, "category": case.category, "title": case.title})
    task_create(kind=KIND_INTAKE, subject=case, actor=None, role=CUSTOMER_SERVICE, department=None,
                title=str(_("New case from the website: %(title)s")) % {"title": case.title},
                url=f"/service/{case.pk}/", due_param="cs.intake_working_hours", now=now)
    return case


HOW = ("later", "solve", "pass")


@transaction.atomic
def case_record(*, actor: Person, data: Mapping[str, Any], how: str = "", answer: str = "",
                departments: Sequence[Department] = (), instructions: str = "",
                now: datetime | None = None) -> Case:
    """Customer service records a case from the hotline or on site: solved on
    the spot (`how="solve"` with the `answer`), passed to departments
    (`how="pass"`), or kept to handle later. Everything is checked before
    anything is saved: a refused form leaves no case behind (resubmitting it
    must not file a second one). Without `how`, an answer means solved and
    departments mean passed."""
    if not is_customer_service(actor):
        raise PermissionDenied()
    now = now or timezone.now()
    how = how or ("solve" if str(answer or "").strip() else "pass" if departments else "later")
    if how not in HOW:
        raise DomainError(_("Choose how the case is handled."), code="bad_how")
    values = _clean(data, public=False)
    answer = clean_text(answer, _("Answer given to the customer"), required=how == "solve")
    instructions = clean_text(instructions, _("Instructions"))
    if how == "pass" and not departments:
        raise DomainError(_("Choose at least one department."), code="departments_required")
    complaint = bool(data.get("complaint")) or values["category"] == Category.COMPLAINT
    important = bool(data.get("important"))
    case = _create(values, state=CaseState.OPEN, recorded_by=actor, created_at=now, complaint=complaint,
                   important=important)
    event_record(actor=actor, verb="case.record", subject=case, at=now, first=True,
                 after={"channel": case.channel, "category": case.category, "title": case.title,
                        "complaint": complaint, "important": important})
    if how == "solve":
        return _solve(case, actor=actor, answer=answer, now=now)
    if how == "pass":
        return _pass(case, actor=actor, departments=departments, instructions=instructions, now=now)
    task_create(kind=KIND_INTAKE, subject=case, actor=actor, assignee=actor,
                title=str(_("Handle the case: %(title)s")) % {"title": case.title},
                url=f"/service/{case.pk}/", due_param="cs.intake_working_hours", now=now)
    return case


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).get(pk=case.pk)


def _moved_on() -> Conflict:
    return Conflict(_("This case has moved on in the meantime. Reload the page to see where it is."),
                    code="stale")


def _open_tasks(case: Case, kind: str) -> list[Task]:
    return list(Task.objects.filter(subject_type=SUBJECT, subject_id=str(case.pk), kind=kind,
                                    state=TaskState.OPEN).select_related("assignee"))


def _close_intake(case: Case, *, actor: Person, outcome: str, now: datetime) -> None:
    for task in _open_tasks(case, KIND_INTAKE):
        task_close(task=task, outcome=outcome, actor=actor, now=now)


@transaction.atomic
def case_solve(*, actor: Person, case: Case, answer: str, now: datetime | None = None) -> Case:
    """Customer service answers the customer itself (CS-1: 当场解决)."""
    if not is_customer_service(actor):
        raise PermissionDenied()
    case = _lock(case)
    if case.state not in (CaseState.NEW, CaseState.OPEN):
        raise _moved_on()
    return _solve(case, actor=actor, answer=answer, now=now or timezone.now())


def _solve(case: Case, *, actor: Person, answer: str, now: datetime) -> Case:
    answer = clean_text(answer, _("Answer given to the customer"), required=True)
    _close_intake(case, actor=actor, outcome="solved", now=now)
    before = case.state
    case.state, case.resolution, case.closed_at = CaseState.CLOSED, answer, now
    case.recorded_by = case.recorded_by or actor
    case.survey_token = secrets.token_urlsafe(24)
    case.save(update_fields=["state", "resolution", "closed_at", "recorded_by", "survey_token"])
    event_record(actor=actor, verb="case.solve", subject=case, at=now, before={"state": before},
                 after={"state": case.state}, note=answer)
    return case


@transaction.atomic
def case_pass(*, actor: Person, case: Case, departments: Sequence[Department], instructions: str = "",
              now: datetime | None = None) -> Case:
    """Pass the case to the departments concerned (CS-1)."""
    if not is_customer_service(actor):
        raise PermissionDenied()
    case = _lock(case)
    if case.state not in (CaseState.NEW, CaseState.OPEN):
        raise _moved_on()
    return _pass(case, actor=actor, departments=departments, instructions=instructions, now=now or timezone.now())


def _assign(case: Case, *, actor: Person, department: Department, instructions: str, now: datetime) -> Assignment:
    if not department.is_active:
        raise DomainError(_("That department no longer exists."), code="inactive_department")
    if department.kind == DepartmentKind.COMPANY:
        raise DomainError(_("Pass the case to a department, not to the whole company."), code="company_root")
    handler = department_liaison(department, partner=_cs_department())
    if handler is None:
        raise DomainError(_("%(department)s has neither a liaison nor a head to pass the case to.")
                          % {"department": department.name}, code="no_receiver")
    if Assignment.objects.filter(case=case, round=case.round, department=department).exists():
        raise DomainError(_("%(department)s already has this case.") % {"department": department.name},
                          code="already_assigned")
    instructions = clean_text(instructions, _("Instructions"))
    assignment = Assignment.objects.create(case=case, department=department, round=case.round,
                                           instructions=instructions, asked_by=actor, created_at=now)
    assignment.task = task_create(
        kind=KIND_HANDLE, subject=case, actor=actor, assignee=handler,
        title=str(_("Customer case: %(title)s")) % {"title": case.title}, url=f"/service/{case.pk}/",
        due_param="cs.department_response_working_hours", now=now)
    assignment.save(update_fields=["task"])
    event_record(actor=actor, verb="case.assign", subject=case, at=now,
                 after={"department": department.pk, "round": case.round, "handler": handler.pk},
                 note=instructions[:500])
    return assignment


def _pass(case: Case, *, actor: Person, departments: Sequence[Department], instructions: str,
          now: datetime) -> Case:
    unique = list({d.pk: d for d in departments}.values())
    if not unique:
        raise DomainError(_("Choose at least one department."), code="departments_required")
    _close_intake(case, actor=actor, outcome="passed", now=now)
    case.state = CaseState.WITH_DEPARTMENTS
    case.recorded_by = case.recorded_by or actor
    case.save(update_fields=["state", "recorded_by"])
    for department in unique:
        _assign(case, actor=actor, department=department, instructions=instructions, now=now)
    return case


# --- the departments (CS-2) -----------------------------------------------

def _my_assignment(actor: Person, case: Case, department_id: int | None) -> Assignment:
    pending = [a for a in case.assignments.filter(round=case.round, state=AssignmentState.PENDING).select_related(
        "task", "task__assignee", "department") if a.task is not None and may_act_on(actor, a.task)[0]]
    if department_id is not None:
        pending = [a for a in pending if a.department_id == department_id]
    if not pending:
        returned_by_me = case.assignments.filter(round=case.round, state=AssignmentState.RETURNED, handler=actor)
        if case.assignments.filter(round=case.round, state=AssignmentState.PENDING).exists() \
                and not returned_by_me.exists():
            raise PermissionDenied()
        raise _moved_on()
    return pending[0]


@transaction.atomic
def case_forward(*, actor: Person, case: Case, department: Department, note: str,
                 from_department: int | None = None, now: datetime | None = None) -> Assignment:
    """A handling department asks another to help (CS-2: 如需要其他部门协助)."""
    now = now or timezone.now()
    case = _lock(case)
    if case.state != CaseState.WITH_DEPARTMENTS:
        raise _moved_on()
    mine = _my_assignment(actor, case, from_department)
    if not note.strip():
        raise DomainError(_("Say what you need from %(department)s.") % {"department": department.name},
                          code="note_required")
    return _assign(case, actor=actor, department=department,
                   instructions=f"{mine.department.name}: {note.strip()}", now=now)


@transaction.atomic
def case_return(*, actor: Person, case: Case, result: str, department: int | None = None,
                now: datetime | None = None) -> Assignment:
    """A department returns its result to customer service. When the last
    one of the round has, customer service is asked to confirm with the
    customer within `cs.customer_confirm_working_hours`."""
    now = now or timezone.now()
    case = _lock(case)
    if case.state != CaseState.WITH_DEPARTMENTS:
        raise _moved_on()
    assignment = _my_assignment(actor, case, department)
    result = result.strip()
    if not result or len(result) > 4000:
        raise DomainError(_("Write the result for customer service (at most 4000 characters)."),
                          code="result_required")
    assignment.state, assignment.result, assignment.handler, assignment.returned_at = (
        AssignmentState.RETURNED, result, actor, now)
    assignment.save(update_fields=["state", "result", "handler", "returned_at"])
    if assignment.task is not None:
        task_close(task=assignment.task, outcome="returned", actor=actor, note=result, now=now)
    event_record(actor=actor, verb="case.return", subject=case, at=now,
                 after={"department": assignment.department_id, "round": case.round}, note=result)
    if not case.assignments.filter(round=case.round, state=AssignmentState.PENDING).exists():
        case.state = CaseState.CONFIRMING
        case.save(update_fields=["state"])
        recorder = case.recorded_by if case.recorded_by and case.recorded_by.is_active else None
        options: dict[str, Any] = {"assignee": recorder} if recorder else {"role": CUSTOMER_SERVICE}
        task_create(kind=KIND_CONFIRM, subject=case, actor=actor, **options,
                    title=str(_("Confirm with the customer: %(title)s")) % {"title": case.title},
                    url=f"/service/{case.pk}/", due_param="cs.customer_confirm_working_hours", now=now)
        event_record(actor=None, verb="case.all_returned", subject=case, at=now, after={"round": case.round})
    return assignment


# --- confirming with the customer (CS-3) ----------------------------------

@transaction.atomic
def case_confirm(*, actor: Person, case: Case, satisfied: bool, satisfaction: Any = None, words: str = "",
                 answer: str = "", departments: Sequence[Department] = (), now: datetime | None = None) -> Case:
    """Customer service has spoken to the customer. Satisfied: closed with
    the answer given and a 1–5 satisfaction. Not satisfied: the customer's
    words go back to the departments (those of this round unless others are
    named) as a new round."""
    if not is_customer_service(actor):
        raise PermissionDenied()
    now = now or timezone.now()
    case = _lock(case)
    if case.state != CaseState.CONFIRMING:
        raise _moved_on()
    score = None
    if satisfaction not in (None, ""):
        try:
            score = int(str(satisfaction))
        except ValueError:
            score = 0
        if not 1 <= score <= 5:
            raise DomainError(_("Satisfaction is from 1 to 5."), code="bad_rating")
    words = words.strip()[:4000]
    for task in _open_tasks(case, KIND_CONFIRM):
        task_close(task=task, outcome="satisfied" if satisfied else "unsatisfied", actor=actor, note=words, now=now)
    if satisfied:
        case.state, case.closed_at, case.satisfaction = CaseState.CLOSED, now, score
        case.resolution = answer.strip()[:4000] or "\n".join(
            a.result for a in case.assignments.filter(round=case.round, state=AssignmentState.RETURNED))
        case.customer_feedback = words or case.customer_feedback
        case.survey_token = secrets.token_urlsafe(24)
        if score is not None and score <= 2:
            case.important = True
        case.save(update_fields=["state", "closed_at", "satisfaction", "resolution", "customer_feedback",
                                 "survey_token", "important"])
        event_record(actor=actor, verb="case.close", subject=case, at=now,
                     after={"state": case.state, "satisfaction": score}, note=words)
        return case
    if not words:
        raise DomainError(_("Write down what the customer said: it goes back to the departments."),
                          code="words_required")
    targets = list(departments) or [a.department for a in case.assignments.filter(round=case.round).select_related(
        "department") if a.state == AssignmentState.RETURNED]
    case.round += 1
    case.state, case.customer_feedback, case.satisfaction = CaseState.WITH_DEPARTMENTS, words, score
    case.save(update_fields=["round", "state", "customer_feedback", "satisfaction"])
    event_record(actor=actor, verb="case.unsatisfied", subject=case, at=now,
                 after={"round": case.round, "satisfaction": score}, note=words)
    for department in {d.pk: d for d in targets}.values():
        _assign(case, actor=actor, department=department,
                instructions=str(_("The customer is not satisfied: %(words)s")) % {"words": words}, now=now)
    return case


@transaction.atomic
def case_flag(*, actor: Person, case: Case, important: bool | None = None, complaint: bool | None = None) -> Case:
    if not is_customer_service(actor):
        raise PermissionDenied()
    case = _lock(case)
    before = {"important": case.important, "complaint": case.complaint}
    if important is not None:
        case.important = important
    if complaint is not None:
        case.complaint = complaint
    case.save(update_fields=["important", "complaint"])
    event_record(actor=actor, verb="case.flag", subject=case, before=before,
                 after={"important": case.important, "complaint": case.complaint})
    return case


@transaction.atomic
def survey_answer(*, token: str, rating: Any, comment: str = "", now: datetime | None = None) -> Case:
    """The customer's own satisfaction survey (CS-5), once, by its link."""
    now = now or timezone.now()
    case = Case.objects.select_for_update().filter(survey_token=token, state=CaseState.CLOSED).first() \
        if token else None
    if case is None:
        raise DomainError(_("This survey link is not valid."), code="bad_token")
    if case.survey_answered_at is not None:
        raise Conflict(_("This survey has already been answered. Thank you."), code="answered")
    try:
        score = int(str(rating))
    except ValueError:
        score = 0
    if not 1 <= score <= 5:
        raise DomainError(_("Choose from 1 to 5 stars."), code="bad_rating")
    comment = str(comment or "").strip()
    if len(comment) > 2000:
        raise DomainError(_("The comment is too long (at most 2000 characters)."), code="too_long")
    case.survey_rating, case.survey_comment, case.survey_answered_at = score, comment, now
    if score <= 2:
        case.important = True
    case.save(update_fields=["survey_rating", "survey_comment", "survey_answered_at", "important"])
    event_record(actor=None, verb="case.survey", subject=case, at=now, after={"rating": score}, note=comment[:500])
    return case


# --- the weekly summary for leadership (CS-3) -----------------------------

def summary_cases(week_start: date, *, tz: Any) -> Any:
    since = datetime.combine(week_start, datetime.min.time(), tzinfo=tz)
    until = since + timedelta(days=7)
    return Case.objects.filter(Q(important=True) | Q(complaint=True) | Q(satisfaction__lte=2)
                               | Q(survey_rating__lte=2)).filter(
        Q(created_at__gte=since, created_at__lt=until) | Q(closed_at__gte=since, closed_at__lt=until))


def weekly_summary_for(*, occurrence: date, nominal: date, at: datetime, now: datetime) -> int:
    """The schedule `service.weekly_summary` (on `cs.weekly_summary_weekday`,
    the next working day when that is a day off; a missed week is made up):
    summarise the important feedback of the week before the nominal day's
    week for leadership."""
    calendar = WorkingCalendar.load(at=now, lenient=True)
    week_start = nominal - timedelta(days=nominal.weekday() + 7)
    return 1 if summary_make(week_start, now=now, tz=calendar.tz) else 0


def summary_make(week_start: date, *, now: datetime, tz: Any) -> WeeklySummary | None:
    """The summary of one week, unless it exists (the unique week is the claim)."""
    if WeeklySummary.objects.filter(week_start=week_start).exists():
        return None
    cases = list(summary_cases(week_start, tz=tz))
    since = datetime.combine(week_start, datetime.min.time(), tzinfo=tz)
    try:
        with transaction.atomic():
            summary = WeeklySummary.objects.create(week_start=week_start, created_at=now, counts={
                "cases": len(cases), "complaints": sum(1 for c in cases if c.complaint),
                "unsatisfied": sum(1 for c in cases if (c.satisfaction or 5) <= 2 or (c.survey_rating or 5) <= 2),
                "received": Case.objects.filter(created_at__gte=since, created_at__lt=since + timedelta(days=7)).count()})
            summary.cases.set(cases)
            task_create(kind=KIND_SUMMARY, subject=summary, actor=None, role=Role.LEADERSHIP, now=now,
                        title=str(_("Important customer feedback, week of %(date)s")) % {"date": week_start},
                        url=f"/service/summaries/{summary.pk}/", due_working_days=5)
            event_record(actor=None, verb="case_summary.create", subject=summary, at=now, first=True,
                         after={"week_start": week_start, "cases": [c.pk for c in cases]})
    except IntegrityError:
        return None  # another worker made it
    return summary


# --- handing over (HOV; org/holdings.py) ------------------------------------------

@transaction.atomic
def case_hand_over(*, actor: Person, assignment: Assignment, holder: Person, to: Person, note: str = "") -> Assignment:
    """The person handling a case for their department hands it to another
    member of that department (HOV): the case's state and the task's due
    time stay. HR, the holder's head or manager decide it."""
    from xietong.org.holdings import may_hand_over
    from xietong.org.models import Membership

    if not may_hand_over(actor, holder):
        raise PermissionDenied()
    case = _lock(assignment.case)
    assignment = Assignment.objects.select_related("department", "task").get(pk=assignment.pk)
    task = assignment.task
    if assignment.state != AssignmentState.PENDING or task is None or task.state != TaskState.OPEN \
            or task.assignee_id != holder.pk:
        raise Conflict(_("%(name)s no longer handles this case.") % {"name": holder.name}, code="not_held")
    if not to.is_active or not Membership.objects.filter(
            person=to, department__path__startswith=assignment.department.path).exists():
        raise DomainError(_("The new holder must be an active member of %(department)s.")
                          % {"department": assignment.department.name}, code="bad_receiver")
    task_hand_over(actor=actor, task=task, holder=holder, to=to, note=note, by_module=True)
    event_record(actor=actor, verb="case.hand_over", subject=case, before={"handler": holder.pk},
                 after={"handler": to.pk, "department": assignment.department_id}, note=clean_text(note, _("Note")))
    return assignment
