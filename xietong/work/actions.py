"""Every write to tasks (KER-1..3). Modules call these; nothing else changes a Task.

    task = task_create(kind="requests.respond", title=…, subject=request, actor=requester,
                       role=Role.COORDINATOR, department=it, due_param="request.response_working_hours")
    task_complete(actor=person, task=task, outcome="done")
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong import memo
from xietong.audit.trail import NewEvent, Subject, event_record, events_record_many, subject_key
from xietong.errors import Conflict, DomainError, PermissionDenied
from xietong.fastsql import create_objects
from xietong.inputs import clean_line, clean_text, one_line
from xietong.locking import lock_into
from xietong.org.models import Department, Person, Role
from xietong.org.principal import Principal
from xietong.org.queries import (
    acting_for,
    department_head,
    has_role,
    live_delegations_preload,
    manager_of,
    role_holders,
)
from xietong.platform.manifest import ROLES
from xietong.policy.calendar import WorkingCalendar, assumption_note
from xietong.policy.queries import param, params
from xietong.policy.registry import get_param

from .models import Escalation, Priority, Task, TaskCc, TaskState, ladder_known
from .notify import Message, notify, notify_many
from .registry import KINDS, SUPERVISE, kind_for, subject_url

LADDER_KEYS = ("work.escalate_head_after_hours", "work.escalate_office_after_hours",
               "work.escalate_leadership_after_hours")
BULK_MAX = 200
KERNEL_KEYS = (*LADDER_KEYS, "work.reminder_lead_hours", "calendar.work_periods", "calendar.timezone")


def ladder(*, at: datetime | None = None, values: dict[str, Any] | None = None) -> list[tuple[int, str, int]]:
    """The escalation steps (KER-3): (level, target, working hours after due)."""
    values = values if values is not None else params(*LADDER_KEYS, at=at)
    steps = [
        ("head", values["work.escalate_head_after_hours"]),
        ("coordination_office", values["work.escalate_office_after_hours"]),
        ("leadership", values["work.escalate_leadership_after_hours"]),
    ]
    # A later step never fires before an earlier one, whatever the parameters say.
    out, floor = [], 0
    for level, (target, hours) in enumerate(steps, start=1):
        floor = max(floor, int(hours))
        out.append((level, target, floor))
    return out


def _deadlines(*, now: datetime, due_at: datetime | None, due_working_hours: float | None,
               due_working_days: int | None, due_param: str | None, escalates: bool,
               calendar: WorkingCalendar, values: dict[str, Any], remind_at_due: bool = False) -> dict[str, Any]:
    if due_param:
        unit = get_param(due_param).unit
        amount = values[due_param]
        if unit == "working_days":
            due_working_days = int(amount)
        elif unit == "working_hours":
            due_working_hours = float(amount)
        elif unit in ("hours", "days"):
            due_at = now + (timedelta(hours=float(amount)) if unit == "hours" else timedelta(days=int(amount)))
        else:
            raise ValueError(f"{due_param} is not a duration")
    if due_working_days is not None:
        due_at = calendar.add_working_days(now, due_working_days)
    elif due_working_hours is not None:
        due_at = calendar.add_working_hours(now, due_working_hours)
    if due_at is None:
        return {"due_at": None, "remind_at": None, "next_escalation_at": None}
    lead = values["work.reminder_lead_hours"]
    remind_at = calendar.subtract_working_hours(due_at, lead) if lead else None
    if remind_at is not None and remind_at <= now:
        remind_at = None
    if remind_at is None and remind_at_due:
        remind_at = due_at  # too short for a reminder before: one when it is due
    steps = ladder(values=values)
    return {
        "due_at": due_at,
        "remind_at": remind_at,
        "next_escalation_at": calendar.add_working_hours(due_at, steps[0][2]) if escalates and steps else None,
    }


def _holder_of(person: Person, *, at: datetime, requester: Person | None,
               major: bool = False) -> tuple[Person, Person | None]:
    """Who holds a task meant for `person` (ORG-5): their delegate while away,
    except when the delegate is the one who asked: nobody handles their own
    request on someone else's behalf (no self-approval through delegation).
    A major decision follows only a delegation that includes them."""
    holder = acting_for(person, at=at, major=major)
    if requester is not None and holder.pk == requester.pk:
        return person, None
    return holder, (person if holder.pk != person.pk else None)


def record_pk(subject_id: str) -> int | None:
    """A record id as the number it is (Task.subject_pk), or None."""
    return int(subject_id) if subject_id.isascii() and subject_id.isdigit() and len(subject_id) < 19 else None


@dataclass
class NewTask:
    """One task to create (`task_create` documents each field)."""

    kind: str
    title: str
    subject: Subject
    assignee: Person | None = None
    role: str = ""
    department: Department | None = None
    requester: Person | None = None
    url: str = ""
    due_at: datetime | None = None
    due_working_hours: float | None = None
    due_working_days: int | None = None
    due_param: str | None = None
    priority: int = Priority.NORMAL
    parent: Task | None = None
    cc: Sequence[Person] = ()
    escalates: bool | None = None
    major: bool = False
    remind_at_due: bool = False


def task_create(
    *,
    kind: str,
    title: str,
    subject: Subject,
    actor: Person | None,
    assignee: Person | None = None,
    role: str = "",
    department: Department | None = None,
    requester: Person | None = None,
    url: str = "",
    due_at: datetime | None = None,
    due_working_hours: float | None = None,
    due_working_days: int | None = None,
    due_param: str | None = None,
    priority: int = Priority.NORMAL,
    parent: Task | None = None,
    cc: Iterable[Person] = (),
    escalates: bool | None = None,
    major: bool = False,
    remind_at_due: bool = False,
    now: datetime | None = None,
) -> Task:
    """Create one task (KER-1): for a person (their delegate while away), or for
    a role in a department that any holder may claim. The due time is computed
    on the working calendar; the reminder and first escalation follow (KER-3).
    `escalates` overrides the kind's setting for this one task (an approval
    node whose timeout acts on its own instead of climbing the ladder).
    `major`: a decision above the policy thresholds, which stays with the
    assignee unless their delegation includes major decisions (ORG-5).
    `remind_at_due`: when the task is too short for the reminder before its
    due time, remind when it is due (a task that does not escalate).
    Given no due time at all, it is counted from the kind's `due_param` (its
    manifest), if it has one."""
    return tasks_create([NewTask(
        kind=kind, title=title, subject=subject, assignee=assignee, role=role, department=department,
        requester=requester, url=url, due_at=due_at, due_working_hours=due_working_hours,
        due_working_days=due_working_days, due_param=due_param, priority=priority, parent=parent, cc=list(cc),
        escalates=escalates, major=major, remind_at_due=remind_at_due)], actor=actor, now=now)[0]


def tasks_create(new: Sequence[NewTask], *, actor: Person | None, now: datetime | None = None) -> list[Task]:
    """Create several tasks at once, as `task_create` creates one: the
    parameters and calendar read once, then one INSERT each for the tasks,
    their CCs, their events, their notifications and their outbox rows (an
    approval node asking three people). Everything is checked before
    anything is written, and the writes open no savepoint of their own: a
    module calls this inside its action, and a failure rolls it back whole.
    Called outside a request or a job, it is a scope of its own
    (`xietong.memo`): the policy's version is read once, not per read."""
    with memo.scope():
        return _tasks_create(new, actor=actor, now=now)


