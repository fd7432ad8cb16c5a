import re
from datetime import timedelta

import pytest
from django.utils import timezone

from xietong.audit.models import Event
from xietong.errors import Conflict, DomainError, PermissionDenied
from xietong.org import actions as org_actions
from xietong.org.models import Role
from xietong.policy.actions import parameter_set
from xietong.work import actions
from xietong.work import delegation as delegations
from xietong.work.models import Notification, Task, TaskState
from xietong.work.registry import ACKNOWLEDGE, SUPERVISE

from .conftest import at


def test_due_time_skips_the_national_day_holiday(make_task):
    # 2026-09-30 is the Wednesday before the National Day holiday (10-01..10-07).
    task = make_task(now=at(2026, 9, 30, 10, 0), due_working_days=2)
    assert task.due_at.astimezone(at(2026, 1, 1).tzinfo).date().isoformat() == "2026-10-09"


def test_due_time_counts_a_make_up_workday(make_task):
    from xietong.policy.models import CalendarDay

    makeup = CalendarDay.objects.filter(date__year=2026, kind="workday").order_by("date").first()
    assert makeup is not None and makeup.date.weekday() >= 5  # a weekend day worked (调休)
    day_before = makeup.date - timedelta(days=1)
    task = make_task(now=at(day_before.year, day_before.month, day_before.day, 17, 0), due_working_hours=2)
    # One hour is left on the day before (if it is a working day) and the rest
    # falls on the make-up Saturday/Sunday, not on Monday.
    assert task.due_at.astimezone(at(2026, 1, 1).tzinfo).date() in (makeup.date, day_before)


def test_due_time_from_a_policy_parameter(make_task):
    task = make_task(now=at(2026, 11, 16, 9, 0), due_param="work.urge_min_interval_hours")
    assert task.due_at == at(2026, 11, 16, 13, 0)


def test_reminder_is_set_the_lead_time_before_due(make_task):
    task = make_task(now=at(2026, 11, 16, 9, 0), due_working_days=1)  # due Tue 09:00
    # 4 working hours before Tuesday 09:00 is Monday 14:00 (18:00 minus 4 hours).
    assert task.remind_at == at(2026, 11, 16, 14, 0)
    late = make_task(now=at(2026, 11, 16, 9, 0), due_working_hours=7)  # due Mon 17:30
    # 4 working hours before 17:30 crosses lunch: 17:30-13:30 is 4 hours exactly.
    assert late.remind_at == at(2026, 11, 16, 13, 30)
    earlier = make_task(now=at(2026, 11, 16, 9, 0), due_working_hours=6.5)  # due Mon 17:00
    assert earlier.remind_at == at(2026, 11, 16, 11, 30)  # 3h30 after lunch, 30 min before it
    assert task.next_escalation_at == task.due_at


def test_a_year_without_calendar_counts_weekdays_and_says_so(make_task):
    task = make_task(now=at(2026, 12, 31, 17, 0), due_working_days=1)
    assert task.due_at == at(2027, 1, 1, 17, 0)  # Friday, a weekday: no 2027 data yet
    assert "2027" in Event.objects.get(subject_type="work.task", subject_id=str(task.pk), seq=1).note


def test_creation_notifies_the_assignee_and_records_an_event(make_task, company):
    task = make_task()
    assert Notification.objects.filter(recipient=company.employee, kind="task_assigned").count() == 1
    event = Event.objects.get(subject_type="work.task", subject_id=str(task.pk))
    assert event.verb == "task.create" and event.after["assignee"] == company.employee.pk


def test_a_task_for_someone_away_goes_to_their_delegate(make_task, company):
    now = timezone.now()
    delegations.delegation_create(actor=company.employee, principal=company.employee, delegate=company.sales_head,
                                  starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=2))
    task = make_task(requester=company.tech_head, actor=company.tech_head)
    assert task.assignee == company.sales_head and task.delegated_from == company.employee
    assert "delegated" in Event.objects.get(subject_type="work.task", subject_id=str(task.pk)).note


