"""The periodic sweeps (KER-3, KER-4, KER-5), safe with several workers.

Each sweep claims its rows inside a transaction with SELECT … FOR UPDATE SKIP
LOCKED (PostgreSQL) and changes them in that same transaction, so a row one
worker holds is invisible to another and, once committed, no longer matches
(`reminded_at` is set, the ladder's `next_at` has moved on). On SQLite the
database lock serializes the writers to the same effect. Every reminder and
every escalation step therefore happens exactly once.
"""

import logging
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong import memo
from xietong.audit.trail import NewEvent, audit_seal, events_record_many
from xietong.fastsql import insert_rows, update_rows
from xietong.org.models import Delegation, Department, Person
from xietong.org.queries import MAX_DELEGATION_HOPS, manager_of
from xietong.policy.calendar import WorkingCalendar
from xietong.policy.queries import params

from .actions import (
    KERNEL_KEYS,
    delegations_apply,
    escalation_target_people,
    ladder,
    task_holders,
    task_recipients,
)
from .delivery import deliveries_send_due
from .models import Escalation, Priority, SweepRun, SweepStatus, Task, TaskState, task_page_url
from .notify import Message, notify_many
from .registry import KINDS, SUPERVISE, SWEEPS
from .schedules import schedules_run

logger = logging.getLogger(__name__)

BATCH = 1000
# What the escalation sweep reads of a ladder and its task: values, not model
# instances (it reads thousands; the people behind them are read once each, `_People`).
ESCALATION_COLUMNS = ["task_id", "task__title", "task__url", "task__priority", "task__due_at", "level",
                      "task__assignee_id", "task__assignee_role", "task__assignee_department_id",
                      "task__delegated_from_id"]
SUPERVISION_COLUMNS = ["kind", "module", "title", "subject_type", "subject_id", "url", "assignee", "assignee_role",
                       "parent", "priority", "state", "outcome", "outcome_note", "created_at", "due_at",
                       "step", "urge_count", "subject_pk"]


def _claim(queryset: Any, limit: int) -> list[Task]:
    return list(queryset.select_for_update(skip_locked=True, of=("self",))[:limit])