def _tasks_create(new: Sequence[NewTask], *, actor: Person | None, now: datetime | None) -> list[Task]:
    now = now or timezone.now()
    specs = []
    for n in new:
        spec = kind_for(n.kind)
        if n.due_at is None and n.due_working_hours is None and n.due_working_days is None and not n.due_param:
            n.due_param = spec.due_param or None
        if (n.assignee is None) == (not n.role):
            raise ValueError("a task goes to a person or to a role, not both or neither")
        if n.role and n.role not in ROLES:
            raise ValueError(f"unknown role {n.role!r}")
        n.title = one_line(n.title)
        if not n.title:
            raise DomainError(_("A task needs a title."), code="title_required")
        specs.append(spec)
    # Every parameter this needs, once (and from the policy snapshot: policy/snapshot.py).
    values = params(*KERNEL_KEYS, *sorted({n.due_param for n in new if n.due_param}), at=now)
    calendar = WorkingCalendar.load(at=now, lenient=True, values=values)
    if len(new) > 1:  # whether each assignee is away, in one query
        live_delegations_preload([n.assignee for n in new if n.assignee is not None], at=now)
    rows, holders, ccs, ladders = [], [], [], []
    for n, spec in zip(new, specs, strict=True):
        times = _deadlines(now=now, due_at=n.due_at, due_working_hours=n.due_working_hours,
                           due_working_days=n.due_working_days, due_param=n.due_param,
                           escalates=spec.escalates if n.escalates is None else n.escalates,
                           calendar=calendar, values=values, remind_at_due=n.remind_at_due)
        holder, delegated_from = _holder_of(n.assignee, at=now, requester=n.requester, major=n.major) \
            if n.assignee else (None, None)
        subject_type, subject_id = subject_key(n.subject)
        first_step = times.pop("next_escalation_at")
        ladders.append((0, first_step) if first_step is not None else None)
        rows.append(Task(
            kind=n.kind, module=spec.module, title=n.title, subject_type=subject_type, subject_id=subject_id,
            subject_pk=record_pk(subject_id), url=n.url or subject_url(subject_type, subject_id), assignee=holder,
            delegated_from=delegated_from, assignee_role=n.role, assignee_department=n.department,
            requester=n.requester, created_by=actor, parent=n.parent, priority=n.priority, major=n.major,
            created_at=now, **times))
        holders.append((holder, delegated_from))
        ccs.append(list({p.pk: p for p in n.cc}.values()))
    with transaction.atomic(savepoint=False):
        # A task that escalates and its ladder's row: one statement.
        tasks = create_objects(rows, followers=(Escalation, "task", ["level", "next_at"], ladders))
        for task, ladder in zip(tasks, ladders, strict=True):
            ladder_known(task, Escalation(level=0, next_at=ladder[1]) if ladder else None)
        create_objects([TaskCc(task=task, person=p, created_at=now)
                        for task, people in zip(tasks, ccs, strict=True) for p in people])
        assumed = assumption_note(calendar) if calendar.assumed_years else ""
        events, messages = [], []
        for task, n, (holder, delegated_from), people in zip(tasks, new, holders, ccs, strict=True):
            notes = [f"delegated: {holder.name} acts for {delegated_from.name}"] if delegated_from and holder \
                else []
            events.append(NewEvent(verb="task.create", subject=task, actor=actor, first=True,
                                   note="; ".join([*notes, *([assumed] if assumed else [])]), after={
                "kind": n.kind, "title": task.title, "subject": [task.subject_type, task.subject_id],
                "assignee": holder.pk if holder else None,
                "delegated_from": delegated_from.pk if delegated_from else None,
                "role": n.role, "department": n.department.pk if n.department else None, "due_at": task.due_at,
                "priority": n.priority, "cc": [p.pk for p in people]}))
            urgent = n.priority == Priority.URGENT
            messages.append(Message(
                recipients=task_recipients(task), kind="task_assigned", key=f"task:{task.pk}:assigned",
                url=task.link, urgent=urgent,
                title=_titled(_("New task: %(title)s"), task),
                # Only urgent matters reach robots; don't load the department otherwise.
                department=(n.department or (holder.primary_department if holder else None)) if urgent else None))
            if people:
                messages.append(Message(
                    recipients=people, kind="comment", key=f"task:{task.pk}:cc", url=task.link,
                    title=_titled(_("For your information: %(title)s"), task)))
        events_record_many(events, at=now)
        notify_many(messages, now=now)
    return tasks