def test_delegation_start_and_end_move_open_tasks_and_record_it(make_task, company):
    task = make_task(requester=company.tech_head, actor=company.tech_head)
    now = timezone.now()
    delegation = delegations.delegation_create(
        actor=company.employee, principal=company.employee, delegate=company.sales_head,
        starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(days=1))
    assert actions.delegations_apply() == {"delegated": 1, "returned": 0}
    task.refresh_from_db()
    assert (task.assignee, task.delegated_from) == (company.sales_head, company.employee)
    assert actions.delegations_apply() == {"delegated": 0, "returned": 0}  # idempotent
    delegations.delegation_cancel(actor=company.employee, delegation=delegation)
    assert actions.delegations_apply() == {"delegated": 0, "returned": 1}
    task.refresh_from_db()
    assert (task.assignee, task.delegated_from) == (company.employee, None)
    verbs = list(Event.objects.filter(subject_type="work.task", subject_id=str(task.pk)).values_list("verb", flat=True))
    assert verbs == ["task.create", "task.delegate", "task.return"]


def test_the_delegate_completes_on_behalf_of_the_principal(make_task, company):
    now = timezone.now()
    delegations.delegation_create(actor=company.employee, principal=company.employee, delegate=company.sales_head,
                                  starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=2))
    task = make_task(requester=company.tech_head, actor=company.tech_head)
    actions.task_complete(actor=company.sales_head, task=task)
    event = Event.objects.get(subject_type="work.task", subject_id=str(task.pk), verb="task.complete")
    assert event.actor_id == company.sales_head.pk and event.on_behalf_of_id == company.employee.pk


def test_a_role_task_is_claimed_by_exactly_one_holder(make_task, company):
    org_actions.role_grant(actor=company.admin, person=company.engineer, role=Role.COORDINATOR,
                           department=company.tech)
    org_actions.role_grant(actor=company.admin, person=company.rd1_lead, role=Role.COORDINATOR,
                           department=company.tech)
    task = make_task(role=Role.COORDINATOR, department=company.tech)
    assert task.assignee is None
    actions.task_claim(actor=company.engineer, task=task)
    with pytest.raises(Conflict):
        actions.task_claim(actor=company.rd1_lead, task=task)
    with pytest.raises(PermissionDenied):
        actions.task_claim(actor=company.employee, task=Task.objects.get(pk=task.pk))


def test_someone_else_cannot_complete_my_task(make_task, company):
    task = make_task()
    with pytest.raises(PermissionDenied):
        actions.task_complete(actor=company.engineer, task=task)
    assert Task.objects.get(pk=task.pk).state == TaskState.OPEN


def test_completing_twice_is_a_clear_conflict(make_task, company):
    task = make_task()
    actions.task_complete(actor=company.employee, task=task)
    with pytest.raises(Conflict):
        actions.task_complete(actor=company.employee, task=task)


def test_an_outcome_outside_the_kind_is_refused(make_task, company):
    task = make_task()
    with pytest.raises(DomainError) as error:
        actions.task_complete(actor=company.employee, task=task, outcome="approved")
    assert error.value.code == "bad_outcome"
    assert Task.objects.get(pk=task.pk).state == TaskState.OPEN


def test_completion_closes_supervision_and_tells_the_requester(make_task, company):
    task = make_task(due_at=timezone.now() - timedelta(hours=1))
    from xietong.work.sweep import escalations_run

    assert escalations_run() == 1
    supervision = Task.objects.get(parent=task, kind=SUPERVISE)
    actions.task_complete(actor=company.employee, task=task)
    supervision.refresh_from_db()
    assert (supervision.state, supervision.outcome) == (TaskState.DONE, "resolved")
    assert Notification.objects.filter(recipient=company.sales_head, kind="task_done").exists()


