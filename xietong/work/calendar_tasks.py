"""POL-3: the administrators are asked to enter a year's working calendar
(the State Council publishes next year's holidays and make-up workdays in
November). Until they do, deadlines in that year count Monday–Friday.

The kernel asks, not policy: policy is the layer below the kernel and
creates no tasks. One sweep creates the task once and closes it when the
year has been entered (by hand or from chinesecalendar)."""

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong.org.models import Role
from xietong.policy.models import CalendarYear

from .actions import task_close, task_create
from .models import SweepRun, Task, TaskState

KIND_ENTER_CALENDAR = "policy.enter_calendar"
SUBJECT = "policy.calendaryear"
# From this month on, next year's calendar is asked for.
NEXT_YEAR_FROM_MONTH = 11


def calendar_gap(today: date) -> int | None:
    """The year whose calendar an administrator should enter now: this year
    if it is missing, next year from November."""
    for year in (today.year, today.year + 1):
        if year == today.year + 1 and today.month < NEXT_YEAR_FROM_MONTH:
            continue
        if not CalendarYear.objects.filter(year=year).exists():
            return year
    return None


def calendar_tasks_close() -> int:
    """Close the open tasks of years that have been entered since."""
    closed = 0
    open_tasks = Task.objects.filter(kind=KIND_ENTER_CALENDAR, subject_type=SUBJECT, state=TaskState.OPEN)
    entered = {str(y) for y in CalendarYear.objects.filter(
        year__in=[int(t) for t in open_tasks.values_list("subject_id", flat=True) if t.isdigit()],
    ).values_list("year", flat=True)}
    for task in open_tasks.filter(subject_id__in=entered):
        with transaction.atomic():
            task_close(task=task, outcome="entered", actor=None)
            closed += 1
    return closed


def calendar_next_year_run(*, now: datetime | None = None) -> int:
    """Once, from November (or at once for a missing current year): a task
    for the administrators to enter the year's holidays and make-up workdays.
    Several workers: the unique SweepRun row lets one of them create it."""
    now = now or timezone.now()
    done = calendar_tasks_close()
    year = calendar_gap(timezone.localtime(now).date())
    if year is None:
        return done
    try:
        with transaction.atomic():
            SweepRun.objects.create(name="calendar_gap", day=date(year, 1, 1), at=now)
            task_create(kind=KIND_ENTER_CALENDAR, subject=(SUBJECT, str(year)), actor=None,
                        role=Role.ADMIN, url=f"/policy/calendar/?year={year}", due_working_days=10, now=now,
                        title=_("Enter the working calendar of %(year)s (holidays and make-up workdays)")
                        % {"year": year})
    except IntegrityError:
        return done  # asked already
    return done + 1
