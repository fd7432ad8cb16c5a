"""Schedules on the working calendar (KER-3): what a regulation says happens
"every Friday", "on the 5th of each month", "in the first month of each
quarter", "each year in December" — meetings, report deadlines,
publications, surveys, audits, assessment cycles, the weekly summary.

A module declares a `Schedule` in its manifest; its day comes from a policy
parameter (so the regulation's number is the company's to change), and a
holiday rule says what happens when that day is not a working day: move to
the next working day, to the previous one, or skip the occurrence.

    Schedule("service.weekly_summary", _("Weekly customer-service summary"), module="service",
             every=WEEKLY, day_param="service.weekly_summary_weekday", at="09:00",
             holiday=NEXT, run=summary_for_occurrence)

Each sweep asks every schedule for the occurrences due by now that have not
run — the latest `catch_up` of them, so a worker that was down makes up
what it missed — and runs each exactly once across all workers: the claim
is a unique `SweepRun(name=key, day=occurrence)` row written in the same
transaction as the occurrence's work, so a failure leaves it unclaimed and
the next sweep tries again. `run(occurrence=date, nominal=date, at=datetime,
now=datetime)` returns how many things it did: `nominal` is the day the
rule names (the Friday), `occurrence` the day it happens after the holiday
rule (the Monday after a holiday Friday).
"""

import calendar as monthcal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from xietong.platform.manifest import SCHEDULES, Label
from xietong.policy.calendar import WorkingCalendar
from xietong.policy.queries import param_over

from .models import SweepRun

WEEKLY, MONTHLY, QUARTERLY, YEARLY = "weekly", "monthly", "quarterly", "yearly"
NEXT, PREVIOUS, SKIP = "next", "previous", "skip"
# How far back a sweep looks for occurrences it has not run, per frequency.
_LOOK_BACK_DAYS = {WEEKLY: 7 * 6, MONTHLY: 31 * 4, QUARTERLY: 92 * 3, YEARLY: 366 * 2}


@dataclass(frozen=True)
class Schedule:
    key: str
    label: Label
    module: str
    every: str  # WEEKLY, MONTHLY, QUARTERLY, YEARLY
    # The parameter holding the day: a weekday 1–7 (Monday = 1) for weekly,
    # else a day of the month 1–31 (the month's last day when it has fewer).
    day_param: str
    run: Callable[..., int]
    holiday: str = NEXT  # NEXT, PREVIOUS or SKIP when the day is not a working day
    at: str = "09:00"  # local time of day on the company's calendar
    month: int = 1  # yearly: the month; quarterly: the month of the quarter (1–3)
    # How many of the newest due occurrences a sweep makes sure have run: 1
    # makes up the last one missed; more, the last N (a worker down for weeks).
    catch_up: int = 1

    def nominal_days(self, start: date, end: date) -> Iterator[tuple[date, int]]:
        """(day, parameter value) of every nominal day in [start, end], before
        the holiday rule; the parameter as it stood on each day, read once."""
        value_at = param_over(self.day_param, start=_noon(start), end=_noon(end))
        if self.every == WEEKLY:
            day = start
            while day <= end:
                weekday = int(value_at(_noon(day)))
                if day.isoweekday() == weekday:
                    yield day, weekday
                day += timedelta(days=1)
            return
        year, month = start.year, start.month
        while date(year, month, 1) <= end:
            if self._month_applies(month):
                wanted = int(value_at(_noon(date(year, month, 1))))
                day = date(year, month, min(wanted, monthcal.monthrange(year, month)[1]))
                if start <= day <= end:
                    yield day, wanted
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    def _month_applies(self, month: int) -> bool:
        if self.every == MONTHLY:
            return True
        if self.every == QUARTERLY:
            return (month - 1) % 3 == self.month - 1
        return month == self.month

    def occurrence(self, nominal: date, calendar: WorkingCalendar) -> date | None:
        """The day it happens, after the holiday rule (None: skipped)."""
        if calendar.is_working_day(nominal):
            return nominal
        if self.holiday == SKIP:
            return None
        step = timedelta(days=1 if self.holiday == NEXT else -1)
        day = nominal
        for _i in range(60):  # the longest run of days off (Spring Festival with weekends) is far shorter
            day += step
            if calendar.is_working_day(day):
                return day
        return None

    def occurrences(self, start: date, end: date, calendar: WorkingCalendar) -> list[tuple[date, date]]:
        """(occurrence, nominal day) of every occurrence in [start, end], in order."""
        # A nominal day just outside the window may move into it.
        found = [(self.occurrence(nominal, calendar), nominal) for nominal, _v in
                 self.nominal_days(start - timedelta(days=15), end + timedelta(days=15))]
        return sorted((day, nominal) for day, nominal in found if day is not None and start <= day <= end)

    def moment(self, day: date, calendar: WorkingCalendar) -> datetime:
        hour, minute = (int(x) for x in self.at.split(":"))
        return datetime.combine(day, time(hour, minute), tzinfo=calendar.tz)


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=timezone.get_current_timezone())


def due_occurrences(schedule: Schedule, *, now: datetime, calendar: WorkingCalendar) -> list[tuple[date, date]]:
    """(occurrence, nominal day) of the occurrences whose moment has come and
    that have not run: the newest `catch_up` of those in the look-back window."""
    today = now.astimezone(calendar.tz).date()
    start = today - timedelta(days=_LOOK_BACK_DAYS[schedule.every])
    due = [(d, n) for d, n in schedule.occurrences(start, today, calendar) if schedule.moment(d, calendar) <= now]
    due = due[-schedule.catch_up:] if schedule.catch_up else due[-1:]
    done = set(SweepRun.objects.filter(name=schedule.key, day__in=[n for _d, n in due]).values_list("day", flat=True))
    return [(d, n) for d, n in due if n not in done]


def schedule_run(schedule: Schedule, *, now: datetime | None = None) -> int:
    """Run the schedule's due occurrences, each once across all workers (the
    claim is its nominal day: a parameter change cannot make it run twice)."""
    now = now or timezone.now()
    calendar = WorkingCalendar.load(at=now, lenient=True)
    done = 0
    for day, nominal in due_occurrences(schedule, now=now, calendar=calendar):
        with transaction.atomic():  # the claim and the work: both or neither
            try:
                with transaction.atomic():
                    SweepRun.objects.create(name=schedule.key, day=nominal, at=now)
            except IntegrityError:
                continue  # another worker ran it
            # A failure here is the schedule's own: it propagates (and is
            # recorded), the claim rolls back, the next sweep tries again.
            done += schedule.run(occurrence=day, nominal=nominal, at=schedule.moment(day, calendar), now=now) or 0
    return done


def schedules_run(*, now: datetime | None = None, part: Callable[[str, Callable[[], Any]], None]) -> None:
    """Every declared schedule, each on its own (`part` isolates and records it)."""
    for key, schedule in list(SCHEDULES.items()):
        part(key, _runner(schedule, now))


def _runner(schedule: Schedule, now: datetime | None) -> Callable[[], int]:
    return lambda: schedule_run(schedule, now=now)


def next_occurrences(schedule: Schedule, *, start: date, count: int = 3) -> list[date]:
    """The coming occurrences (for pages that show "next: …")."""
    calendar = WorkingCalendar.load(lenient=True)
    days: list[date] = []
    window = start
    while len(days) < count and window < start + timedelta(days=800):
        end = window + timedelta(days=_LOOK_BACK_DAYS[schedule.every])
        days += [d for d, _n in schedule.occurrences(window, end, calendar) if d not in days]
        window = end + timedelta(days=1)
    return days[:count]
