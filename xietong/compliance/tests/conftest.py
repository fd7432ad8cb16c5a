from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from xietong.policy.calendar import WorkingCalendar
from xietong.requests.actions import KIND_RESPOND
from xietong.work.models import Task


def morning(weeks_ago: int = 3) -> datetime:
    """09:30 on a working day some weeks back, followed by another working day (days that have ended)."""
    cal = WorkingCalendar.load(lenient=True)
    day = cal.local_date(timezone.now()) - timedelta(weeks=weeks_ago)
    while not (cal.is_working_day(day) and cal.is_working_day(day + timedelta(days=1))):
        day += timedelta(days=1)
    return datetime.combine(day, time(9, 30), tzinfo=timezone.get_default_timezone())


def respond_task(request: Any) -> Task:
    return Task.objects.get(kind=KIND_RESPOND, subject_id=str(request.pk))


def respond_due(request: Any) -> datetime:
    due = respond_task(request).due_at
    assert due is not None
    return due
