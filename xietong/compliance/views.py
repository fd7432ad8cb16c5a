"""The compliance view (SUP-2): every clause with its pass rate per
department for a month or a quarter, the trend over the periods before, the
failing records one click away, the clauses not automated yet; Excel export.
Supervision, audit, the coordination office and leadership see the whole
company; a department head sees their departments; anyone else is refused."""

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from xietong.errors import DomainError
from xietong.org.gates import MemberRequest, member_required
from xietong.pages import forbidden, show_error
from xietong.work.registry import subject_url

from .catalogue import clause as clause_by_id
from .queries import Period, Scope, clause_detail, overview, scope_for

PAGE_SIZE = 50


def _scope_and_period(request: MemberRequest) -> tuple[Scope | None, Period]:
    scope = scope_for(request.user)
    try:
        period = Period.parse(request.GET.get("period"))
    except DomainError as error:
        show_error(request, error)
        period = Period.parse("")
    return scope, period


@member_required
def index(request: MemberRequest) -> HttpResponse:
    scope, period = _scope_and_period(request)
    if scope is None:
        return forbidden(request)
    view = overview(period, scope)
    return render(request, "compliance/index.html", {
        "view": view, "period": period, "scope": scope, "previous": period.previous(), "next": period.next(),
        "trend_keys": [key for key, _rate in view.rows[0].trend] if view.rows else [],
    })


@member_required
def clause(request: MemberRequest, clause_id: str) -> HttpResponse:
    found = clause_by_id(clause_id)
    if found is None:
        raise Http404
    scope, period = _scope_and_period(request)
    if scope is None:
        return forbidden(request)
    failing = request.GET.get("all") != "1"
    detail = clause_detail(found, period, scope, failing=failing)
    page = Paginator(detail.records, PAGE_SIZE).get_page(request.GET.get("page"))
    links = {(r.subject_type, r.subject_id): subject_url(r.subject_type, r.subject_id) for r in page}
    return render(request, "compliance/clause.html", {
        "clause": found, "detail": detail, "period": period, "page": page, "failing": failing,
        "rows": [(r, links[(r.subject_type, r.subject_id)]) for r in page], "scope": scope,
    })


@member_required
def export(request: MemberRequest) -> HttpResponse:
    from .exports import workbook

    scope, period = _scope_and_period(request)
    if scope is None:
        return forbidden(request)
    body = workbook(overview(period, scope), scope, language=get_language() or "zh-hans")
    response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="compliance-{period.key}.xlsx"'
    return response


# --- measures ------------------------------------------------------------------------

@member_required
def metrics(request: MemberRequest) -> HttpResponse:
    from . import metrics as m

    scope, period = _scope_and_period(request)
    if scope is None:
        return forbidden(request)
    rows = [(row, m.shown(row.metric, row.figure.value)) for row in m.overview(period, scope)]
    return render(request, "compliance/metrics.html", {
        "rows": rows, "period": period, "scope": scope, "previous": period.previous(), "next": period.next()})


@member_required
def metric(request: MemberRequest, key: str) -> HttpResponse:
    from xietong.inputs import parse_id
    from xietong.platform.manifest import METRICS

    from . import metrics as m

    found = METRICS.get(key)
    if found is None:
        raise Http404
    scope, period = _scope_and_period(request)
    if scope is None:
        return forbidden(request)
    department = parse_id(request.GET.get("department", ""))
    person = parse_id(request.GET.get("person", ""))
    detail = m.detail(found, period, scope, department=department, person=person)
    page = m.page_of(detail.facts, request.GET.get("page"))
    return render(request, "compliance/metric.html", {
        "metric": found, "detail": detail, "period": period, "value": m.shown(found, detail.figure.value),
        "departments": [(f, m.shown(found, f.value)) for f in detail.departments],
        "people": [(f, m.shown(found, f.value)) for f in detail.people], "page": page,
        "groups": [(f, m.shown(found, f.value)) for f in detail.groups],
        "rows": [(f, subject_url(f.subject_type, f.subject_id)) for f in page],
        "department": department, "person": person,
    })
