"""Duty list pages (ORG-4): every department's list, editing it, marking it
reviewed. Everyone in the company reads; the department's head and liaison,
the coordination office and administrators edit."""

from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.errors import DomainError
from xietong.inputs import parse_id
from xietong.org.gates import MemberRequest, member_required
from xietong.org.models import Department
from xietong.pages import forbidden, show_error

from . import actions
from .models import DutyItem, DutyList


@member_required
def index(request: MemberRequest) -> HttpResponse:
    departments = Department.objects.filter(is_active=True).exclude(kind="company").annotate(
        items=Count("duties", filter=Q(duties__is_active=True)),
        offered=Count("duties", filter=Q(duties__is_active=True, duties__offered=True)),
    ).order_by("path")
    lists = {row.department_id: row for row in DutyList.objects.all()}
    return render(request, "duties/index.html", {"rows": [(d, lists.get(d.pk)) for d in departments]})


def _department(pk: int) -> Department:
    department = Department.objects.filter(pk=pk, is_active=True).first()
    if department is None:
        raise Http404
    return department


@member_required
def department(request: MemberRequest, pk: int) -> HttpResponse:
    dept = _department(pk)
    items = DutyItem.objects.filter(department=dept, is_active=True).prefetch_related("partners")
    shared = DutyItem.objects.filter(partners=dept, is_active=True).select_related("department")
    return render(request, "duties/department.html", {
        "department": dept, "items": items, "shared": shared,
        "retired": DutyItem.objects.filter(department=dept, is_active=False),
        "duty_list": DutyList.objects.filter(department=dept).first(),
        "can_edit": actions.can_edit_duties(request.user, dept),
    })


def _fields(request: HttpRequest) -> tuple[dict[str, Any], list[Department]]:
    fields: dict[str, Any] = {name: request.POST.get(name, "") for name in actions.TEXT_FIELDS}
    fields.update(offered=request.POST.get("offered") == "on",
                  response_working_hours=request.POST.get("response_working_hours", ""),
                  delivery_working_days=request.POST.get("delivery_working_days", ""))
    ids = [pk for pk in map(parse_id, request.POST.getlist("partners")) if pk]
    return fields, list(Department.objects.filter(pk__in=ids, is_active=True))


def _edit(request: MemberRequest, dept: Department, item: DutyItem | None) -> HttpResponse:
    me = request.user
    if not actions.can_edit_duties(me, dept):
        return forbidden(request)
    values: dict[str, Any] = {}
    partner_ids: set[int] = set(item.partners.values_list("pk", flat=True)) if item else set()
    if item is not None:
        values = {name: getattr(item, name) for name in actions.TEXT_FIELDS}
        values.update(offered=item.offered, response_working_hours=item.response_working_hours or "",
                      delivery_working_days=item.delivery_working_days or "")
    if request.method == "POST":
        fields, partners = _fields(request)
        try:
            saved = actions.duty_save(actor=me, department=dept, fields=fields, partners=partners, item=item)
        except DomainError as error:
            show_error(request, error)
            values, partner_ids = fields, {p.pk for p in partners}
        else:
            messages.success(request, _("Saved: %(title)s.") % {"title": saved.title})
            return redirect("duties:department", pk=dept.pk)
    return render(request, "duties/edit.html", {
        "department": dept, "item": item, "values": values, "partner_ids": partner_ids,
        "departments": Department.objects.filter(is_active=True).exclude(pk=dept.pk).exclude(kind="company"),
    })


@member_required
def item_new(request: MemberRequest, pk: int) -> HttpResponse:
    return _edit(request, _department(pk), None)


@member_required
def item_edit(request: MemberRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(DutyItem.objects.select_related("department"), pk=pk)
    return _edit(request, item.department, item)


@member_required
@require_POST
def item_retire(request: MemberRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(DutyItem.objects.select_related("department"), pk=pk)
    try:
        actions.duty_retire(actor=request.user, item=item, reason=request.POST.get("reason", "")[:500])
        messages.success(request, _("Removed from the list: %(title)s.") % {"title": item.title})
    except DomainError as error:
        show_error(request, error)
    return redirect("duties:department", pk=item.department_id)


@member_required
@require_POST
def review(request: MemberRequest, pk: int) -> HttpResponse:
    dept = _department(pk)
    try:
        row = actions.duty_list_review(actor=request.user, department=dept, note=request.POST.get("note", "")[:500])
        messages.success(request, _("Reviewed. The next review is due on %(date)s.")
                         % {"date": f"{row.next_review_at:%Y-%m-%d}"})
    except DomainError as error:
        show_error(request, error)
    return redirect("duties:department", pk=dept.pk)