def _titled(template: Any, task: Task) -> Callable[[], str]:
    """A notification title rendered in each recipient's language."""
    return lambda: str(template) % {"title": task.title}


# --- who may do what ------------------------------------------------------

def task_recipients(task: Task) -> list[Person]:
    """Who hears of a task: its assignee, or every holder of its role."""
    if task.assignee is not None:
        return [task.assignee]
    return list(role_holders(task.assignee_role, department=task.assignee_department))


def holds_role_for(person: Person, task: Task) -> bool:
    if not task.assignee_role:
        return False
    return role_holders(task.assignee_role, department=task.assignee_department).filter(pk=person.pk).exists()


def may_act_on(person: Person, task: Task) -> tuple[bool, Person | None]:
    """May `person` complete the task, and on whose behalf (delegation)?"""
    if task.assignee_id == person.pk:
        return True, task.delegated_from
    if task.assignee_id is None and holds_role_for(person, task):
        return True, None
    if task.delegated_from_id == person.pk:
        return True, None  # back early: the principal may still do their own work
    # Someone away whose work reaches this person through delegations; nobody's
    # does when nobody delegates to them (read once per request).
    if (task.assignee is not None and Principal.of(person).delegators
            and acting_for(task.assignee, major=task.major).pk == person.pk):
        return True, task.assignee
    return False, None


def may_urge(person: Person, task: Task) -> bool:
    """催办: the requester, a supervisor, the assignee's head, the
    coordination office or leadership — never whoever holds the task (one
    does not urge oneself, nor the person one acts for)."""
    if may_act_on(person, task)[0]:
        return False
    if person.pk in (task.requester_id, task.created_by_id):
        return True
    if task.children.filter(kind=SUPERVISE, assignee=person).exists():
        return True
    if task.assignee and task.assignee.primary_department:
        head = department_head(task.assignee.primary_department)
        if head and head.pk == person.pk:
            return True
    return has_role(person, Role.COORDINATION_OFFICE, Role.LEADERSHIP)


