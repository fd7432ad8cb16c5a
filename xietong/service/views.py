"""Customer-service pages (CS-1..5): the case lists, recording a case, the
case page with masked customer details and each role's actions, the weekly
summaries; and the public pages of the website channel (no sign-in)."""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.audit.history import history_shown
from xietong.client import client_ip
from xietong.errors import DomainError
from xietong.inputs import parse_id
from xietong.org.gates import MemberRequest, member_required
from xietong.org.models import Department, Membership
from xietong.pages import forbidden, show_error
from xietong.work import discussion
from xietong.work.models import Task
from xietong.work.verbs import verb_page

from . import actions
from .models import (
    PERSONAL_FIELDS,
    AssignmentState,
    Case,
    CaseState,
    Category,
    Channel,
    WeeklySummary,
)
from .permissions import can_view_summaries, get_case_for_user, sees_all_cases
from .verbs import LABELS, VERBS

PAGE_SIZE = 25



def _departments(request: HttpRequest, name: str = "departments") -> list[Department]:
    ids = [pk for pk in (parse_id(x) for x in request.POST.getlist(name)) if pk is not None]
    return list(Department.objects.filter(pk__in=ids, is_active=True))


def _case_departments() -> Any:
    return Department.objects.filter(is_active=True).exclude(kind="company").order_by("path")


@member_required
def index(request: MemberRequest) -> HttpResponse:
    me = request.user
    box = request.GET.get("box", "open")
    qs = Case.objects.order_by("-created_at", "-pk")
    if sees_all_cases(me):
        boxes = [("new", _("From the website")), ("open", _("Open")), ("confirming", _("To confirm")),
                 ("closed", _("Closed")), ("all", _("All"))]
    else:
        boxes = [("open", _("Open")), ("closed", _("Closed"))]
        paths = list(Membership.objects.filter(person=me).values_list("department__path", flat=True))
        mine = Task.objects.filter(subject_type=actions.SUBJECT).filter(
            Q(assignee=me) | Q(delegated_from=me)).values_list("subject_id", flat=True)
        q = Q(pk__in=[pk for pk in map(parse_id, mine) if pk])
        # Cases passed to my departments or to the departments my groups belong to.
        ancestors = {int(segment) for path in paths for segment in path.strip("/").split("/") if segment}
        q |= Q(assignments__department__in=Department.objects.filter(pk__in=ancestors).exclude(kind="company"))
        qs = qs.filter(q).distinct()
        if box not in ("open", "closed"):
            box = "open"
    if box == "new":
        qs = qs.filter(state=CaseState.NEW)
    elif box == "open":
        qs = qs.exclude(state=CaseState.CLOSED)
    elif box in ("confirming", "closed"):
        qs = qs.filter(state=box)
    return render(request, "service/index.html", {
        "box": box, "boxes": boxes, "page": Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page")),
        "is_cs": actions.is_customer_service(me), "mask_name": actions.mask_name,
    })


@member_required
def new(request: MemberRequest) -> HttpResponse:
    me = request.user
    if not actions.is_customer_service(me):
        return forbidden(request)
    context: dict[str, Any] = {"values": {"channel": Channel.HOTLINE}, "errors": {},
                               "departments": _case_departments(), "categories": Category.choices,
                               "channels": Channel.choices, "chosen": set()}
    if request.method == "POST":
        context["values"] = request.POST.dict()
        departments = _departments(request)
        context["chosen"] = {d.pk for d in departments}
        how = request.POST.get("how", "later")
        try:
            case = actions.case_record(
                actor=me, data={**request.POST.dict(), "complaint": request.POST.get("complaint") == "on",
                                "important": request.POST.get("important") == "on"},
                how=how, answer=request.POST.get("answer", "") if how == "solve" else "",
                departments=departments if how == "pass" else [],
                instructions=request.POST.get("instructions", "") if how == "pass" else "")
        except actions.CaseInvalid as error:
            context["errors"] = error.errors
            show_error(request, error)
        except DomainError as error:
            show_error(request, error)
        else:
            messages.success(request, _("Case %(serial)s recorded.") % {"serial": case.serial})
            return redirect("service:detail", pk=case.pk)
    return render(request, "service/new.html", context)


