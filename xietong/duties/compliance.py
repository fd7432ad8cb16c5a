"""The clause the duty lists judge (SUP-2; platform/owed.py): seed 002 — each
department reviews its duty list periodically (the review task the monthly
schedule opens for a list that falls due, done by its due time)."""

from collections.abc import Iterator
from datetime import datetime

from xietong.platform.owed import Finding
from xietong.work.compliance import record_departments, task_findings, tasks_decided

from .actions import KIND_REVIEW
from .models import DutyList


def reviewed_in_time(start: datetime, end: datetime) -> Iterator[Finding]:
    """S002-duty-list-review: a duty list sent for review was reviewed by its head in time."""
    tasks = list(tasks_decided(KIND_REVIEW, start, end))
    yield from task_findings(tasks, subject=lambda t: ("duties.dutylist", t.subject_id),
                             department=record_departments(tasks, DutyList))
