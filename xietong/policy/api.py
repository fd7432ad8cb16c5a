from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Router

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
def parameter(request: HttpRequest, key: str) -> dict:
    require_member(request.auth)  # type: ignore[attr-defined]
    return _out(get_param(key), param(key))


@calendar_router.get("/add-working-days", response=InstantOut, summary="start + N working days")
def add_working_days(request: HttpRequest, start: datetime, days: int) -> dict:
    require_member(request.auth)  # type: ignore[attr-defined]
    return {"start": start, "result": WorkingCalendar.load(at=start).add_working_days(start, days)}


@calendar_router.get("/add-working-hours", response=InstantOut, summary="start + N working hours")
def add_working_hours(request: HttpRequest, start: datetime, hours: Decimal) -> dict:
    require_member(request.auth)  # type: ignore[attr-defined]
    return {"start": start, "result": WorkingCalendar.load(at=start).add_working_hours(start, hours)}


@calendar_router.get("/working-time", response=DurationOut, summary="Working time between two instants")
def working_time(request: HttpRequest, start: datetime, end: datetime) -> dict:
    require_member(request.auth)  # type: ignore[attr-defined]
    delta = WorkingCalendar.load(at=start).working_time_between(start, end)
    return {"start": start, "end": end, "working_hours": round(delta.total_seconds() / 3600, 4)}


@calendar_router.get("/days/{day}", response=DayOut)
def day(request: HttpRequest, day: date) -> dict:
    require_member(request.auth)  # type: ignore[attr-defined]
    return {"date": day, "is_working_day": WorkingCalendar.load().is_working_day(day)}
