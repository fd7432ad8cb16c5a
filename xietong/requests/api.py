"""Collaboration requests, duty lists and the collaboration map over REST
(REQ-1..5, ORG-4). Same permissions as the pages; errors in the one shape."""

from datetime import date
from typing import Any, Literal

from django.http import Http404, HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import paginate

from xietong.apikit import Paged
from xietong.duties import actions as duties
from xietong.duties.models import DutyItem
from xietong.errors import DomainError
from xietong.inputs import Id, check_date
from xietong.org.gates import api_member
from xietong.org.models import Department
from xietong.prepared import Slot, prepared
from xietong.work.verbs import verb_operation

from . import actions
from .models import Request
from .permissions import get_request_for_user
from .queries import collaboration_map, request_list
from .schemas import DutyIn, DutyOut, MapOut, RequestDetailOut, RequestIn, RequestOut
from .verbs import VERBS

router = Router(tags=["requests"])


State = Literal["", "submitted", "accepted", "declined", "in_ruling", "completed", "confirmed", "withdrawn"]


def _ref(obj: Any) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": obj.name}


def _summary(r: Request) -> dict[str, Any]:
    return {"id": r.pk, "serial": r.serial, "title": r.title, "state": r.state,
            "from_department": _ref(r.from_department), "to_department": _ref(r.to_department),
            "requester": _ref(r.requester), "liaison": _ref(r.liaison), "owner": _ref(r.owner),
            "service": r.service_id, "parent": r.parent_id, "priority": r.priority,
            "requested_date": r.requested_date, "due_at": r.due_at, "created_at": r.created_at,
            "responded_at": r.responded_at, "completed_at": r.completed_at, "confirmed_at": r.confirmed_at,
            "on_time": r.on_time, "rating": r.rating}


def _detail(r: Request, *, new: bool = False) -> dict[str, Any]:
    """`new`: the request was submitted in this call, so it has no date
    proposals, progress updates or sub-requests yet (nothing to read)."""
    out = _summary(r)
    out.update(reason=r.reason, expected_result=r.expected_result, decline_reason=r.decline_reason, result=r.result,
               rating_comment=r.rating_comment, must_accept=r.must_accept, auto_confirmed=r.auto_confirmed,
               reopen_count=r.reopen_count, proposals=[], updates=[], children=[])
    if not new:
        out.update(
            proposals=[{"id": p.pk, "kind": p.kind, "state": p.state, "proposed_by": _ref(p.proposed_by),
                        "old_due_at": p.old_due_at, "new_due_at": p.new_due_at, "reason": p.reason,
                        "decision_note": p.decision_note} for p in r.proposals.select_related("proposed_by")],
            updates=[{"author": _ref(u.author), "body": u.body, "percent": u.percent, "created_at": u.created_at}
                     for u in r.updates.select_related("author")],
            children=list(r.children.values_list("pk", flat=True)))
    return out


# The department asked, with its head (who receives it when it names no liaison).
_ACTIVE_DEPARTMENT = prepared(lambda pk: Department.objects.select_related("head").filter(
    pk=Slot("pk"), is_active=True)[:1])


def _department(pk: int | None) -> Department:
    department = _ACTIVE_DEPARTMENT.first(pk=pk) if pk else None
    if department is None:
        raise DomainError(_("Unknown department."), code="unknown_department")
    return department


@router.get("/requests", response=list[RequestOut], summary="Requests: box = incoming | outgoing | mine | all")
@paginate(Paged)
def requests(request: HttpRequest, box: Literal["incoming", "outgoing", "mine", "all"] = "incoming",
             state: State = "") -> Any:
    return [_summary(r) for r in request_list(api_member(request), box, state=state).select_related("liaison")]


