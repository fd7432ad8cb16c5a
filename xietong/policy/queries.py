"""Reads of policy parameters and the calendar, shared by views and the API."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.errors import DomainError

from . import snapshot
from .models import CalendarDay, CalendarYear, ParameterValue
from .registry import Param, get_param, parameters, related_keys, rules_broken


def param(key: str, *, at: datetime | None = None) -> Any:
    """The value of a policy parameter in force at `at` (default: now)."""
    return params(key, at=at)[key]


def param_over(key: str, *, start: datetime, end: datetime) -> Callable[[datetime], Any]:
    """The parameter as it stood at any moment in [start, end], read in one
    query: the value in force at `start` and every change up to `end`
    (schedules read their day this way for every day they look at)."""
    definition = get_param(key)
    rows = ParameterValue.objects.filter(key=key, effective_from__lte=end).order_by("effective_from", "id")
    first = rows.filter(effective_from__lte=start).order_by("-effective_from", "-id").values("pk")[:1]
    changes = [(at, definition.from_json(value)) for at, value in
               rows.filter(Q(effective_from__gt=start) | Q(pk__in=first)).values_list("effective_from", "value")]

    def at(moment: datetime) -> Any:
        value = definition.default
        for since, later in changes:
            if since > moment:
                break
            value = later
        return value

    return at


def params(*keys: str, at: datetime | None = None) -> dict[str, Any]:
    """Several parameters in force at `at`, in one query (none, when the
    policy snapshot is current: snapshot.py)."""
    definitions = {key: get_param(key) for key in keys}
    at = at or timezone.now()
    policy = snapshot.current()
    if policy is not None:
        out = {}
        for key in keys:
            found_it, stored = policy.value_at(key, at)
            out[key] = definitions[key].from_json(stored) if found_it else definitions[key].default
        return out
    found: dict[str, Any] = {}
    rows = (ParameterValue.objects.filter(key__in=keys, effective_from__lte=at)
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
    for definition in parameters():
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


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The company day [start, next start) in the default time zone."""
    tz = timezone.get_default_timezone()
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, start + timedelta(days=1)


def change_scheduled_on(key: str, day: date) -> ParameterValue | None:
    """An approved value of `key` taking effect that day (POL-2: one per day)."""
    start, end = day_bounds(day)
    return ParameterValue.objects.filter(key=key, effective_from__gte=start, effective_from__lt=end).first()


def change_check(key: str, value: Any, effective_from: datetime) -> None:
    """Would `key` = `value` from `effective_from` break a rule between
    parameters (registry.RULES) — then, or at any later scheduled change of
    a related parameter? DomainError with the rule's message if so."""
    related = related_keys(key)
    if not related:
        return
    later = sorted(set(ParameterValue.objects.filter(key__in=related, effective_from__gt=effective_from)
                       .values_list("effective_from", flat=True)))
    own_later = sorted(ParameterValue.objects.filter(key=key, effective_from__gt=effective_from)
                       .values_list("effective_from", flat=True))
    for instant in [effective_from, *later]:
        values = params(*sorted(related), at=instant)
        if not own_later or own_later[0] > instant:  # the new value still in force then
            values[key] = value
        for rule in rules_broken(values):
            low, high = get_param(rule.low), get_param(rule.high)
            raise DomainError(
                _("%(rule)s (“%(low)s” would be %(low_value)s, “%(high)s” %(high_value)s from %(day)s.)")
                % {"rule": rule.message, "low": low.label, "high": high.label, "low_value": values[rule.low],
                   "high_value": values[rule.high], "day": timezone.localtime(instant).date().isoformat()},
                code="breaks_rule", details={"rule": [rule.low, rule.high]})