def test_urging_is_rate_limited_and_recorded(make_task, company):
    task = make_task()
    actions.task_urge(actor=company.sales_head, task=task, note="请尽快")
    with pytest.raises(DomainError) as error:
        actions.task_urge(actor=company.sales_head, task=task)
    assert error.value.code == "urge_too_soon"
    task.refresh_from_db()
    assert task.urge_count == 1
    assert Notification.objects.filter(recipient=company.employee, kind="task_urged").count() == 1
    assert Event.objects.filter(subject_id=str(task.pk), verb="task.urge").count() == 1
    # After the interval it may be urged again.
    Task.objects.filter(pk=task.pk).update(urged_at=timezone.now() - timedelta(hours=5))
    actions.task_urge(actor=company.sales_head, task=task)
    assert Task.objects.get(pk=task.pk).urge_count == 2


def test_urge_interval_follows_policy(make_task, company):
    parameter_set(actor=company.admin, key="work.urge_min_interval_hours", raw_value="0", reason="试行",
                  effective_from=timezone.now())
    task = make_task()
    actions.task_urge(actor=company.sales_head, task=task)
    actions.task_urge(actor=company.sales_head, task=task)
    assert Task.objects.get(pk=task.pk).urge_count == 2


def test_a_stranger_cannot_urge(make_task, company):
    task = make_task()
    with pytest.raises(PermissionDenied):
        actions.task_urge(actor=company.engineer, task=task)


def test_bulk_completion_only_takes_kinds_that_allow_it(make_task, company):
    notices = [make_task(kind=ACKNOWLEDGE) for _ in range(3)]
    todo = make_task()
    done, problems = actions.tasks_complete_bulk(actor=company.employee, ids=[t.pk for t in notices] + [todo.pk])
    assert done == 3 and len(problems) == 1
    assert Task.objects.get(pk=todo.pk).state == TaskState.OPEN


def test_cancel_needs_the_creator(make_task, company):
    task = make_task()
    with pytest.raises(PermissionDenied):
        actions.task_cancel(actor=company.employee, task=task, reason="不需要")
    actions.task_cancel(actor=company.sales_head, task=task, reason="不需要")
    assert Task.objects.get(pk=task.pk).state == TaskState.CANCELLED


def test_several_tasks_at_once_are_one_insert_each_and_follow_delegations(company, calendar):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from xietong import memo
    from xietong.work.actions import NewTask, tasks_create
    from xietong.work.registry import TODO

    now = timezone.now()
    delegations.delegation_create(actor=company.employee, principal=company.employee, delegate=company.hr,
                                  starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=2))
    people = [company.employee, company.engineer, company.finance]
    with memo.scope(), CaptureQueriesContext(connection) as queries:
        tasks = tasks_create([NewTask(kind=TODO, title=f"批量 {n}", subject=("test.item", f"b{n}"), assignee=p,
                                      requester=company.sales_head, cc=[company.tech_head] if n == 0 else [])
                              for n, p in enumerate(people)], actor=company.sales_head)
    assert [t.assignee for t in tasks] == [company.hr, company.engineer, company.finance]
    assert tasks[0].delegated_from == company.employee and tasks[1].delegated_from is None
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(("INSERT", "WITH"))]
    tables = [table for sql in writes for table in re.findall(r'INSERT INTO ("\w+")', sql)]
    assert sorted(tables) == sorted(['"work_task"', '"work_taskcc"', '"work_event"', '"work_notification"',
                                     '"work_delivery"'])
    # The in-app and outbox rows are one statement on PostgreSQL.
    assert len(writes) == (4 if connection.vendor == "postgresql" else 5)
    delegation_reads = [q for q in queries.captured_queries if "org_delegation" in q["sql"]]
    assert len(delegation_reads) == 2  # everyone's at once, then whether the delegate is away too
    assert {e.subject_id for e in Event.objects.filter(verb="task.create")} >= {str(t.pk) for t in tasks}
    assert Notification.objects.filter(kind="task_assigned", recipient__in=[company.hr, company.engineer,
                                                                             company.finance]).count() == 3
    assert Notification.objects.filter(kind="comment", recipient=company.tech_head).count() == 1