def _snapshot(task: Task) -> dict[str, Any]:
    return {"state": task.state, "assignee": task.assignee_id, "outcome": task.outcome}


def _reload_open(task: Task) -> Task:
    """The task's row, locked and still open, read into the caller's object
    (`lock_into`: the people it had loaded are kept while their ids are the
    same, and the caller sees what the action did)."""
    if not lock_into(task) or task.state != TaskState.OPEN:
        raise Conflict(_("This task is already closed."), code="task_closed")
    return task


@transaction.atomic
def task_claim(*, actor: Person, task: Task) -> Task:
    """A holder of the task's role takes it on (KER-1). Exactly one claim wins."""
    task = _reload_open(task)
    if task.assignee_id == actor.pk:
        return task
    if not holds_role_for(actor, task):
        raise PermissionDenied()
    if task.assignee_id is not None:
        raise Conflict(_("Someone else has already taken this task."), code="task_taken")
    if Task.objects.filter(pk=task.pk, state=TaskState.OPEN, assignee__isnull=True).update(assignee=actor) != 1:
        raise Conflict(_("Someone else has already taken this task."), code="task_taken")
    task.assignee = actor
    event_record(actor=actor, verb="task.claim", subject=task, before={"assignee": None}, after={"assignee": actor.pk})
    return task


def _close_children(*, task: Task, actor: Person | None, now: datetime) -> None:
    if task.escalation_level == 0:
        return  # supervision tasks are only made by an escalation step
    children = list(Task.objects.filter(parent=task, state=TaskState.OPEN).values_list("pk", flat=True))
    if not children:
        return
    Task.objects.filter(pk__in=children, state=TaskState.OPEN).update(
        state=TaskState.DONE, outcome="resolved", completed_at=now)
    events_record_many([NewEvent(verb="task.resolve", subject=("work.task", str(pk)), actor=actor,
                                 after={"state": TaskState.DONE, "outcome": "resolved"},
                                 note=f"task {task.pk} was closed") for pk in children], at=now)


def task_complete(*, actor: Person, task: Task, outcome: str = "", note: str = "",
                  by_module: bool = False, notify_requester: bool = True) -> Task:
    """Close a task with an outcome the kind allows (KER-1). Its supervision
    tasks close with it. Exactly one of two concurrent completions wins.
    `by_module`: the module completes its own record's task inside its own
    action, with no savepoint: a failure rolls that action back whole.
    `task` is not read again: the closing UPDATE takes the row only if it is
    still open, with the assignee and outcome the caller read, so the checks
    made on that copy are the ones that hold; a completion that loses gets
    `Conflict` and changes nothing."""
    with transaction.atomic(savepoint=not by_module):
        return _complete(actor=actor, task=task, outcome=outcome, note=note, by_module=by_module,
                         notify_requester=notify_requester)


def _complete(*, actor: Person, task: Task, outcome: str, note: str, by_module: bool,
              notify_requester: bool) -> Task:
    spec = KINDS.get(task.kind)
    if spec is None:
        raise DomainError(_("Unknown task kind."), code="unknown_kind")
    if spec.completed_by_module and not by_module:
        raise DomainError(_("This task is completed from its record's page."), code="complete_on_record")
    outcome = outcome or spec.outcomes[0][0]
    if outcome not in {value for value, _label in spec.outcomes}:
        raise DomainError(_("This outcome is not allowed for this task."), code="bad_outcome")
    note = clean_text(note, _("Note"), limit=2000)
    # Not locked and read again: the closing UPDATE takes the row only while
    # it is still as the caller read it (open, the same assignee and outcome),
    # so what was checked below is what is closed; else nothing changes.
    if task.state != TaskState.OPEN:
        raise Conflict(_("This task is already closed."), code="task_closed")
    allowed, on_behalf_of = may_act_on(actor, task)
    if not allowed:
        raise PermissionDenied()
    now = timezone.now()
    _mark_done(task, outcome=outcome, actor=actor, note=note, on_behalf_of=on_behalf_of, now=now)
    if notify_requester and task.requester and task.requester_id != actor.pk:
        notify(recipients=[task.requester], kind="task_done", key=f"task:{task.pk}:done", url=task.link,
               title=lambda: str(_("Done: %(title)s")) % {"title": task.title})
    return task


