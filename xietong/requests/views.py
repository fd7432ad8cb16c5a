"""Request pages (REQ-1..5): the lists, asking (with the service catalogue),
the request page with every action, and the collaboration map."""

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from xietong.audit.history import history_shown
from xietong.duties.models import DutyItem
from xietong.errors import DomainError
from xietong.inputs import parse_date, parse_id
from xietong.org.gates import MemberRequest, member_required
from xietong.org.models import Department, Membership, Person
from xietong.pages import show_error
from xietong.work import discussion
from xietong.work.models import Priority
from xietong.work.verbs import verb_page

from . import actions
from .models import RequestState
from .permissions import get_request_for_user, sees_all_requests
from .queries import BOXES, collaboration_map, period_bounds, request_list
from .verbs import LABELS, VERBS

PAGE_SIZE = 25



def _int(value: str | None) -> int | None:
    return parse_id(value)


def _date(value: str | None, label: str) -> date | None:
    return parse_date(value, label) if value and value.strip() else None


@member_required
def index(request: MemberRequest) -> HttpResponse:
    me = request.user
    box = request.GET.get("box", "incoming")
    box = box if box in BOXES else "incoming"
    try:
        start = _date(request.GET.get("start"), _("From"))
        end = _date(request.GET.get("end"), _("Until"))
    except DomainError as error:
        show_error(request, error)
        start = end = None
    since, until = period_bounds(start or date(2000, 1, 1), end or date(2999, 12, 30))
    qs = request_list(me, box, state=request.GET.get("state", ""), from_department=_int(request.GET.get("from")),
                      to_department=_int(request.GET.get("to")), start=since if start else None,
                      end=until if end else None)
    boxes = [("incoming", _("Asked of my department")), ("outgoing", _("Asked by my department")),
             ("mine", _("Asked by me"))]
    if sees_all_requests(me):
        boxes.append(("all", _("All requests")))
    return render(request, "requests/index.html", {
        "box": box, "boxes": boxes, "page": Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page")),
        "states": [("open", _("Open")), *RequestState.choices], "state": request.GET.get("state", ""),
        "query": request.GET.copy(), "now": timezone.now(),
    })


def _form_context(me: Person, parent: Any = None) -> dict[str, Any]:
    departments = Department.objects.filter(is_active=True).exclude(kind="company").order_by("path")
    services = DutyItem.objects.filter(offered=True, is_active=True).select_related("department").order_by(
        "department__path", "sort_order")
    return {"departments": departments, "services": services, "priorities": Priority.choices, "parent": parent,
            "my_departments": Membership.objects.filter(person=me).select_related("department")}


@member_required
def new(request: MemberRequest) -> HttpResponse:
    me = request.user
    parent = None
    parent_id = _int(request.GET.get("parent") or request.POST.get("parent"))
    if parent_id:
        parent, access = get_request_for_user(me, parent_id)
        if not access.can_deliver:
            raise Http404
    context = _form_context(me, parent)
    values: dict[str, Any] = {"to": request.GET.get("to", ""), "service": request.GET.get("service", ""),
                              "priority": str(Priority.NORMAL)}
    service_id = parse_id(values["service"])
    if service_id:
        service = DutyItem.objects.filter(pk=service_id, offered=True, is_active=True).first()
        if service is not None:
            values["to"] = str(service.department_id)
            values["title"] = service.title
    if request.method == "POST":
        values = request.POST.dict()
        try:
            to = Department.objects.filter(pk=_int(request.POST.get("to")) or 0, is_active=True).first()
            if to is None:
                raise DomainError(_("Choose the department you are asking."), code="to_required")
            service = None
            service_id = _int(request.POST.get("service"))
            if service_id:
                service = DutyItem.objects.filter(pk=service_id).first()
            from_department = None
            from_id = _int(request.POST.get("from"))
            if from_id:
                from_department = Department.objects.filter(pk=from_id).first()
            priority = _int(request.POST.get("priority")) or Priority.NORMAL
            r = actions.request_submit(
                actor=me, to_department=to, title=request.POST.get("title", ""),
                reason=request.POST.get("reason", ""), expected_result=request.POST.get("expected_result", ""),
                requested_date=_date(request.POST.get("requested_date"), _("Requested date")), priority=priority,
                service=service, from_department=from_department, parent=parent,
                files=request.FILES.getlist("files")[:10])
        except DomainError as error:
            show_error(request, error)
        else:
            messages.success(request, _("Sent to %(name)s of %(department)s.")
                             % {"name": r.liaison.name if r.liaison else "", "department": to.name})
            return redirect("requests:detail", pk=r.pk)
    context["values"] = values
    return render(request, "requests/new.html", context)


