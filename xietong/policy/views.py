from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xietong.audit.history import history_shown
from xietong.errors import DomainError
from xietong.inputs import FIRST_DAY, LAST_DAY, parse_int
from xietong.org.gates import MemberRequest, member_required
from xietong.org.permissions import can_manage_org
from xietong.pages import forbidden, show_error

from . import actions
from .calendar import WorkingCalendar
from .forms import CalendarComputeForm, CalendarDayForm
from .queries import calendar_days, calendar_years, param, parameter_history, parameter_states
from .registry import get_param


@member_required
def parameters(request: MemberRequest) -> HttpResponse:
    return render(request, "policy/parameters.html", {"states": parameter_states(),
                                                       "can_edit": can_manage_org(request.user)})


@member_required
@require_GET
def parameter(request: MemberRequest, key: str) -> HttpResponse:
    """A parameter, its value in force and its history. Changing it is a
    POL-2 approval (流程/参数变更), linked from here."""
    me = request.user
    try:
        definition = get_param(key)
    except DomainError:
        raise Http404 from None
    can_audit = can_manage_org(me)
    return render(request, "policy/parameter.html", {
        "param": definition, "value": param(key), "history": parameter_history(key),
        "change_url": reverse("approvals:apply", args=["policy_change"]) + "?" + urlencode({"parameter": key}),
        "events": history_shown(me, ("policy.parameter", key)) if can_audit else [],
    })


@member_required
def calendar(request: MemberRequest) -> HttpResponse:
    years = calendar_years()
    today = timezone.localdate()
    year = today.year
    if request.GET.get("year"):
        try:
            year = parse_int(request.GET["year"], _("Year"), minimum=FIRST_DAY.year, maximum=LAST_DAY.year)
        except DomainError as error:
            show_error(request, error)
    result = None
    compute = CalendarComputeForm(request.GET if "start" in request.GET else None)
    if compute.is_bound and compute.is_valid():
        data = compute.cleaned_data
        try:
            cal = WorkingCalendar.load(at=data["start"])
            if data["unit"] == "days":
                if data["amount"] != int(data["amount"]):
                    raise DomainError(_("Working days must be a whole number."))
                result = cal.add_working_days(data["start"], int(data["amount"]))
            else:
                result = cal.add_working_hours(data["start"], data["amount"])
        except DomainError as exc:
            compute.add_error(None, str(exc.message))
    return render(request, "policy/calendar.html", {
        "years": years, "year": year, "covered": any(y.year == year for y in years),
        "days": calendar_days(year), "can_edit": can_manage_org(request.user),
        "day_form": CalendarDayForm(), "compute": compute, "result": result,
        "periods": param("calendar.work_periods"), "tz": param("calendar.timezone"),
    })


@member_required
@require_POST
def calendar_day(request: MemberRequest) -> HttpResponse:
    me = request.user
    if not can_manage_org(me):
        return forbidden(request)
    form = CalendarDayForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a date and a kind."))
        return redirect("policy:calendar")
    day = form.cleaned_data["date"]
    try:
        if request.POST.get("remove"):
            actions.calendar_day_remove(actor=me, day=day)
        else:
            actions.calendar_day_set(actor=me, day=day, kind=form.cleaned_data["kind"], name=form.cleaned_data["name"])
        messages.success(request, _("Saved."))
    except DomainError as exc:
        show_error(request, exc)
    return redirect(f"{request.path.rsplit('/day/', 1)[0]}/?year={day.year}")


@member_required
@require_POST
def calendar_year(request: MemberRequest) -> HttpResponse:
    me = request.user
    if not can_manage_org(me):
        return forbidden(request)
    try:
        year = int(request.POST.get("year", ""))
        actions.calendar_year_open(actor=me, year=year, note=request.POST.get("note", ""))
    except ValueError:
        messages.error(request, _("Enter a year between 2000 and 2100."))
        return redirect("policy:calendar")
    except DomainError as exc:
        show_error(request, exc)
        return redirect("policy:calendar")
    messages.success(request, _("Deadlines in %(year)s can now be computed.") % {"year": year})
    return redirect(f"{request.path.rsplit('/year/', 1)[0]}/?year={year}")