@transaction.atomic
def task_close(*, task: Task, outcome: str, actor: Person | None = None, note: str = "",
               now: datetime | None = None) -> Task:
    """Close a task because its record moved on, whoever moved it: the
    module has already decided that `actor` (or the system, when None) may.
    The outcome must be one the kind declares; a task already closed is
    a `Conflict`. Supervision tasks close with it."""
    spec = kind_for(task.kind)
    if outcome not in {value for value, _label in spec.outcomes}:
        raise ValueError(f"{outcome!r} is not an outcome of {task.kind}")
    task = _reload_open(task)
    return _mark_done(task, outcome=outcome, actor=actor, note=note, on_behalf_of=None,
                      now=now or timezone.now())


def _mark_done(task: Task, *, outcome: str, actor: Person | None, note: str, on_behalf_of: Person | None,
               now: datetime) -> Task:
    """Close an open task as the caller read it (locked or not: the UPDATE
    decides): the row, its event, its supervision tasks. A role task nobody
    took is recorded as done by whoever closed it."""
    before = _snapshot(task)
    assignee = task.assignee if task.assignee_id else actor
    # Still open, still theirs and as read (a caller's copy may not be locked).
    guard = "assignee_id = %s" if task.assignee_id else "assignee_id IS NULL"
    close = ("UPDATE work_task SET state = %s, outcome = %s, outcome_note = %s, completed_at = %s, "  # noqa: S608
             f"completed_by_id = %s, assignee_id = %s WHERE id = %s AND state = %s AND outcome = %s AND {guard} "
             "RETURNING id, urge_count")
    params = [TaskState.DONE, outcome, note, connection.ops.adapt_datetimefield_value(now),
              actor.pk if actor else None, assignee.pk if assignee else None, task.pk, TaskState.OPEN, task.outcome,
              *([task.assignee_id] if task.assignee_id else [])]
    # The ladder stops (its level kept) in the same statement on PostgreSQL; its
    # row is locked by a sweep taking a step, and then this waits for the step.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"WITH _t AS ({close}), _l AS (UPDATE work_escalation SET next_at = NULL "  # noqa: S608
                           "WHERE task_id IN (SELECT id FROM _t) RETURNING level) "
                           "SELECT _t.urge_count, _l.level FROM _t LEFT JOIN _l ON TRUE", params)
            fresh = cursor.fetchall()  # what escalations and urging changed since the copy was read
        else:
            cursor.execute(close, params)
            closed, fresh = cursor.fetchall(), []
            if closed:
                cursor.execute("UPDATE work_escalation SET next_at = NULL WHERE task_id = %s RETURNING level",
                               [task.pk])
                stopped = cursor.fetchone()
                fresh = [(closed[0][1], stopped[0] if stopped else None)]
    if len(fresh) != 1:
        if Task.objects.filter(pk=task.pk, state=TaskState.OPEN).exists():
            raise Conflict(_("This task has changed since you opened it (it was handed to someone else, or "
                             "taken). Reload it to see where it is now."), code="task_changed")
        raise Conflict(_("This task is already closed."), code="task_closed")
    task.state, task.outcome, task.outcome_note, task.assignee = TaskState.DONE, outcome, note, assignee
    task.completed_at, task.completed_by = now, actor
    task.urge_count, level = fresh[0]
    ladder_known(task, Escalation(level=level, next_at=None) if level is not None else None)
    event_record(actor=actor, verb="task.complete", subject=task, before=before, after=_snapshot(task), note=note,
                 on_behalf_of=on_behalf_of, at=now)
    _close_children(task=task, actor=actor, now=now)
    return task


def cancellable_by_hand(task: Task) -> bool:
    """Only the kernel's own tasks (a to-do, an acknowledgement) may be
    cancelled from the task page. A module's task (an approval's, a
    request's) is the record waiting for someone: cancelling it by hand
    would leave the record running with nobody to move it on. It closes
    when the module's own action says so (withdraw the record instead)."""
    spec = KINDS.get(task.kind)
    return spec is not None and spec.module == "work" and task.kind != SUPERVISE and not spec.completed_by_module


def may_cancel(person: Person, task: Task) -> bool:
    return task.state == TaskState.OPEN and cancellable_by_hand(task) and (
        person.pk in (task.created_by_id, task.requester_id) or has_role(person, Role.ADMIN))


def task_cancel(*, actor: Person | None, task: Task, reason: str, system: bool = False) -> Task:
    """Withdraw a task that is no longer needed. `system=True`: the module
    that owns it does (its record was withdrawn or moved on), inside its own
    action and with no savepoint; otherwise a person from the task page,
    within `may_cancel`."""
    with transaction.atomic(savepoint=not system):
        return _cancel(actor=actor, task=task, reason=reason, system=system)