@member_required
def detail(request: MemberRequest, pk: int) -> HttpResponse:
    me = request.user
    r, access = get_request_for_user(me, pk)
    members: list[Person] = []
    if access.can_receive:
        members = list(Person.objects.filter(is_active=True, memberships__department__path__startswith=(
            r.to_department.path)).distinct().order_by("name"))
    calendar_today = timezone.localdate()
    history = history_shown(me, r)
    # Dates counted Monday–Friday because a year's holidays were not entered yet (POL-3).
    assumed = sorted({year for e in history if isinstance(e.after, dict) for year in e.after.get(
        "calendar_assumed", [])})
    proposals = access.proposals
    return render(request, "requests/detail.html", {
        "r": r, "access": access, "members": members, "today": calendar_today,
        "proposals": proposals, "pending": next((p for p in proposals if p.state == "pending"), None),
        "updates": r.updates.select_related("author"),
        "children": r.children.select_related("to_department", "owner"),
        "ruling": access.ruling,
        "tasks": access.tasks,
        "history": history, "subject": (actions.SUBJECT, str(r.pk)), "assumed_years": assumed,
        "comments": discussion.comments_for(r), "attachments": discussion.attachments_for(r),
    })


# One view per verb, each at its own URL (urls.py): /requests/<id>/accept/, /decline/, …
VERB_VIEWS = {verb.slug: verb_page(verb, load=lambda me, pk: get_request_for_user(me, pk)[0], detail="requests:detail", labels=LABELS)
              for verb in VERBS}


@member_required
def catalogue(request: MemberRequest) -> HttpResponse:
    """What each department offers (ORG-4 items marked as services)."""
    services = DutyItem.objects.filter(offered=True, is_active=True).select_related("department").prefetch_related(
        "partners").order_by("department__path", "sort_order")
    groups: dict[Department, list[DutyItem]] = {}
    for item in services:
        groups.setdefault(item.department, []).append(item)
    return render(request, "requests/catalogue.html", {"groups": groups})


# --- the collaboration map -------------------------------------------------

def _quarter(today: date) -> tuple[date, date]:
    first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    nxt = date(first.year + (first.month + 2) // 12, (first.month + 2) % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def _period(request: HttpRequest) -> tuple[date, date]:
    start, end = _quarter(timezone.localdate())
    try:
        start = _date(request.GET.get("start"), _("From")) or start
        end = _date(request.GET.get("end"), _("Until")) or end
    except DomainError as error:
        show_error(request, error)
    if end < start:
        start, end = end, start
    if (end - start).days > 731:
        start = end - timedelta(days=731)
    return start, end


@member_required
def collab_map(request: MemberRequest) -> HttpResponse:
    start, end = _period(request)
    data = collaboration_map(start, end)
    if request.GET.get("format") == "json":
        return JsonResponse(data.as_json(get_language() or "zh-hans"))
    return render(request, "requests/map.html", {
        "start": start, "end": end, "data": data, "graph": data.as_json(get_language() or "zh-hans"),
        "can_drill": sees_all_requests(request.user),
    })


@member_required
def map_export(request: MemberRequest) -> HttpResponse:
    from .exports import map_workbook

    start, end = _period(request)
    body = map_workbook(collaboration_map(start, end), language=get_language() or "zh-hans")
    response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="collaboration-map-{start}-{end}.xlsx"'
    return response
