"""Reads of policy parameters and the calendar, shared by views and the API."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from .models import CalendarDay, CalendarYear, ParameterValue
from .registry import PARAMETERS, Param, get_param


def param(key: str, *, at: datetime | None = None) -> Any:
    """The value of a policy parameter in force at `at` (default: now)."""
    definition = get_param(key)
    row = (
        ParameterValue.objects.filter(key=key, effective_from__lte=at or timezone.now())
        .order_by("-effective_from", "-id")
        .values_list("value", flat=True)
        .first()
    )
    return definition.default if row is None else definition.from_json(row)


def params(*keys: str, at: datetime | None = None) -> dict[str, Any]:
    """Several parameters in force at `at`, in one query."""
    definitions = {key: get_param(key) for key in keys}
    found: dict[str, Any] = {}
    rows = (ParameterValue.objects.filter(key__in=keys, effective_from__lte=at or timezone.now())
            .order_by("key", "-effective_from", "-id").values_list("key", "value"))
    for key, value in rows:
        if key not in found:
            found[key] = definitions[key].from_json(value)
    return {key: found.get(key, definitions[key].default) for key in keys}


@dataclass(frozen=True)
class ParameterState:
    param: Param
    value: Any
    is_default: bool
    pending: ParameterValue | None  # the next scheduled change, if any


def parameter_states() -> list[ParameterState]:
    """Every registered parameter with its current value and next scheduled change (2 queries)."""
    now = timezone.now()
    rows = list(ParameterValue.objects.order_by("key", "effective_from", "id"))
    current: dict[str, ParameterValue] = {}
    pending: dict[str, ParameterValue] = {}
    row: ParameterValue | None
    for row in rows:
        if row.effective_from <= now:
            current[row.key] = row
        elif row.key not in pending:
            pending[row.key] = row
    states = []
    for definition in PARAMETERS:
        row = current.get(definition.key)
        states.append(
            ParameterState(
                param=definition,
                value=definition.default if row is None else definition.from_json(row.value),
                is_default=row is None,
                pending=pending.get(definition.key),
            )
        )
    return states


def parameter_history(key: str) -> list[ParameterValue]:
    get_param(key)
    return list(ParameterValue.objects.filter(key=key).select_related("set_by").order_by("-effective_from", "-id"))


def calendar_years() -> list[CalendarYear]:
    return list(CalendarYear.objects.order_by("-year"))


def calendar_days(year: int) -> list[CalendarDay]:
    return list(CalendarDay.objects.filter(date__year=year).order_by("date"))