def _detail_context(request: MemberRequest, case: Case) -> dict[str, Any]:
    me = request.user
    assignments = list(case.assignments.all())  # prefetched by get_case_for_user
    pending = [a for a in assignments if a.round == case.round and a.state == AssignmentState.PENDING]
    from xietong.work.actions import may_act_on

    mine = [a for a in pending if a.task is not None and may_act_on(me, a.task)[0]]
    is_cs = actions.is_customer_service(me)
    return {
        "case": case, "masked": actions.masked(case), "can_reveal": actions.may_reveal(me, case), "is_cs": is_cs,
        "assignments": assignments,
        "mine": mine, "departments": _case_departments(),
        "can_take": is_cs and case.state in (CaseState.NEW, CaseState.OPEN),
        "can_confirm": is_cs and case.state == CaseState.CONFIRMING,
        "history": history_shown(me, case), "subject": (actions.SUBJECT, str(case.pk)),
        "comments": discussion.comments_for(case), "attachments": discussion.attachments_for(case),
        "customer_rows": _customer_rows(actions.masked(case)),
    }


def _customer_rows(values: dict[str, str]) -> list[tuple[str, Any, str]]:
    return [(name, getattr(Case._meta.get_field(name), "verbose_name", name), values.get(name, ""))
            for name in PERSONAL_FIELDS]


@member_required
def detail(request: MemberRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    return render(request, "service/detail.html", _detail_context(request, case))


@member_required
@require_POST
def reveal(request: MemberRequest, pk: int) -> HttpResponse:
    me = request.user
    case = get_case_for_user(me, pk)
    context = _detail_context(request, case)
    try:
        context["revealed"] = True
        context["customer_rows"] = _customer_rows(actions.case_reveal(actor=me, case=case,
                                                                      reason=request.POST.get("reason", "")))
    except DomainError as error:
        if request.htmx:  # type: ignore[attr-defined]
            return HttpResponse(str(error.message), status=403)
        show_error(request, error)
        return redirect("service:detail", pk=case.pk)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "service/detail.html#customer", context)
    return render(request, "service/detail.html", context)


# One view per verb, each at its own URL (urls.py): /service/<id>/solve/, /pass/, …
VERB_VIEWS = {verb.slug: verb_page(verb, load=get_case_for_user, detail="service:detail", labels=LABELS)
              for verb in VERBS}


@member_required
def summaries(request: MemberRequest) -> HttpResponse:
    if not can_view_summaries(request.user):
        return forbidden(request)
    return render(request, "service/summaries.html", {"summaries": WeeklySummary.objects.all()[:104]})


@member_required
def summary(request: MemberRequest, pk: int) -> HttpResponse:
    if not can_view_summaries(request.user):
        return forbidden(request)
    item = get_object_or_404(WeeklySummary, pk=pk)
    cases = item.cases.order_by("-created_at")
    return render(request, "service/summary.html", {"summary": item, "cases": cases})


# --- public pages of the website channel (no sign-in) ---------------------

def _source(request: HttpRequest) -> str:
    # The visitor's address, through the trusted proxies (XIETONG_TRUSTED_PROXIES): behind a
    # TLS terminator every visitor would otherwise share the proxy's one address and rate limit.
    return client_ip(request)


def public_form(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"values": {}, "errors": {}, "categories": Category.choices}
    if request.method == "POST":
        context["values"] = request.POST.dict()
        if request.POST.get("website"):  # the honeypot: people leave it empty
            return render(request, "service/public_form.html", context, status=400)
        try:
            case = actions.case_submit_public(data=request.POST, source=_source(request))
        except actions.CaseInvalid as error:
            context["errors"] = error.errors
            context["error"] = error.message
            return render(request, "service/public_form.html", context, status=400)
        except DomainError as error:
            context["error"] = error.message
            return render(request, "service/public_form.html", context,
                          status=429 if error.code == "rate_limited" else 400)
        return redirect("service:public_track", code=case.tracking_code)
    return render(request, "service/public_form.html", context)


def public_track(request: HttpRequest, code: str) -> HttpResponse:
    case = Case.objects.filter(tracking_code=code.upper()[:16]).first()
    if case is None:
        raise Http404
    return render(request, "service/public_track.html", {
        "case": case, "name": actions.mask_name(case.customer_name),
        "departments": sorted({a.department.name for a in case.assignments.select_related("department")}),
    })


def public_survey(request: HttpRequest, token: str) -> HttpResponse:
    case = Case.objects.filter(survey_token=token, state=CaseState.CLOSED).first() if token else None
    if case is None:
        raise Http404
    context: dict[str, Any] = {"case": case, "done": case.survey_answered_at is not None}
    if request.method == "POST" and not context["done"]:
        try:
            actions.survey_answer(token=token, rating=request.POST.get("rating", ""),
                                  comment=request.POST.get("comment", ""))
        except DomainError as error:
            context["error"] = error.message
            return render(request, "service/public_survey.html", context, status=400)
        context["done"] = True
        context["thanks"] = True
    return render(request, "service/public_survey.html", context)
