"""Customer cases over REST (CS-1..5). Customer details come masked; the
reveal endpoint returns them in full to those allowed, and logs it."""

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict, StringConstraints

from xietong.apikit import Paged
from xietong.inputs import Id, Line, ShortText, Text
from xietong.org.gates import api_member
from xietong.work.verbs import verb_operation

from . import actions
from .models import Case, CaseState
from .permissions import get_case_for_user, sees_all_cases
from .verbs import VERBS, Ids, departments_of

router = Router(tags=["customer service"])




class CaseIn(Schema):
    model_config = ConfigDict(extra="forbid")
    channel: Literal["hotline", "website", "onsite"]
    category: Annotated[str, StringConstraints(max_length=32)] = "other"
    title: Line
    description: Text
    customer_name: Annotated[str, StringConstraints(max_length=100)]
    customer_phone: Annotated[str, StringConstraints(max_length=32)]
    customer_address: Annotated[str, StringConstraints(max_length=300)] = ""
    plate_number: Annotated[str, StringConstraints(max_length=16)] = ""
    customer_email: Annotated[str, StringConstraints(max_length=254)] = ""
    complaint: bool = False
    important: bool = False
    answer: Text = ""  # solved on the spot
    departments: Ids = []  # passed to these departments
    instructions: Text = ""


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


class RevealIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: ShortText = ""




def _out(case: Case) -> dict[str, Any]:
    return {"id": case.pk, "serial": case.serial, "tracking_code": case.tracking_code, "channel": case.channel,
            "category": case.category, "title": case.title, "description": case.description, "state": case.state,
            "round": case.round, "complaint": case.complaint, "important": case.important,
            "customer": actions.masked(case), "resolution": case.resolution, "satisfaction": case.satisfaction,
            "survey_rating": case.survey_rating, "created_at": case.created_at, "closed_at": case.closed_at,
            "assignments": [{"department": a.department_id, "round": a.round, "state": a.state,
                             "instructions": a.instructions, "result": a.result} for a in case.assignments.all()]}


@router.get("/cases", response=list[CaseOut], summary="Customer cases (customer service, leadership, supervision)")
@paginate(Paged)
def cases(request: HttpRequest, state: Literal["", "new", "open", "with_departments", "confirming", "closed"] = "") -> Any:
    me = api_member(request)
    if not sees_all_cases(me):
        return []
    qs = Case.objects.order_by("-created_at", "-pk").prefetch_related("assignments")
    if state in CaseState.values:
        qs = qs.filter(state=state)
    return [_out(c) for c in qs]


@router.post("/cases", response={201: CaseOut}, summary="Record a case (customer service)")
def record(request: HttpRequest, body: CaseIn) -> Any:
    me = api_member(request)
    data = body.dict()
    case = actions.case_record(actor=me, data=data, answer=body.answer,
                               departments=departments_of(body.departments), instructions=body.instructions)
    return Status(201, _out(case))


@router.get("/cases/{int:case_id}", response=CaseOut, summary="A case, customer details masked")
def case_detail(request: HttpRequest, case_id: Id) -> Any:
    return _out(get_case_for_user(api_member(request), case_id))


@router.post("/cases/{int:case_id}/reveal", response=dict[str, str],
             summary="The customer's details in full (customer service and current handlers; logged)")
def reveal(request: HttpRequest, case_id: Id, body: RevealIn) -> Any:
    me = api_member(request)
    return actions.case_reveal(actor=me, case=get_case_for_user(me, case_id), reason=body.reason)


# One endpoint per verb: POST /cases/{id}/solve, /pass, … (verbs.py).
for _verb in VERBS:
    router.post(f"/cases/{{int:pk}}/{_verb.slug}", response=CaseOut, summary=_verb.summary,
                operation_id=f"case_{_verb.slug.replace('-', '_')}")(
        verb_operation(_verb, load=get_case_for_user, out=_out, prefix="case"))