def test_a_bad_task_among_several_writes_none(company, calendar):
    from xietong.work.actions import NewTask, tasks_create
    from xietong.work.registry import TODO

    before = Task.objects.count()
    with pytest.raises(DomainError):
        tasks_create([NewTask(kind=TODO, title="好", subject=("test.item", "g1"), assignee=company.engineer),
                      NewTask(kind=TODO, title="  ", subject=("test.item", "g2"), assignee=company.engineer)],
                     actor=company.sales_head)
    assert Task.objects.count() == before
    # Refused before any write: the caller's transaction goes on.
    assert actions.task_create(kind=TODO, title="之后", subject=("test.item", "g3"), actor=company.sales_head,
                               assignee=company.engineer).pk


def test_a_tasks_page_url_is_what_the_url_conf_says_under_any_script_prefix(make_task):
    from django.urls import reverse, set_script_prefix

    task = make_task()
    assert task.page_url == reverse("work:task", args=[task.pk]) == f"/work/tasks/{task.pk}/"
    set_script_prefix("/oa/")
    try:
        assert task.page_url == reverse("work:task", args=[task.pk]) == f"/oa/work/tasks/{task.pk}/"
    finally:
        set_script_prefix("/")
    assert task.link == (task.url or task.page_url)


def _with_roles_and_a_delegator(company, now):
    """The engineer, with a company-wide role, a department's role, and HR's
    work delegated to them for the day."""
    from xietong.org import actions as org_actions
    from xietong.org.models import Role
    from xietong.work.delegation import delegation_create

    me = company.engineer
    org_actions.role_grant(actor=company.admin, person=me, role=Role.COORDINATION_OFFICE)
    org_actions.role_grant(actor=company.admin, person=me, role=Role.FINANCE, department=company.sales)
    delegation_create(actor=company.hr, principal=company.hr, delegate=me, starts_at=now - timedelta(hours=1),
                      ends_at=now + timedelta(days=1))
    return me


def test_the_badges_count_exactly_what_the_todo_box_holds(make_task, company, django_assert_num_queries):
    """counts() is a fixed statement; todo() is the ORM's definition of 待办.
    They must agree for someone with their own tasks, a company-wide role, a
    department's role, a delegator's role, overdue work and unread notes."""
    from django.utils import timezone as tz

    from xietong.org.models import Person, Role
    from xietong.work.queries import counts, todo

    now = tz.now()
    me = _with_roles_and_a_delegator(company, now)
    make_task(assignee=me)
    make_task(assignee=me, due_at=now - timedelta(hours=2))
    make_task(role=Role.COORDINATION_OFFICE)  # company-wide: mine
    make_task(role=Role.FINANCE, department=company.sales)  # my department's role: mine
    make_task(role=Role.FINANCE, department=company.tech)  # another department's: not mine
    make_task(role=Role.HR, due_at=now - timedelta(hours=1))  # the delegator's role: mine while they are away
    done = make_task(assignee=me)
    Task.objects.filter(pk=done.pk).update(state="done")
    make_task()  # someone else's
    person = Person.objects.get(pk=me.pk)
    expected = (todo(person, now=now).count(), todo(person, now=now).filter(due_at__lt=now).count())
    assert expected == (5, 2)
    with django_assert_num_queries(1):  # the one count (todo() above has read the principal)
        got = counts(person, now=now)
    assert (got.todo, got.overdue) == expected and got.unread >= 2
    nobody = Person.objects.create(username="nobody", name="无名")
    assert counts(nobody).todo == todo(nobody).count() == 0


