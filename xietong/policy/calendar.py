"""The working calendar (POL-3): statutory holidays, 调休 make-up workdays and
company working hours, for every deadline in the product.

    cal = WorkingCalendar.load()
    cal.add_working_days(t, 3)
    cal.add_working_hours(t, 8)
    cal.working_time_between(a, b)

Module-level shortcuts load the calendar from the database each call. A
year without calendar data raises CalendarNotAvailable rather than guessing.
"""

import zoneinfo
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.errors import DomainError
from xietong.inputs import FIRST_DAY, LAST_DAY, check_instant

from . import snapshot
from .models import CalendarDay, CalendarYear, DayKind

MAX_SPAN_DAYS = 366 * 5
MAX_HOURS = MAX_SPAN_DAYS * 24


def _duration(amount: float | int | Decimal | timedelta) -> timedelta:
    """Hours (or a timedelta) as a timedelta, refused when negative or beyond
    the longest span the calendar computes (never an overflow)."""
    if isinstance(amount, timedelta):
        remaining = amount
    else:
        hours = float(amount)
        if hours != hours or abs(hours) > MAX_HOURS:  # NaN, or beyond five years
            raise DomainError(_("The period is too long to compute."), code="span_too_long")
        remaining = timedelta(hours=hours)
    if remaining < timedelta(0):
        raise DomainError(_("The amount of time cannot be negative."), code="negative_amount")
    return remaining


class CalendarNotAvailable(DomainError):
    def __init__(self, year: int):
        super().__init__(
            _("The working calendar has no data for %(year)s. An administrator must enter that year's "
              "holidays and make-up workdays before deadlines in it can be computed.") % {"year": year},
            code="calendar_not_available",
            details={"year": year},
        )
        self.year = year


def parse_periods(text: str) -> list[tuple[time, time]]:
    periods = []
    for chunk in text.split(","):
        start, end = chunk.strip().split("-")
        periods.append((time.fromisoformat(start), time.fromisoformat(end)))
    return periods


def check_date_in_range(day: date) -> None:
    if not FIRST_DAY.year <= day.year <= LAST_DAY.year + 5:
        raise DomainError(_("Dates must fall between %(first)s and %(last)s.")
                          % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}, code="date_out_of_range")


_TIME = gettext_lazy("Time")


