from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router
from pydantic import StringConstraints

from xietong.inputs import check_date, check_instant
from xietong.org.permissions import require_member

from .calendar import WorkingCalendar
from .queries import param, parameter_states
from .registry import Param, get_param
from .schemas import (
    DayOut,
    DurationOut,
    InstantOut,
    ParameterOut,
)

policy_router = Router(tags=["policy"])
calendar_router = Router(tags=["calendar"])


def _out(definition: Param, value: object) -> dict:
    return {
        "key": definition.key, "spec": definition.spec, "clause": definition.clause, "type": definition.type,
        "unit": definition.unit, "default": definition.to_json(definition.default),
        "value": definition.to_json(value), "description_zh": definition.zh, "description_en": definition.en,
    }


@policy_router.get("/parameters", response=list[ParameterOut], summary="Every regulation parameter")
def parameters(request: HttpRequest) -> list[dict]:
    require_member(request.auth)  # type: ignore[attr-defined]
    return [_out(s.param, s.value) for s in parameter_states()]


@policy_router.get("/parameters/{key}", response=ParameterOut)
def parameter(request: HttpRequest, key: Annotated[str, StringConstraints(max_length=80)]) -> dict:
    require_member(request.auth)  # type: ignore[attr-defined]
    return _out(get_param(key), param(key))


# At most a year of working days or hours: beyond that a deadline means nothing.
Days = Annotated[int, Field(ge=0, le=260)]
Hours = Annotated[Decimal, Field(ge=0, le=2100, max_digits=10, decimal_places=4)]


@calendar_router.get("/add-working-days", response=InstantOut, summary="start + N working days (0–260)")
def add_working_days(request: HttpRequest, start: datetime, days: Days) -> dict:
    require_member(request.auth)  # type: ignore[attr-defined]
    check_instant(start, _("Start"))
    return {"start": start, "result": WorkingCalendar.load(at=start).add_working_days(start, days)}


@calendar_router.get("/add-working-hours", response=InstantOut, summary="start + N working hours (0–2100)")
def add_working_hours(request: HttpRequest, start: datetime, hours: Hours) -> dict:
    require_member(request.auth)  # type: ignore[attr-defined]
    check_instant(start, _("Start"))
    return {"start": start, "result": WorkingCalendar.load(at=start).add_working_hours(start, hours)}


@calendar_router.get("/working-time", response=DurationOut, summary="Working time between two instants")
def working_time(request: HttpRequest, start: datetime, end: datetime) -> dict:
    require_member(request.auth)  # type: ignore[attr-defined]
    check_instant(start, _("Start"))
    check_instant(end, _("End"))
    delta = WorkingCalendar.load(at=start).working_time_between(start, end)
    return {"start": start, "end": end, "working_hours": round(delta.total_seconds() / 3600, 4)}


@calendar_router.get("/days/{day}", response=DayOut)
def day(request: HttpRequest, day: date) -> dict:
    require_member(request.auth)  # type: ignore[attr-defined]
    check_date(day, _("Day"))
    return {"date": day, "is_working_day": WorkingCalendar.load().is_working_day(day)}
