"""Clause checks over the kernel's tasks (SUP-2; platform/owed.py): most
duties with a time are a task of some kind that had to be done by its due
time, which the kernel counted from the policy parameter in force when the
task was made. A module's check picks its kind and says which department
answers for each record.

    for task in tasks_decided("requests.respond", start, end, now=now):
        yield task_finding(task, subject=("requests.request", task.subject_id), department_id=...)

A task is decided once, at the moment its duty was met or missed: done by
its due time (at its completion), or not done by then (at its due time).
Tasks whose duty vanished before they were due (a withdrawn request, a
cancelled task) are not judged; one that vanished after its due time had
already failed.

The ladder check (S003-6-delays-escalated) is here too: every step of a
late task's ladder must have been taken when it fell due.
"""

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, cast

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from xietong.platform.owed import Fact, Finding
from xietong.policy.queries import param_over

from .models import Task, TaskState

# Outcomes that mean the duty itself went away, not that someone met it.
VANISHED = ("withdrawn", "cancelled", "moot")
# How late a ladder step may be taken: the sweep runs every minute, a busy one a little later.
LADDER_GRACE = timedelta(minutes=15)


def tasks_decided(kind: str | list[str], start: datetime, end: datetime, *, now: datetime | None = None,
                  vanished: Iterable[str] = VANISHED) -> QuerySet[Task]:
    """Tasks of `kind` (or of any of the kinds) whose duty was met or missed in [start, end)."""
    now = now or timezone.now()
    kinds = [kind] if isinstance(kind, str) else kind
    vanished = tuple(vanished)
    met = Q(completed_at__gte=start, completed_at__lt=end, completed_at__lte=F("due_at"))
    missed = (Q(due_at__gte=start, due_at__lt=min(end, now))
              & (Q(completed_at__isnull=True) | Q(completed_at__gt=F("due_at"))))
    gone_in_time = Q(completed_at__lte=F("due_at")) & (Q(state=TaskState.CANCELLED) | Q(outcome__in=vanished))
    return (Task.objects.filter(kind__in=kinds, due_at__isnull=False).filter(met | missed).exclude(gone_in_time)
            .select_related("assignee").order_by("pk"))


def task_department(task: Task) -> int | None:
    """The department a task's holder answers for: the assignee's own, or the role's."""
    if task.assignee_id:
        return task.assignee.primary_department_id  # type: ignore[union-attr]
    return task.assignee_department_id


def record_departments(tasks: list[Task], model: Any, field: str = "department_id") -> Callable[[Task], int | None]:
    """The department answerable for each task's record (`model`'s `field`),
    read in one query for all the tasks: `department=` of `task_findings`."""
    found = dict(model.objects.filter(pk__in={t.subject_pk for t in tasks if t.subject_pk})
                 .values_list("pk", field))
    return lambda task: found.get(task.subject_pk)


def in_time(task: Task) -> bool:
    return task.due_at is not None and task.completed_at is not None and task.completed_at <= task.due_at


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def task_evidence(task: Task, *, param: tuple[str, Any] | None = None) -> dict[str, Any]:
    """What a finding about a task shows: when it was made, due and done, by
    whom, and the parameter its due time was counted from, as it stood then."""
    out: dict[str, Any] = {
        "task": task.pk, "created": iso(task.created_at), "due": iso(task.due_at), "done": iso(task.completed_at),
        "outcome": task.outcome or None, "assignee": task.assignee.name if task.assignee else None,
    }
    if param is not None:
        out["param"] = {"key": param[0], "value": param[1]}
    return out


def parameter_at(key: str, tasks: list[Task]) -> Any:
    """`key` as it stood when each task was made: one query for them all."""
    if not tasks:
        return lambda moment: None
    made = [t.created_at for t in tasks]
    return param_over(key, start=min(made), end=max(made))


def task_findings(tasks: Iterable[Task], *, subject: Any, department: Any, param_key: str = "",
                  passed: Any = in_time) -> Iterator[Finding]:
    """A finding per task: `subject(task)` → (record type, id) judged,
    `department(task)` → the department answerable, `passed(task)`."""
    tasks = list(tasks)
    value_at = parameter_at(param_key, tasks) if param_key else None
    for task in tasks:
        ok = bool(passed(task))
        decided = cast(datetime, task.completed_at if ok and task.completed_at else task.due_at)  # due: filtered
        subject_type, subject_id = subject(task)
        yield Finding(subject_type, str(subject_id), department(task), ok, decided,
                      task_evidence(task, param=(param_key, value_at(task.created_at)) if value_at else None))