class WorkingCalendar:
    def __init__(self, *, periods: list[tuple[time, time]], tz: zoneinfo.ZoneInfo, lenient: bool = False):
        self.periods = periods
        self.tz = tz
        self._years: dict[int, dict[date, str] | None] = {}
        # Lenient: a year whose schedule is not entered yet counts Monday to
        # Friday as working days instead of refusing; `assumed_years` says which.
        self.lenient = lenient
        self.assumed_years: set[int] = set()

    @classmethod
    def load(cls, *, at: datetime | None = None, lenient: bool = False,
             values: dict[str, Any] | None = None) -> "WorkingCalendar":
        """The calendar in force at `at`. `values` may carry the two calendar
        parameters already read (see queries.params) to save a query."""
        from .queries import params

        values = values if values is not None else params("calendar.work_periods", "calendar.timezone", at=at)
        return cls(
            periods=parse_periods(values["calendar.work_periods"]),
            tz=zoneinfo.ZoneInfo(values["calendar.timezone"]),
            lenient=lenient,
        )

    # --- days ---

    def _exceptions(self, year: int) -> dict[date, str]:
        if year not in self._years:
            policy = snapshot.current()
            if policy is not None:
                self._years[year] = policy.years.get(year)
            else:
                days = dict(CalendarDay.objects.filter(date__year=year).values_list("date", "kind"))
                # An opened year always has days (its holidays); only an empty one needs the second look.
                opened = bool(days) or CalendarYear.objects.filter(year=year).exists()
                self._years[year] = days if opened else None
        exceptions = self._years[year]
        if exceptions is None:
            if self.lenient:
                self.assumed_years.add(year)
                return {}
            raise CalendarNotAvailable(year)
        return exceptions

    def is_working_day(self, day: date) -> bool:
        check_date_in_range(day)
        kind = self._exceptions(day.year).get(day)
        if kind == DayKind.HOLIDAY:
            return False
        if kind == DayKind.WORKDAY:
            return True
        return day.weekday() < 5

    def working_days(self, start: date) -> Iterator[date]:
        """Working days from `start` (inclusive) onwards."""
        day = start
        for _i in range(MAX_SPAN_DAYS):
            if self.is_working_day(day):
                yield day
            day += timedelta(days=1)
        raise DomainError(_("The period is too long to compute."), code="span_too_long")

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative if end < start)."""
        if end < start:
            return -self.working_days_between(end, start)
        if (end - start).days > MAX_SPAN_DAYS:
            raise DomainError(_("The period is too long to compute."), code="span_too_long")
        return sum(1 for i in range(1, (end - start).days + 1) if self.is_working_day(start + timedelta(days=i)))

    # --- instants ---

    def _local(self, instant: datetime) -> datetime:
        if instant.tzinfo is None:
            raise DomainError(_("A time zone is required."), code="naive_datetime")
        # The label lazily: translated only when the instant is refused (this runs for every deadline).
        return check_instant(instant, _TIME).astimezone(self.tz)

    def _at(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.tz)

    def end_of_day(self, day: date) -> datetime:
        """The end of the day's last working period (a deadline "by 12 May")."""
        return self._at(day, self.periods[-1][1])

    def local_date(self, instant: datetime) -> date:
        return self._local(instant).date()

    def add_working_hours(self, start: datetime, amount: float | int | Decimal | timedelta) -> datetime:
        """The instant `amount` of working time after `start`. Ends exactly on
        a period's end rather than the next period's start (18:00, not 09:00)."""
        remaining = _duration(amount)
        if remaining == timedelta(0):
            return start
        # In the zone's wall time, as the arithmetic of two times in one zone is
        # anyway: naive values are cheaper to build and compare.
        cursor = self._local(start).replace(tzinfo=None)
        day = cursor.date()
        combine = datetime.combine
        for _i in range(MAX_SPAN_DAYS):
            if self.is_working_day(day):
                for period_start, period_end in self.periods:
                    finish = combine(day, period_end)
                    if cursor >= finish:
                        continue
                    begin = max(combine(day, period_start), cursor)
                    available = finish - begin
                    if remaining <= available:
                        return (begin + remaining).replace(tzinfo=self.tz)
                    remaining -= available
            day += timedelta(days=1)
            cursor = combine(day, time(0))
        raise DomainError(_("The period is too long to compute."), code="span_too_long")

    def subtract_working_hours(self, end: datetime, amount: float | int | Decimal | timedelta) -> datetime:
        """The instant `amount` of working time before `end` (a reminder before
        a deadline, KER-3). Starts exactly on a period's start."""
        remaining = _duration(amount)
        if remaining == timedelta(0):
            return end
        cursor = self._local(end)
        day = cursor.date()
        for _i in range(MAX_SPAN_DAYS):
            if self.is_working_day(day):
                for period_start, period_end in reversed(self.periods):
                    begin, finish = self._at(day, period_start), self._at(day, period_end)
                    if cursor <= begin:
                        continue
                    finish = min(finish, cursor)
                    available = finish - begin
                    if remaining <= available:
                        return finish - remaining
                    remaining -= available
            cursor = self._at(day, time(0))
            day -= timedelta(days=1)
        raise DomainError(_("The period is too long to compute."), code="span_too_long")

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same time of day on the `days`-th working day after `start`.
        Outside working hours `start` counts from the end of the last working
        period before it: Friday 19:00 + 1 working day = Monday 18:00."""
        if days < 0:
            raise DomainError(_("The number of days cannot be negative."), code="negative_amount")
        if days > MAX_SPAN_DAYS:
            raise DomainError(_("The period is too long to compute."), code="span_too_long")
        if days == 0:
            return start
        local = self._local(start)
        day, moment = local.date(), local.time()
        first_start, last_end = self.periods[0][0], self.periods[-1][1]
        if self.is_working_day(day) and first_start <= moment <= last_end:
            anchor_day, anchor_time = day, moment
        else:
            anchor_time = last_end
            if self.is_working_day(day) and moment > last_end:
                anchor_day = day
            else:
                anchor_day = day - timedelta(days=1)
                for _i in range(MAX_SPAN_DAYS):
                    if self.is_working_day(anchor_day):
                        break
                    anchor_day -= timedelta(days=1)
        for counted, working_day in enumerate(self.working_days(anchor_day + timedelta(days=1)), start=1):
            if counted == days:
                return self._at(working_day, anchor_time)
        raise AssertionError("unreachable")  # pragma: no cover

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in [start, end]; negative when end is before start."""
        if end < start:
            return -self.working_time_between(end, start)
        a, b = self._local(start), self._local(end)
        if (b.date() - a.date()).days > MAX_SPAN_DAYS:
            raise DomainError(_("The period is too long to compute."), code="span_too_long")
        total = timedelta(0)
        day = a.date()
        while day <= b.date():
            if self.is_working_day(day):
                for period_start, period_end in self.periods:
                    begin = max(self._at(day, period_start), a)
                    finish = min(self._at(day, period_end), b)
                    if finish > begin:
                        total += finish - begin
            day += timedelta(days=1)
        return total

    def is_working_time(self, instant: datetime) -> bool:
        local = self._local(instant)
        if not self.is_working_day(local.date()):
            return False
        return any(s <= local.time() < e for s, e in self.periods)


def assumption_note(calendar: "WorkingCalendar | None") -> str:
    """What a record's history says when a deadline was counted Monday–Friday
    because a year's holidays were not entered yet (a lenient calendar)."""
    if calendar is None or not calendar.assumed_years:
        return ""
    return f"calendar not entered for {sorted(calendar.assumed_years)}: counted Monday–Friday"


def is_working_day(day: date) -> bool:
    return WorkingCalendar.load().is_working_day(day)


def add_working_days(start: datetime, days: int) -> datetime:
    return WorkingCalendar.load(at=start).add_working_days(start, days)


def add_working_hours(start: datetime, hours: float | int | Decimal | timedelta) -> datetime:
    return WorkingCalendar.load(at=start).add_working_hours(start, hours)


def working_time_between(start: datetime, end: datetime) -> timedelta:
    return WorkingCalendar.load(at=start).working_time_between(start, end)
