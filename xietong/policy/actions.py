"""Writes to policy parameters and the working calendar (POL-1, POL-3).

A parameter changes when its POL-2 approval (the approvals module's
流程/参数变更 form: the parameter's owner reviews, the CEO approves a major
change — both declared in the registry) is approved: that approval calls
`parameter_set(..., approved_in=<its serial>)`. Without an approval only an
administrator may call it (scripts, tests); the product's pages and API
offer no other way. Every change is an event. The value is checked against
its bounds and the rules between parameters again here, when it is
decided: something else may have changed since it was proposed.
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.audit.trail import event_record
from xietong.errors import Conflict, DomainError, PermissionDenied
from xietong.inputs import LAST_DAY, clean_line, clean_text
from xietong.org.models import Person
from xietong.org.permissions import can_manage_org

from . import snapshot
from .models import CalendarDay, CalendarSource, CalendarYear, DayKind, ParameterValue
from .queries import change_check, change_scheduled_on, param
from .registry import get_param


def _changes_policy[**P, R](action: Callable[P, R]) -> Callable[P, R]:
    """After an action that writes the policy, this request reads the policy's
    token again (the database trigger has changed it: snapshot.py)."""

    @wraps(action)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return action(*args, **kwargs)
        finally:
            snapshot.changed()

    return run


def can_manage_calendar(person: Person) -> bool:
    return can_manage_org(person)


def _require_admin(actor: Person) -> None:
    if not can_manage_org(actor):
        raise PermissionDenied()


def parameters_lock() -> None:
    """Serialize changes to parameters (rare; their rules relate several
    keys, so two changes checked at once could each pass alone and break a
    rule together). PostgreSQL: a transaction-level advisory lock; SQLite
    takes its write lock at BEGIN already."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('xietong.policy.parameters'))")


@_changes_policy
@transaction.atomic
def parameter_set(
    *, actor: Person, key: str, raw_value: Any, reason: str, effective_from: datetime | None = None,
    approved_in: str = "",
) -> ParameterValue:
    """POL-1: a new value for a parameter, in force from `effective_from`.
    POL-2: `approved_in` names the approval that decided it."""
    if not approved_in:
        _require_admin(actor)
    definition = get_param(key)
    value = definition.parse(raw_value)
    reason = clean_text(reason, _("Reason"), limit=300)
    if not reason:
        raise DomainError(_("Say why the parameter changes."), code="reason_required")
    now = timezone.now()
    effective_from = effective_from or now
    if effective_from < now - timedelta(minutes=5):
        raise DomainError(_("A change cannot take effect in the past."), code="past_effective")
    if timezone.localtime(effective_from).date() > LAST_DAY:
        raise DomainError(_("Choose an effective date before %(last)s.") % {"last": LAST_DAY}, code="too_far")
    parameters_lock()
    if change_scheduled_on(key, timezone.localtime(effective_from).date()) is not None:
        raise Conflict(_("“%(label)s” already has a change taking effect on %(day)s.")
                       % {"label": definition.label, "day": timezone.localtime(effective_from).date()},
                       code="change_exists")
    change_check(key, value, effective_from)
    before = param(key, at=effective_from)
    row = ParameterValue.objects.create(
        key=key, value=definition.to_json(value), effective_from=effective_from, reason=reason, set_by=actor
    )
    event_record(
        actor=actor, verb="policy.parameter_set", subject=("policy.parameter", key),
        before={"value": definition.to_json(before)},
        after={"value": row.value, "effective_from": effective_from, "approved_in": approved_in}, note=row.reason,
    )
    return row


@_changes_policy
@transaction.atomic
def calendar_year_open(*, actor: Person, year: int, note: str = "") -> CalendarYear:
    """POL-3: declare that `year`'s schedule has been entered, so deadlines in it
    may be computed. The administrator enters its days before or after."""
    _require_admin(actor)
    if not 2000 <= year <= 2100:
        raise DomainError(_("Enter a year between 2000 and 2100."), code="bad_year")
    calendar_year, created = CalendarYear.objects.get_or_create(
        year=year, defaults={"source": CalendarSource.ADMIN, "note": clean_line(note, _("Note"))}
    )
    if created:
        event_record(actor=actor, verb="calendar.year_open", subject=calendar_year, after={"year": year})
    return calendar_year


@_changes_policy
@transaction.atomic
def calendar_day_set(*, actor: Person, day: date, kind: str, name: str = "") -> CalendarDay:
    """POL-3: mark a day as a holiday or a make-up workday (overrides the library)."""
    _require_admin(actor)
    if kind not in DayKind.values:
        raise DomainError(_("Choose holiday or make-up workday."), code="bad_kind")
    existing = CalendarDay.objects.select_for_update().filter(date=day).first()
    before = {"kind": existing.kind, "name": existing.name} if existing else None
    calendar_day, _created = CalendarDay.objects.update_or_create(
        date=day, defaults={"kind": kind, "name": name.strip(), "source": CalendarSource.ADMIN}
    )
    event_record(actor=actor, verb="calendar.day_set", subject=("policy.calendarday", day.isoformat()),
                 before=before, after={"kind": kind, "name": calendar_day.name})
    return calendar_day


@_changes_policy
@transaction.atomic
def calendar_day_remove(*, actor: Person, day: date) -> None:
    """POL-3: the day follows the ordinary Monday–Friday rule again."""
    _require_admin(actor)
    existing = CalendarDay.objects.select_for_update().filter(date=day).first()
    if existing is None:
        return
    existing.delete()
    event_record(actor=actor, verb="calendar.day_remove", subject=("policy.calendarday", day.isoformat()),
                 before={"kind": existing.kind, "name": existing.name})


@_changes_policy
@transaction.atomic
def calendar_seed_from_library(*, overwrite_admin_days: bool = False) -> list[int]:
    """Load every year chinesecalendar covers. Days an administrator entered
    win unless `overwrite_admin_days`. Returns the years added or refreshed."""
    import chinese_calendar

    by_year: dict[int, list[tuple[date, str, str]]] = {}
    for day, name in chinese_calendar.holidays.items():
        if day.weekday() < 5:  # a weekend holiday is already a day off
            by_year.setdefault(day.year, []).append((day, DayKind.HOLIDAY, str(name)))
    for day, name in chinese_calendar.workdays.items():
        if day.weekday() >= 5:
            by_year.setdefault(day.year, []).append((day, DayKind.WORKDAY, str(name)))
    admin_days = set(CalendarDay.objects.filter(source=CalendarSource.ADMIN).values_list("date", flat=True))
    years = sorted(by_year)
    for year in years:
        entries = [e for e in by_year[year] if overwrite_admin_days or e[0] not in admin_days]
        CalendarDay.objects.filter(date__year=year, source=CalendarSource.LIBRARY).delete()
        CalendarDay.objects.bulk_create(
            [CalendarDay(date=d, kind=k, name=n, source=CalendarSource.LIBRARY) for d, k, n in entries],
            update_conflicts=True, unique_fields=["date"], update_fields=["kind", "name", "source"],
        )
        calendar_year, _created = CalendarYear.objects.update_or_create(
            year=year, defaults={"source": CalendarSource.LIBRARY,
                                 "note": f"chinesecalendar {chinese_calendar.__version__}"}
        )
        event_record(actor=None, verb="calendar.seed", subject=calendar_year,
                     after={"days": len(entries), "source": calendar_year.note})
    return years