def test_every_box_and_filter_holds_what_its_definition_says(make_task, company):
    """The inbox's boxes run as prepared statements (queries.Box); todo(),
    done(), started() and cc() are the same definitions run by the ORM. Pages and
    counts must agree for every box, alone and with each filter, for someone
    with their own tasks, roles (company-wide and a department's), a
    delegator's role and CCs."""
    from django.db.models import F
    from django.utils import timezone as tz

    from xietong.org.models import Person, Role
    from xietong.work.actions import task_complete
    from xietong.work.queries import InboxFilter, cc, done, inbox, started, todo
    from xietong.work.registry import TODO

    now = tz.now()
    me = _with_roles_and_a_delegator(company, now)
    for i in range(4):
        make_task(assignee=me, due_at=now + timedelta(hours=i - 2))
    make_task(role=Role.COORDINATION_OFFICE)
    make_task(role=Role.FINANCE, department=company.sales, due_at=now - timedelta(hours=3))
    make_task(role=Role.FINANCE, department=company.tech)
    make_task(role=Role.HR, due_at=now - timedelta(hours=1))
    for i in range(3):
        task_complete(actor=me, task=make_task(assignee=me))
        make_task(requester=me, actor=me, assignee=company.employee, cc=[me] if i else [])
    person = Person.objects.get(pk=me.pk)
    orders = {"todo": (F("due_at").asc(nulls_last=True), "-priority", "pk"), "done": ("-completed_at", "-pk")}
    definitions = {"todo": lambda: todo(person, now=now), "done": lambda: done(person),
                   "started": lambda: started(person), "cc": lambda: cc(person)}
    seen = {}
    for box, definition in definitions.items():
        for f in (InboxFilter(box=box), InboxFilter(box=box, module="work"), InboxFilter(box=box, kind=TODO),
                  InboxFilter(box=box, module="nothing"), InboxFilter(box=box, overdue=True)):
            expected = definition()
            if f.module:
                expected = expected.filter(module=f.module)
            if f.kind:
                expected = expected.filter(kind=f.kind)
            if f.overdue:
                expected = expected.filter(state="open", due_at__lt=now)
            ids = list(expected.order_by(*orders.get(box, ("-created_at", "-pk"))).values_list("pk", flat=True))
            got = inbox(person, f, now=now)
            assert got.count() == len(ids), f
            assert [t.pk for t in got[0:100]] == ids, f
            assert [t.pk for t in got[1:3]] == ids[1:3], f
            seen[f] = len(ids)
    assert (seen[InboxFilter()], seen[InboxFilter(overdue=True)], seen[InboxFilter(box="done")],
            seen[InboxFilter(box="started")], seen[InboxFilter(box="cc")]) == (7, 4, 3, 3, 2)
    assert seen[InboxFilter(module="nothing")] == 0


def test_a_completion_from_a_copy_read_before_the_task_moved_changes_nothing(make_task, company):
    """task_complete does not read the task again: the closing UPDATE takes
    the row only as the caller read it. Handed to someone else meanwhile: a
    Conflict that says so, the task still open and theirs; closed meanwhile:
    'already closed'; escalated meanwhile: its supervision still closes."""
    from xietong.errors import Conflict

    task = make_task()
    Task.objects.filter(pk=task.pk).update(assignee=company.engineer)
    with pytest.raises(Conflict) as error:
        actions.task_complete(actor=company.employee, task=task)
    assert error.value.code == "task_changed"
    fresh = Task.objects.get(pk=task.pk)
    assert (fresh.state, fresh.assignee_id, fresh.completed_by_id) == (TaskState.OPEN, company.engineer.pk, None)
    assert not Event.objects.filter(subject_id=str(task.pk), verb="task.complete").exists()

    other = make_task()
    actions.task_complete(actor=company.employee, task=Task.objects.get(pk=other.pk))
    with pytest.raises(Conflict) as error:
        actions.task_complete(actor=company.employee, task=other)
    assert error.value.code == "task_closed"
