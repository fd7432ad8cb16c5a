"""Customer cases over REST (CS-1..5). Customer details come masked; the
reveal endpoint returns them in full to those allowed, and logs it."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from xietong.errors import DomainError
from xietong.org.models import Department, Person
from xietong.org.permissions import require_member

from . import actions
from .models import Case, CaseState
from .permissions import get_case_for_user, sees_all_cases

router = Router(tags=["customer service"])


class CaseIn(Schema):
    channel: Literal["hotline", "website", "onsite"]
    category: str = "other"
    title: str
    description: str
    customer_name: str
    customer_phone: str
    customer_address: str = ""
    plate_number: str = ""
    customer_email: str = ""
    complaint: bool = False
    important: bool = False
    answer: str = ""  # solved on the spot
    departments: list[int] = []  # passed to these departments
    instructions: str = ""


class AssignmentOut(Schema):
    department: int
    round: int
    state: str
    instructions: str
    result: str


class CaseOut(Schema):
    id: int
    serial: str
    tracking_code: str
    channel: str
    category: str
    title: str
    description: str
    state: str
    round: int
    complaint: bool
    important: bool
    customer: dict[str, str]  # masked
    resolution: str
    satisfaction: int | None
    survey_rating: int | None
    created_at: datetime
    closed_at: datetime | None
    assignments: list[AssignmentOut]


class CaseActIn(Schema):
    action: Literal["solve", "pass", "forward", "return", "satisfied", "unsatisfied"]
    text: str = ""  # the answer, instructions, note, result or the customer's words
    departments: list[int] = []  # pass; unsatisfied (optional: other departments)
    department: int | None = None  # forward: the department asked; return: which of mine
    satisfaction: int | None = None


class RevealIn(Schema):
    reason: str = ""


def _me(request: HttpRequest) -> Person:
    person: Person = request.auth  # type: ignore[attr-defined]
    require_member(person)
    return person


def _out(case: Case) -> dict[str, Any]:
    return {"id": case.pk, "serial": case.serial, "tracking_code": case.tracking_code, "channel": case.channel,
            "category": case.category, "title": case.title, "description": case.description, "state": case.state,
            "round": case.round, "complaint": case.complaint, "important": case.important,
            "customer": actions.masked(case), "resolution": case.resolution, "satisfaction": case.satisfaction,
            "survey_rating": case.survey_rating, "created_at": case.created_at, "closed_at": case.closed_at,
            "assignments": [{"department": a.department_id, "round": a.round, "state": a.state,
                             "instructions": a.instructions, "result": a.result} for a in case.assignments.all()]}


def _departments(ids: list[int]) -> list[Department]:
    found = list(Department.objects.filter(pk__in=ids, is_active=True))
    if len(found) != len(set(ids)):
        raise DomainError(_("Unknown department."), code="unknown_department")
    return found


@router.get("/cases", response=list[CaseOut], summary="Customer cases (customer service, leadership, supervision)")
@paginate(LimitOffsetPagination)
def cases(request: HttpRequest, state: str = "") -> Any:
    me = _me(request)
    if not sees_all_cases(me):
        return []
    qs = Case.objects.order_by("-created_at", "-pk").prefetch_related("assignments")
    if state in CaseState.values:
        qs = qs.filter(state=state)
    return [_out(c) for c in qs]


@router.post("/cases", response={201: CaseOut}, summary="Record a case (customer service)")
def record(request: HttpRequest, body: CaseIn) -> Any:
    me = _me(request)
    data = body.dict()
    case = actions.case_record(actor=me, data=data, answer=body.answer,
                               departments=_departments(body.departments), instructions=body.instructions)
    return Status(201, _out(case))


@router.get("/cases/{int:case_id}", response=CaseOut, summary="A case, customer details masked")
def case_detail(request: HttpRequest, case_id: int) -> Any:
    return _out(get_case_for_user(_me(request), case_id))


@router.post("/cases/{int:case_id}/reveal", response=dict[str, str],
             summary="The customer's details in full (customer service and current handlers; logged)")
def reveal(request: HttpRequest, case_id: int, body: RevealIn) -> Any:
    me = _me(request)
    return actions.case_reveal(actor=me, case=get_case_for_user(me, case_id), reason=body.reason)


@router.post("/cases/{int:case_id}/act", response=CaseOut, summary="Solve, pass, forward, return or confirm")
def act(request: HttpRequest, case_id: int, body: CaseActIn) -> Any:
    me = _me(request)
    case = get_case_for_user(me, case_id)
    if body.action == "solve":
        actions.case_solve(actor=me, case=case, answer=body.text)
    elif body.action == "pass":
        actions.case_pass(actor=me, case=case, departments=_departments(body.departments), instructions=body.text)
    elif body.action == "forward":
        actions.case_forward(actor=me, case=case, department=_departments([body.department or 0])[0], note=body.text)
    elif body.action == "return":
        actions.case_return(actor=me, case=case, result=body.text, department=body.department)
    else:
        actions.case_confirm(actor=me, case=case, satisfied=body.action == "satisfied",
                             satisfaction=body.satisfaction, words=body.text,
                             departments=_departments(body.departments))
    case.refresh_from_db()
    return _out(case)