@router.post("/requests", response={201: RequestDetailOut}, summary="Ask another department (REQ-1)")
def submit(request: HttpRequest, body: RequestIn) -> Any:
    me = api_member(request)
    parent = None
    if body.parent is not None:
        parent, _access = get_request_for_user(me, body.parent)
    service = DutyItem.objects.filter(pk=body.service).first() if body.service else None
    if body.service and service is None:
        raise DomainError(_("Unknown service."), code="bad_service")
    r = actions.request_submit(
        actor=me, to_department=_department(body.to_department), title=body.title, reason=body.reason,
        expected_result=body.expected_result, requested_date=body.requested_date, priority=body.priority,
        service=service, from_department=_department(body.from_department) if body.from_department else None,
        parent=parent)
    return Status(201, _detail(r, new=True))


@router.get("/requests/map", response=MapOut, summary="The collaboration map for a period (REQ-5)")
def collab_map(request: HttpRequest, start: date, end: date) -> Any:
    api_member(request)
    check_date(start, _("Start"))
    check_date(end, _("End"))
    if end < start or (end - start).days > 731:
        raise DomainError(_("Choose a period of at most two years, ending after it starts."), code="bad_period")
    return collaboration_map(start, end).as_json(get_language() or "zh-hans")


@router.get("/requests/{int:request_id}", response=RequestDetailOut, summary="A request with its history")
def detail(request: HttpRequest, request_id: Id) -> Any:
    found, _access = get_request_for_user(api_member(request), request_id)
    return _detail(found)


# One endpoint per verb: POST /requests/{id}/accept, /decline, … (verbs.py).
for _verb in VERBS:
    router.post(f"/requests/{{int:pk}}/{_verb.slug}", response=RequestDetailOut, summary=_verb.summary,
                operation_id=f"request_{_verb.slug.replace('-', '_')}")(
        verb_operation(_verb, load=lambda me, pk: get_request_for_user(me, pk)[0], out=_detail, prefix="request"))


# --- duty lists (ORG-4) ----------------------------------------------------

def _duty(item: DutyItem) -> dict[str, Any]:
    return {"id": item.pk, "department": item.department_id, "title": item.title, "content": item.content,
            "process": item.process, "standard": item.standard, "responsibility": item.responsibility,
            "partners": sorted(p.pk for p in item.partners.all()), "offered": item.offered,
            "response_working_hours": item.response_working_hours,
            "delivery_working_days": item.delivery_working_days, "is_active": item.is_active}


@router.get("/duties", response=list[DutyOut], tags=["duties"],
            summary="Duty list items; offered=true gives the service catalogue")
def duty_list(request: HttpRequest, department: Id | None = None, offered: bool | None = None) -> Any:
    api_member(request)
    qs = DutyItem.objects.filter(is_active=True).prefetch_related("partners").order_by("department__path",
                                                                                       "sort_order")
    if department is not None:
        qs = qs.filter(department_id=department)
    if offered is not None:
        qs = qs.filter(offered=offered)
    return [_duty(item) for item in qs[:2000]]


@router.post("/departments/{int:department_id}/duties", response={201: DutyOut}, tags=["duties"],
             summary="Add a duty to a department's list")
def duty_create(request: HttpRequest, department_id: Id, body: DutyIn) -> Any:
    me = api_member(request)
    department = _department(department_id)
    partners = list(Department.objects.filter(pk__in=body.partners, is_active=True))
    item = duties.duty_save(actor=me, department=department, fields=body.dict(), partners=partners)
    return Status(201, _duty(item))


@router.put("/duties/{int:duty_id}", response=DutyOut, tags=["duties"], summary="Change a duty")
def duty_update(request: HttpRequest, duty_id: Id, body: DutyIn) -> Any:
    me = api_member(request)
    item = DutyItem.objects.select_related("department").filter(pk=duty_id).first()
    if item is None:
        raise Http404
    partners = list(Department.objects.filter(pk__in=body.partners, is_active=True))
    return _duty(duties.duty_save(actor=me, department=item.department, fields=body.dict(), partners=partners,
                                  item=item))


@router.post("/departments/{int:department_id}/duties/review", tags=["duties"],
             summary="Mark the department's duty list as reviewed")
def duty_review(request: HttpRequest, department_id: Id) -> Any:
    row = duties.duty_list_review(actor=api_member(request), department=_department(department_id))
    return {"reviewed_at": row.reviewed_at, "next_review_at": row.next_review_at}