# --- S003-6-delays-escalated: the ladder took every step on time ----------------

def ladder_findings(start: datetime, end: datetime, *, now: datetime | None = None) -> Iterator[Finding]:
    """Every escalating task that was late in [start, end): each step of its
    ladder (KER-3) that fell due before the task was done must have been
    taken (its `task.escalate` event) within LADDER_GRACE of falling due,
    by the ladder's parameters as they stood when the task fell due."""
    from xietong.audit.models import Event
    from xietong.policy.calendar import WorkingCalendar

    from .actions import ladder
    from .registry import KINDS, SUPERVISE

    now = now or timezone.now()
    kinds = [key for key, kind in KINDS.items() if kind.escalates and key != SUPERVISE]
    tasks = list(Task.objects.filter(kind__in=kinds, due_at__gte=start, due_at__lt=min(end, now))
                 .filter(Q(completed_at__isnull=True) | Q(completed_at__gt=F("due_at")))
                 .exclude(state=TaskState.CANCELLED, completed_at__lte=F("due_at"))
                 .select_related("assignee").order_by("pk"))
    taken: dict[str, dict[int, datetime]] = {}
    for subject_id, after, at in (Event.objects.filter(verb="task.escalate", subject_type="work.task",
                                                       subject_id__in=[str(t.pk) for t in tasks])
                                  .values_list("subject_id", "after_json", "at")):
        level = int(json.loads(after).get("level", 0))
        taken.setdefault(subject_id, {}).setdefault(level, at)
    calendar = WorkingCalendar.load(at=now, lenient=True)
    for task in tasks:
        due = cast(datetime, task.due_at)  # the query asked for a due time
        stop = task.completed_at or now
        steps: list[dict[str, Any]] = []
        for level, target, hours in ladder(at=due):
            falls_due = calendar.add_working_hours(due, hours) if hours else due
            if falls_due >= stop:
                break
            when = taken.get(str(task.pk), {}).get(level)
            steps.append({"level": level, "target": target, "after_hours": hours, "due": iso(falls_due),
                          "taken": iso(when), "in_time": when is not None and when <= falls_due + LADDER_GRACE})
        if not steps:
            continue  # done before its first step fell due: nothing to escalate
        evidence = task_evidence(task)
        evidence["steps"] = steps
        yield Finding("work.task", str(task.pk), task_department(task), all(s["in_time"] for s in steps), due, evidence)


# --- the kernel's measures (PERF builds on them; platform/owed.py) ----------------------

def _escalating_kinds() -> list[str]:
    from .registry import KINDS, SUPERVISE

    return [key for key, kind in KINDS.items() if kind.escalates and key != SUPERVISE]


def on_time_facts(start: datetime, end: datetime) -> Iterator[Fact]:
    """work.on_time: every task whose duty was met or missed in the period, 1 when done by its due time
    (grouped by the task's kind: the on-time rate by kind)."""
    for task in tasks_decided(_escalating_kinds(), start, end):
        ok = in_time(task)
        yield Fact("work.task", str(task.pk), task_department(task), task.assignee_id, 1.0 if ok else 0.0,
                   cast(datetime, task.completed_at if ok else task.due_at), group=task.kind)


def missed_facts(start: datetime, end: datetime) -> Iterator[Fact]:
    """work.missed: every task that fell due in the period without being done."""
    for task in tasks_decided(_escalating_kinds(), start, end):
        if not in_time(task):
            yield Fact("work.task", str(task.pk), task_department(task), task.assignee_id, 1.0,
                       cast(datetime, task.due_at))


def escalation_facts(start: datetime, end: datetime) -> Iterator[Fact]:
    """work.escalations: every step of the ladder taken in the period (a `task.escalate` event)."""
    from xietong.audit.models import Event

    events = list(Event.objects.filter(verb="task.escalate", at__gte=start, at__lt=end).order_by("at", "pk")
                  .values_list("subject_id", "at"))
    tasks = Task.objects.select_related("assignee").in_bulk([int(pk) for pk, _at in events if pk.isdigit()])
    for subject_id, at in events:
        task = tasks.get(int(subject_id)) if subject_id.isdigit() else None
        yield Fact("work.task", subject_id, task_department(task) if task else None,
                   task.assignee_id if task else None, 1.0, at)