def reminders_send(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """Remind assignees a policy-set time before a task is due (KER-3)."""
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            tasks = _claim(Task.objects.filter(state=TaskState.OPEN, reminded_at__isnull=True, remind_at__lte=now)
                           .select_related("assignee", "assignee_department", "ladder").order_by("remind_at"), batch)
            if not tasks:
                return total
            Task.objects.filter(pk__in=[t.pk for t in tasks]).update(reminded_at=now)
            # Already overdue (the worker was down, or a reminder at due): for a task that
            # escalates, the escalation speaks instead; one that does not is reminded still.
            tasks = [t for t in tasks if t.due_at is None or t.due_at > now or (
                t.next_escalation_at is None and t.escalation_level == 0)]
            events_record_many([NewEvent(verb="task.remind", subject=t, after={"due_at": t.due_at})
                                for t in tasks], at=now)
            notify_many([Message(recipients=task_recipients(t), kind="task_reminder", key=f"task:{t.pk}:remind",
                                 url=t.link, title=_due_soon_title(t, now)) for t in tasks], now=now)
            total += len(tasks)


def _due_soon_title(task: Task, now: datetime | None = None) -> Any:
    if now is not None and task.due_at is not None and task.due_at <= now:
        return lambda: str(_("Due now: %(title)s")) % {"title": task.title}
    return lambda: str(_("Due soon: %(title)s")) % {"title": task.title}


def escalations_run(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """Take the next step of the escalation ladder for every task whose step is
    due (KER-3): a supervision task (督办) and a notification for each target,
    the step recorded on the task. Returns the number of steps taken."""
    now = now or timezone.now()
    values = params(*KERNEL_KEYS, at=now)
    steps = ladder(values=values)
    calendar = WorkingCalendar.load(at=now, lenient=True, values=values)
    supervise_due = calendar.add_working_days(now, 1)
    heads: dict[int, Person | None] = {}
    roles: dict[str, list[Person]] = {}
    # Everyone away now and their delegate: one query for the whole sweep.
    live = {d.principal_id: d.delegate for d in Delegation.objects.filter(
        cancelled_at__isnull=True, starts_at__lte=now, ends_at__gt=now).select_related("delegate")}
    known = _People()
    total = 0
    while True:
        with transaction.atomic():
            # Only the ladder's narrow row is locked and moved on, not the task's:
            # whoever changes a ladder locks it first (work.actions).
            rows = list(Escalation.objects.filter(next_at__lte=now, task__state=TaskState.OPEN)
                        .order_by("next_at").select_for_update(skip_locked=True, of=("self",))
                        .values_list(*ESCALATION_COLUMNS)[:batch])
            if not rows:
                return total
            tasks = known.due(rows)
            _load_heads(tasks, heads)
            supervision: list[tuple] = []
            updates: list[tuple[int, int, datetime | None]] = []
            events: list[NewEvent] = []
            messages: list[Message] = []
            for task in tasks:
                level = task.escalation_level + 1
                if level > len(steps):
                    updates.append((task.pk, task.escalation_level, None))
                    continue
                _level, target, _hours = steps[level - 1]
                people: list[Person] = []
                held = task_holders(task, roles)
                for person in escalation_target_people(task=task, target=target, heads=heads, roles=roles):
                    holder = _acting(person, live)
                    # The head acts through the task's own holder (the head is away and their
                    # delegate holds it): the step goes one level up, never to nobody.
                    climbed = 0
                    while target == "head" and holder.pk in held and climbed < MAX_DELEGATION_HOPS:
                        boss = manager_of(person)
                        if boss is None:
                            break
                        person, holder, climbed = boss, _acting(boss, live), climbed + 1
                    if holder.pk not in held and holder.pk not in {p.pk for p in people}:
                        people.append(holder)
                updates.append((task.pk, level, calendar.add_working_hours(task.due_at, steps[level][2])
                                if level < len(steps) and task.due_at else None))
                for person in people:
                    supervision.append((SUPERVISE, "work", task.title, "work.task", str(task.pk), task.url,
                                        person.pk, "", task.pk, max(task.priority, Priority.HIGH), TaskState.OPEN,
                                        "", "", now, supervise_due, level, 0, task.pk))
                events.append(NewEvent(verb="task.escalate", subject=("work.task", str(task.pk)), after={
                    "level": level, "target": target, "supervisors": [p.pk for p in people]}))
                department = task.assignee.primary_department if task.assignee else task.assignee_department
                messages.append(Message(
                    recipients=people, kind="task_escalated", key=f"task:{task.pk}:escalate:{level}", url=task.link,
                    urgent=task.priority == Priority.URGENT, department=department,
                    title=_escalated_title(task, level)))
                if level == 1:
                    messages.append(Message(recipients=_recipients(task, roles), kind="task_overdue",
                                            key=f"task:{task.pk}:overdue", url=task.link,
                                            title=_overdue_title(task), department=department))
            update_rows(Escalation, "task", ["level", "next_at"], updates)
            created = insert_rows(Task, SUPERVISION_COLUMNS, supervision, returning="id")
            events.extend(NewEvent(verb="task.create", subject=("work.task", str(pk)), first=True, after={
                "kind": SUPERVISE, "assignee": row[6], "parent": row[8], "level": row[15], "due_at": row[14]})
                for pk, row in zip(created, supervision, strict=True))
            events_record_many(events, at=now)
            notify_many(messages, now=now)
            total += len(events) - len(created)
        # No early exit on a short batch: a task overdue long enough to owe
        # several steps (the worker was down) takes them all in this run.


def _acting(person: Person, live: dict[int, Person]) -> Person:
    """acting_for() over the delegations loaded once (ORG-5): follows chains,
    skips inactive delegates, stops at a loop."""
    current, seen = person, {person.pk}
    for _hop in range(MAX_DELEGATION_HOPS):
        delegate = live.get(current.pk)
        if delegate is None or not delegate.is_active or delegate.pk in seen:
            break
        current = delegate
        seen.add(current.pk)
    return current


def _load_heads(tasks: "list[Due]", heads: dict[int, Person | None]) -> None:
    """The heads of the batch's departments, in one query; a vacant head is
    left for department_head() to resolve up the tree."""
    wanted = set()
    for t in tasks:
        owner = t.delegated_from or t.assignee
        wanted.add(owner.primary_department_id if owner is not None else t.assignee_department_id)
    missing = {pk for pk in wanted if pk is not None} - heads.keys()
    for department in Department.objects.filter(pk__in=missing, head__isnull=False, head__is_active=True
                                                ).select_related("head"):
        heads[department.pk] = department.head


@dataclass(slots=True)
class Due:
    """A task whose escalation step is due, as the sweep reads it (HeldTask)."""

    pk: int
    title: str
    url: str
    priority: int
    due_at: datetime | None
    escalation_level: int
    assignee: Person | None
    assignee_role: str
    assignee_department: Department | None
    delegated_from: Person | None

    @property
    def assignee_id(self) -> int | None:
        return self.assignee.pk if self.assignee is not None else None

    @property
    def delegated_from_id(self) -> int | None:
        return self.delegated_from.pk if self.delegated_from is not None else None

    @property
    def assignee_department_id(self) -> int | None:
        return self.assignee_department.pk if self.assignee_department is not None else None

    @property
    def link(self) -> str:
        return self.url or task_page_url(self.pk)


class _People:
    """The people and departments behind the sweep's rows, each read once a
    run (a thousand tasks share a few hundred assignees)."""

    def __init__(self) -> None:
        self.people: dict[int, Person] = {}
        self.departments: dict[int, Department] = {}

    def due(self, rows: list[tuple]) -> list[Due]:
        wanted = {pk for row in rows for pk in (row[6], row[9]) if pk is not None} - self.people.keys()
        if wanted:
            self.people.update((p.pk, p) for p in Person.objects.filter(pk__in=wanted).select_related(
                "primary_department"))
        departments = {row[8] for row in rows if row[8] is not None} - self.departments.keys()
        if departments:
            self.departments.update(Department.objects.in_bulk(departments))
        people, units = self.people, self.departments
        return [Due(pk, title, url, priority, due_at, level, people.get(assignee) if assignee else None, role,
                    units.get(department) if department else None, people.get(held_for) if held_for else None)
                for pk, title, url, priority, due_at, level, assignee, role, department, held_for in rows]


def _recipients(task: Due, roles: dict[str, list[Person]]) -> list[Person]:
    """task_recipients() from the run's reads: the assignee, or the holders
    of the role (task_holders() read them)."""
    if task.assignee is not None:
        return [task.assignee]
    return roles.get(f"{task.assignee_role}@{task.assignee_department_id or ''}", [])


def _escalated_title(task: Due, level: int) -> Any:
    return lambda: str(_("Overdue, please supervise (step %(level)s): %(title)s")) % {
        "level": level, "title": task.title}


def _overdue_title(task: Due) -> Any:
    return lambda: str(_("Overdue: %(title)s")) % {"title": task.title}


DIGEST_HOUR = 8


def timeouts_run(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """The timeout actions of task kinds (TaskKind.on_timeout): each open task
    of such a kind whose due time has passed is offered to its kind once. The
    kind's action locks its own record first (the same order as a person
    acting on it) and checks the task is still open; the task is then marked
    in the same transaction, so it is offered again only if the action
    failed (rolled back) or the task is rescheduled. Failures are logged,
    the others still run, and the part then reports them."""
    now = now or timezone.now()
    kinds = {key: kind.on_timeout for key, kind in KINDS.items() if kind.on_timeout is not None}
    if not kinds:
        return 0
    acted, failed = 0, list[int]()
    while True:
        due = list(Task.objects.filter(kind__in=kinds, state=TaskState.OPEN, due_at__lte=now,
                                       timed_out_at__isnull=True).exclude(pk__in=failed)
                   .order_by("due_at", "pk")[:batch])
        for task in due:
            try:
                with transaction.atomic():
                    if kinds[task.kind](task, now):
                        acted += 1
                    Task.objects.filter(pk=task.pk, timed_out_at__isnull=True).update(timed_out_at=now)
            except DatabaseError:
                raise
            except Exception:
                logger.exception("timeout of task %s (%s) failed", task.pk, task.kind)
                failed.append(task.pk)
        if len(due) < batch:
            break
    if failed:
        raise TimeoutsFailed(f"{len(failed)} timeout action(s) failed, first on task {failed[0]}; see the log")
    return acted


class TimeoutsFailed(Exception):
    pass


def digest_send(*, now: datetime | None = None) -> int:
    """The daily digest of open and overdue tasks (KER-5), once a working day
    after 08:00. The SweepRun row makes it once across all workers."""
    now = now or timezone.now()
    calendar = WorkingCalendar.load(at=now, lenient=True)
    local = now.astimezone(calendar.tz)
    if local.hour < DIGEST_HOUR or not calendar.is_working_day(local.date()):
        return 0
    # The claim and the messages commit together: a worker that dies half-way
    # leaves the day unclaimed for the next sweep.
    with transaction.atomic():
        try:
            with transaction.atomic():
                SweepRun.objects.create(name="digest", day=local.date(), at=now)
        except IntegrityError:
            return 0
        rows = (Task.objects.filter(state=TaskState.OPEN, assignee__isnull=False).values("assignee")
                .annotate(open=Count("pk"), late=Count("pk", filter=Q(due_at__lt=now))))
        counts = {r["assignee"]: (r["open"], r["late"]) for r in rows}
        people = Person.objects.filter(pk__in=counts, is_active=True)
        messages = [Message(recipients=[p], kind="digest", key=f"digest:{local.date()}:{p.pk}", url="/work/",
                            title=_digest_title(*counts[p.pk])) for p in people]
        return notify_many(messages, now=now)


def _digest_title(open_count: int, overdue: int) -> Any:
    return lambda: str(_("Your tasks today: %(open)s open, %(overdue)s overdue")) % {
        "open": open_count, "overdue": overdue}


JOB_RESULTS_KEPT = timedelta(days=7)


def jobs_prune(*, now: datetime | None = None) -> int:
    """Once a day, drop the stored results of background jobs finished more
    than a week ago (django-tasks-db keeps every one)."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    try:
        with transaction.atomic():
            SweepRun.objects.create(name="prune", day=now.date(), at=now)
    except IntegrityError:
        return 0
    deleted, _by_model = DBTaskResult.objects.finished().filter(finished_at__lt=now - JOB_RESULTS_KEPT).delete()
    return deleted


def sweep_run(*, now: datetime | None = None, errors: dict[str, str] | None = None) -> dict[str, int]:
    """Everything periodic, in order. Each part is safe to run concurrently,
    and each runs on its own: one that fails (a module's sweep meeting data
    it cannot handle, a database error) is logged and reported in `errors`
    (name → message; raised again when no `errors` is given), and the others
    still run — the outbox above all."""
    now = now or timezone.now()
    failed: dict[str, str] = {}
    result: dict[str, int] = {}

    def part(name: str, run: Any) -> None:
        try:
            with memo.scope():  # each part reads the policy's token once
                outcome = run()  # each part commits in its own batches
            count = sum(outcome.values()) if isinstance(outcome, dict) else int(outcome or 0)
            # Inside the try: a database that fails here fails the part, and the
            # worker hears of it, even when the part itself only had to read.
            status_record(name, now=timezone.now(), count=count)
        except Exception as exc:
            failed[name] = f"{type(exc).__name__}: {exc}"[:1000]
            if isinstance(exc, DatabaseError):
                if errors is None:
                    raise
                # One line, not a trace; and no status row: the database is what
                # failed (the worker's heartbeat records the outage).
                logger.warning("sweep %s: database unavailable: %s", name, exc)
                return
            logger.exception("sweep %s failed", name)
            try:
                status_record(name, now=timezone.now(), error=f"{failed[name]}\n\n{traceback.format_exc()[-3000:]}")
            except DatabaseError:
                logger.warning("sweep %s: could not record its failure", name, exc_info=True)
            return
        if isinstance(outcome, dict):
            result.update(outcome)
        else:
            result[name] = outcome

    def delegation() -> dict[str, int]:
        moved = delegations_apply(now=now)
        return {"delegated": moved["delegated"], "returned": moved["returned"]}

    part("delegation", delegation)
    part("reminders", lambda: reminders_send(now=now))
    part("escalations", lambda: escalations_run(now=now))
    part("timeouts", lambda: timeouts_run(now=now))
    part("digests", lambda: digest_send(now=now))
    part("seals", lambda: audit_seal(now=now))
    part("jobs_pruned", lambda: jobs_prune(now=now))
    for name, run in SWEEPS.items():
        part(name, lambda run=run: run(now=now))
    schedules_run(now=now, part=part)
    part("deliveries", lambda: {f"deliveries_{k}": v for k, v in deliveries_send_due(limit=500).items()})
    if failed:
        if errors is None:
            raise SweepFailed(failed)
        errors.update(failed)
    return result


def status_record(name: str, *, now: datetime, count: int = 0, error: str = "") -> None:
    """Count a run of one part (a sweep or a schedule) where administrators
    see it. Several workers: one row per part, changed by UPDATE … SET n = n + 1."""
    updates: dict[str, Any] = {"runs": F("runs") + 1, "last_run_at": now}
    if error:
        updates |= {"failures": F("failures") + 1, "last_error": error, "last_error_at": now}
    else:
        updates |= {"last_success_at": now, "last_count": count}
    if SweepStatus.objects.filter(name=name).update(**updates):
        return
    try:
        with transaction.atomic():
            SweepStatus.objects.create(name=name)
    except IntegrityError:
        pass  # another worker made it first
    SweepStatus.objects.filter(name=name).update(**updates)


class SweepFailed(Exception):
    """Parts of a sweep failed (the others ran): name → message."""

    def __init__(self, failed: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in failed.items()))
        self.failed = failed