def _cancel(*, actor: Person | None, task: Task, reason: str, system: bool) -> Task:
    if not system:
        if actor is None or not cancellable_by_hand(task):
            raise DomainError(_("This task belongs to its record and closes with it: withdraw or change the "
                                "record instead."), code="owned_by_module")
        reason = clean_line(reason, _("Reason for cancelling"), limit=500, required=True)
    task = _reload_open(task)
    if not system and actor is not None and not may_cancel(actor, task):
        raise PermissionDenied()
    _ladder_lock(task)
    now = timezone.now()
    Task.objects.filter(pk=task.pk, state=TaskState.OPEN).update(
        state=TaskState.CANCELLED, outcome="cancelled", outcome_note=reason, completed_at=now)
    _ladder_stop(task)
    event_record(actor=actor, verb="task.cancel", subject=task, before=_snapshot(task),
                 after={"state": TaskState.CANCELLED}, note=reason, at=now)
    _close_children(task=task, actor=actor, now=now)
    task.state, task.outcome, task.outcome_note, task.completed_at = TaskState.CANCELLED, "cancelled", reason, now
    return task


def _ladder_lock(task: Task) -> None:
    """Lock the task's ladder row and read it into the task, before closing
    its supervision tasks or moving its clock: a sweep taking a step holds
    it, and this waits for that step (and then sees its supervision tasks)."""
    ladder_known(task, Escalation.objects.select_for_update(no_key=True).filter(task=task).first())


def _ladder_stop(task: Task) -> None:
    """The task's ladder (locked) takes no more steps; the level it reached stays."""
    if task.escalation_level or task.next_escalation_at is not None:
        Escalation.objects.filter(task=task).update(next_at=None)
        ladder_known(task, Escalation(level=task.escalation_level, next_at=None))


@transaction.atomic
def task_reschedule(*, actor: Person | None, task: Task, due_at: datetime, note: str = "",
                    now: datetime | None = None) -> Task:
    """Move an open task's due time (an agreed new date). The module decides
    who may; the reminder and the escalation ladder start again from the new
    time, and supervision tasks of the old lateness close."""
    task = _reload_open(task)
    _ladder_lock(task)
    now = now or timezone.now()
    values = params(*KERNEL_KEYS, at=now)
    calendar = WorkingCalendar.load(at=now, lenient=True, values=values)
    spec = kind_for(task.kind)
    times = _deadlines(now=now, due_at=due_at, due_working_hours=None, due_working_days=None, due_param=None,
                       escalates=spec.escalates and (task.next_escalation_at is not None or task.escalation_level > 0
                                                    or task.due_at is None),
                       calendar=calendar, values=values)
    before = {"due_at": task.due_at, "escalation_level": task.escalation_level}
    first_step = times.pop("next_escalation_at")
    Task.objects.filter(pk=task.pk, state=TaskState.OPEN).update(reminded_at=None, timed_out_at=None, **times)
    _close_children(task=task, actor=actor, now=now)  # by the level reached, before it starts again
    if task._ladder is not None:  # the ladder starts again from the new time
        Escalation.objects.filter(task=task).update(level=0, next_at=first_step)
        ladder_known(task, Escalation(level=0, next_at=first_step))
    elif first_step is not None:
        ladder_known(task, Escalation.objects.create(task=task, level=0, next_at=first_step))
    for name, value in times.items():
        setattr(task, name, value)
    task.reminded_at, task.timed_out_at = None, None
    event_record(actor=actor, verb="task.reschedule", subject=task, before=before,
                 after={"due_at": task.due_at, "escalation_level": 0}, note=note, at=now)
    return task


@transaction.atomic
def task_hand_over(*, actor: Person, task: Task, holder: Person, to: Person, note: str = "",
                   by_module: bool = False) -> Task:
    """Give an open task `holder` holds to `to` (a handover, HOV; docs/compliance.md):
    its state, due time and escalation ladder stay as they are. A module's
    task moves only with its record (`by_module`: the module's own hand-over
    moves the record and calls this). Who may hand over is the caller's to
    check (holdings: HR, the holder's head)."""
    task = _reload_open(task)
    if task.assignee_id != holder.pk:
        raise Conflict(_("%(name)s no longer holds this task.") % {"name": holder.name}, code="not_held")
    if not to.is_active:
        raise DomainError(_("%(name)s is not active.") % {"name": to.name}, code="inactive_receiver")
    if to.pk == holder.pk:
        raise DomainError(_("Hand it over to someone else."), code="same_receiver")
    if kind_for(task.kind).completed_by_module and not by_module:
        raise DomainError(_("This task moves with its record: hand the record over on its page."),
                          code="module_task")
    Task.objects.filter(pk=task.pk, state=TaskState.OPEN).update(assignee=to, delegated_from=None)
    task.assignee, task.delegated_from = to, None
    event_record(actor=actor, verb="task.hand_over", subject=task, before={"assignee": holder.pk},
                 after={"assignee": to.pk, "due_at": task.due_at}, note=clean_text(note, _("Note"), limit=500))
    notify(recipients=[to], kind="task_assigned", key=f"task:{task.pk}:handed:{to.pk}", url=task.link,
           title=str(_("Handed over to you: %(title)s")) % {"title": task.title})
    return task


def tasks_cancel_for_subject(*, subject: Subject, actor: Person | None, reason: str) -> int:
    """Withdraw every open task of a record (the record was closed or withdrawn)."""
    subject_type, subject_id = subject_key(subject)
    tasks = Task.objects.filter(subject_type=subject_type, subject_id=subject_id, state=TaskState.OPEN)
    count = 0
    for task in tasks:
        task_cancel(actor=actor, task=task, reason=reason, system=True)
        count += 1
    return count


def urge_wait(task: Task, *, now: datetime) -> timedelta:
    """How long until this task may be urged again (0: now)."""
    if task.urged_at is None:
        return timedelta(0)
    interval = timedelta(hours=param("work.urge_min_interval_hours", at=now))
    return max(task.urged_at + interval - now, timedelta(0))


@transaction.atomic
def task_urge(*, actor: Person, task: Task, note: str = "") -> Task:
    """催办 (KER-3): the requester, a supervisor or the assignee's head presses
    the assignee. At most once per `work.urge_min_interval_hours`."""
    note = clean_text(note, _("Note"), limit=500)
    task = _reload_open(task)
    if not may_urge(actor, task):
        raise PermissionDenied()
    now = timezone.now()
    wait = urge_wait(task, now=now)
    interval = timedelta(hours=param("work.urge_min_interval_hours", at=now))
    # The conditional update is the rate limit: of two urges at once, one wins.
    recent = Q(urged_at__gt=now - interval) if interval else Q(pk__in=[])
    if wait or Task.objects.filter(pk=task.pk, state=TaskState.OPEN).exclude(recent).update(
            urged_at=now, urge_count=F("urge_count") + 1) != 1:
        hours = max(1, int(wait.total_seconds() // 3600) + (1 if wait.total_seconds() % 3600 else 0))
        raise DomainError(_("This task was urged recently. You can urge it again in about %(hours)s hour(s).")
                          % {"hours": hours}, code="urge_too_soon", details={"retry_after_seconds":
                                                                            int(wait.total_seconds())})
    task.urged_at, task.urge_count = now, task.urge_count + 1  # the row is locked: this is what it holds now
    event_record(actor=actor, verb="task.urge", subject=task, after={"urge_count": task.urge_count}, note=note,
                 at=now)
    notify(recipients=task_recipients(task), kind="task_urged", key=f"task:{task.pk}:urge:{task.urge_count}", url=task.link,
           urgent=task.priority == Priority.URGENT,
           title=lambda: str(_("%(name)s urges: %(title)s")) % {"name": actor.name, "title": task.title},
           body=note)
    return task


def tasks_complete_bulk(*, actor: Person, ids: Sequence[int], outcome: str = "") -> tuple[int, list[str]]:
    """Complete many tasks from the inbox where the kind allows it (KER-2).
    Each is its own transaction; returns how many closed and why others did
    not. A task the actor may not act on is reported by its number only, the
    same way as one that does not exist: its title is not theirs to read."""
    wanted = list(dict.fromkeys(ids))[:BULK_MAX]
    found = {t.pk: t for t in Task.objects.filter(pk__in=wanted).select_related("assignee")}
    done, problems = 0, []
    for pk in wanted:
        task = found.get(pk)
        if task is None or not may_act_on(actor, task)[0]:
            problems.append(str(_("Task #%(id)s: no such task of yours.") % {"id": pk}))
            continue
        spec = KINDS.get(task.kind)
        if spec is None or not spec.bulk:
            problems.append(str(_("“%(title)s” must be handled one by one.") % {"title": task.title}))
            continue
        try:
            if spec.on_bulk is not None:
                spec.on_bulk(actor, task)  # the module's own action closes the task
            else:
                task_complete(actor=actor, task=task, outcome=outcome)
            done += 1
        except DomainError as exc:
            problems.append(f"{task.title}: {exc.message}")
    return done, problems


# --- delegation (ORG-5) ---------------------------------------------------

def delegations_apply(*, now: datetime | None = None) -> dict[str, int]:
    """Move open tasks to a delegate when a delegation starts and back when it
    ends or is cancelled, recording each move. Run by the sweep; idempotent."""
    from xietong.org.models import Delegation

    now = now or timezone.now()
    moved = {"delegated": 0, "returned": 0}
    # Returns: tasks held for someone who no longer delegates to the holder.
    held = Task.objects.filter(state=TaskState.OPEN, delegated_from__isnull=False).select_related(
        "delegated_from", "assignee", "requester")
    for task in held:
        principal = task.delegated_from
        if principal is None:  # pragma: no cover — filtered above
            continue
        holder, _principal = _holder_of(principal, at=now, requester=task.requester, major=task.major)
        if holder.pk != task.assignee_id:
            moved["returned" if holder.pk == task.delegated_from_id else "delegated"] += _move(
                task=task, to=holder, principal=principal, now=now)
    # Starts: open tasks of people with a live delegation.
    principals = Delegation.objects.filter(cancelled_at__isnull=True, starts_at__lte=now, ends_at__gt=now).values(
        "principal_id")
    for task in Task.objects.filter(state=TaskState.OPEN, assignee_id__in=principals,
                                    delegated_from__isnull=True).select_related("assignee", "requester"):
        assignee = task.assignee
        if assignee is None:  # pragma: no cover — filtered above
            continue
        holder, _principal = _holder_of(assignee, at=now, requester=task.requester, major=task.major)
        if holder.pk != assignee.pk:
            moved["delegated"] += _move(task=task, to=holder, principal=assignee, now=now)
    return moved


@transaction.atomic
def _move(*, task: Task, to: Person, principal: Person, now: datetime) -> int:
    delegated_from = None if to.pk == principal.pk else principal
    if Task.objects.filter(pk=task.pk, state=TaskState.OPEN, assignee_id=task.assignee_id).update(
            assignee=to, delegated_from=delegated_from) != 1:
        return 0
    event_record(actor=None, verb="task.delegate" if delegated_from else "task.return", subject=task,
                 before={"assignee": task.assignee_id}, after={"assignee": to.pk,
                                                                "delegated_from": principal.pk if delegated_from
                                                                else None}, at=now)
    notify(recipients=[to], kind="task_delegated", key=f"task:{task.pk}:move:{to.pk}:{now.timestamp():.0f}",
           url=task.link, title=lambda: str(_("Now yours: %(title)s")) % {"title": task.title})
    return 1


class HeldTask(Protocol):
    """What deciding who holds and who supervises a task reads of it: a Task,
    or the escalation sweep's lighter row (sweep.Due)."""

    @property
    def assignee(self) -> Person | None: ...
    @property
    def assignee_id(self) -> int | None: ...
    @property
    def delegated_from(self) -> Person | None: ...
    @property
    def delegated_from_id(self) -> int | None: ...
    @property
    def assignee_role(self) -> str: ...
    @property
    def assignee_department(self) -> Department | None: ...
    @property
    def assignee_department_id(self) -> int | None: ...


def escalation_target_people(*, task: HeldTask, target: str, heads: dict[int, Person | None],
                             roles: dict[str, list[Person]]) -> list[Person]:
    """Who supervises at a step (KER-3): the department head of the task's
    owner — the assignee, or the person they act for when the task is held
    by a delegate — (the owner's manager when the owner is the head), the
    coordination office, leadership."""
    if target == "head":
        owner = task.delegated_from if task.delegated_from_id else task.assignee
        department = owner.primary_department if owner else task.assignee_department
        if department is None:
            return []
        if department.pk not in heads:
            heads[department.pk] = department_head(department)
        head = heads[department.pk]
        if head is not None and owner is not None and owner.pk == head.pk:
            head = manager_of(head)
        return [head] if head is not None else []
    role = {"coordination_office": Role.COORDINATION_OFFICE, "leadership": Role.LEADERSHIP}[target]
    if role not in roles:
        roles[role] = list(role_holders(role))
    return roles[role]


def task_holders(task: HeldTask, roles: dict[str, list[Person]]) -> set[int]:
    """Who holds the task itself: its assignee, whom they act for, and — for
    a role task — every holder of that role. A supervisor is never one of
    them (nobody supervises their own task)."""
    held = {pk for pk in (task.assignee_id, task.delegated_from_id) if pk is not None}
    if task.assignee_role:
        key = f"{task.assignee_role}@{task.assignee_department_id or ''}"
        if key not in roles:
            roles[key] = list(role_holders(task.assignee_role, department=task.assignee_department))
        held |= {p.pk for p in roles[key]}
    return held
