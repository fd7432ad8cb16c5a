
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from xietong.audit.models import Event
from xietong.org import actions as org_actions
from xietong.org.models import Role
from xietong.testing import together
from xietong.work import delegation
from xietong.work.models import Delivery, Notification, Task
from xietong.work.registry import SUPERVISE
from xietong.work.sweep import digest_send, escalations_run, reminders_send, sweep_run


def _supervisors(task):
    return sorted(Task.objects.filter(parent=task, kind=SUPERVISE).values_list("assignee__username", "step"))


def test_it_escalates_to_head_when_overdue(make_task, company):
    task = make_task(due_at=timezone.now() - timedelta(minutes=1))
    assert escalations_run() == 1
    assert _supervisors(task) == [("chenjing", 1)]
    assert Notification.objects.filter(recipient=company.sales_head, kind="task_escalated").count() == 1
    assert Notification.objects.filter(recipient=company.employee, kind="task_overdue").count() == 1
    task.refresh_from_db()
    assert task.escalation_level == 1 and task.next_escalation_at > task.due_at
    assert escalations_run() == 0  # nothing more is due yet


def test_a_step_moves_the_ladders_row_not_the_task_and_closing_the_task_stops_it(make_task, company):
    from xietong.work.actions import task_complete
    from xietong.work.models import Escalation

    task = make_task(due_at=timezone.now() - timedelta(minutes=1))
    assert Escalation.objects.get(task=task).level == 0
    with CaptureQueriesContext(connection) as queries:
        assert escalations_run() == 1
    assert not [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "work_task"')]
    ladder = Escalation.objects.get(task=task)
    assert ladder.level == 1 and ladder.next_at > task.due_at
    task = Task.objects.get(pk=task.pk)
    task_complete(actor=company.employee, task=task)
    assert task.escalation_level == 1 and task.next_escalation_at is None  # what the action saw
    ladder.refresh_from_db()
    assert (ladder.level, ladder.next_at) == (1, None)  # the level reached stays, the clock stops
    assert list(Task.objects.filter(parent=task).values_list("state", "outcome")) == [("done", "resolved")]
    assert escalations_run(now=timezone.now() + timedelta(days=30)) == 0


def test_a_task_that_does_not_escalate_has_no_ladder(make_task):
    from xietong.work.models import Escalation

    task = make_task(due_at=timezone.now() - timedelta(minutes=1), escalates=False)
    assert not Escalation.objects.filter(task=task).exists()
    assert escalations_run() == 0
    assert Task.objects.get(pk=task.pk).escalation_level == 0


def test_an_overdue_role_task_tells_every_holder_and_its_department_head_supervises(make_task, company):
    for holder in (company.engineer, company.rd1_lead):
        org_actions.role_grant(actor=company.admin, person=holder, role=Role.COORDINATOR, department=company.tech)
    task = make_task(role=Role.COORDINATOR, department=company.tech, due_at=timezone.now() - timedelta(minutes=1))
    assert escalations_run() == 1
    assert _supervisors(task) == [("zhangwei", 1)]
    told = Notification.objects.filter(kind="task_overdue", key__startswith=f"task:{task.pk}:")
    assert sorted(told.values_list("recipient__username", flat=True)) == ["wuhao", "zhengkai"]


def test_the_sweep_reads_each_person_once_however_many_tasks_they_hold(make_task, company):
    def run(count: int) -> int:
        for _n in range(count):
            make_task(due_at=timezone.now() - timedelta(minutes=1))
        with CaptureQueriesContext(connection) as queries:
            assert escalations_run() == count
        return len(queries)

    assert run(2) == run(7)


def test_each_step_of_the_ladder_fires_once_in_order(make_task, company):
    task = make_task(due_at=timezone.now() - timedelta(minutes=1))
    escalations_run()
    task.refresh_from_db()
    # Time passes to the office step, then to the leadership step.
    escalations_run(now=task.next_escalation_at + timedelta(seconds=1))
    task.refresh_from_db()
    escalations_run(now=task.next_escalation_at + timedelta(seconds=1))
    assert _supervisors(task) == [("ceo", 3), ("chenjing", 1), ("zhoumin", 2)]
    task.refresh_from_db()
    assert task.escalation_level == 3 and task.next_escalation_at is None
    assert Event.objects.filter(subject_id=str(task.pk), subject_type="work.task", verb="task.escalate").count() == 3


def test_a_head_who_is_late_is_supervised_by_their_manager(make_task, company):
    task = make_task(assignee=company.sales_head, requester=company.ceo, due_at=timezone.now() - timedelta(minutes=1))
    escalations_run()
    assert _supervisors(task) == [("ceo", 1)]


def test_a_worker_that_was_down_takes_every_step_owed(make_task):
    task = make_task(due_at=timezone.now() - timedelta(days=10))
    assert escalations_run() == 3
    assert sorted(level for _u, level in _supervisors(task)) == [1, 2, 3]


def test_the_reminder_is_sent_once_before_due(make_task, company):
    task = make_task(due_at=timezone.now() + timedelta(days=3))
    Task.objects.filter(pk=task.pk).update(remind_at=timezone.now() - timedelta(minutes=1))
    assert reminders_send() == 1
    assert reminders_send() == 0
    assert Notification.objects.filter(recipient=company.employee, kind="task_reminder").count() == 1


def test_supervision_follows_the_supervisor_delegation(make_task, company):

    now = timezone.now()
    delegation.delegation_create(actor=company.sales_head, principal=company.sales_head, delegate=company.hr,
                                  starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1))
    task = make_task(due_at=now - timedelta(minutes=1))
    escalations_run()
    assert _supervisors(task) == [("dengli", 1)]


def test_the_digest_goes_once_a_day(make_task, company):
    from .conftest import at

    make_task(due_at=timezone.now() - timedelta(hours=1))
    monday_morning = at(2026, 11, 23, 9, 0)
    assert digest_send(now=monday_morning) >= 1
    assert digest_send(now=monday_morning + timedelta(hours=1)) == 0
    assert Delivery.objects.filter(key__startswith="digest:2026-11-23:", recipient=company.employee).count() == 1
    assert digest_send(now=at(2026, 11, 22, 9, 0)) == 0  # Sunday: no digest


def test_sweep_run_reports_each_part(make_task):
    make_task(due_at=timezone.now() - timedelta(minutes=1))
    result = sweep_run()
    assert result["escalations"] == 1 and result["deliveries_sent"] >= 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_escalate_each_step_exactly_once(company, calendar):
    from xietong.work.actions import task_create
    from xietong.work.registry import TODO

    now = timezone.now()
    tasks = [task_create(kind=TODO, title=f"并发 {i}", subject=("test.item", str(i)), actor=company.sales_head,
                         assignee=company.employee, requester=company.sales_head, due_at=now - timedelta(minutes=1))
             for i in range(60)]
    results, errors = together(lambda: escalations_run(batch=7), lambda: escalations_run(batch=7))
    assert not errors, errors
    assert sum(results) == len(tasks)
    assert Task.objects.filter(kind=SUPERVISE).count() == len(tasks)
    assert Event.objects.filter(verb="task.escalate").count() == len(tasks)
    keys = list(Notification.objects.filter(kind="task_escalated").values_list("key", flat=True))
    assert len(keys) == len(set(keys)) == len(tasks)
    if connection.vendor == "postgresql":
        # With SKIP LOCKED both workers really did share the work.
        assert all(r > 0 for r in results), results


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time: nothing waits")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("verb", ["complete", "reschedule", "cancel"])
def test_an_action_meeting_a_step_in_progress_waits_for_it_and_closes_what_it_made(company, calendar, verb):
    """The sweep locks only the ladder's row. An action on the task while a
    step is under way waits for the step at that row, then sees the step's
    supervision task and closes it: nothing is left supervising a task that
    is done, cancelled or given a new date."""
    import threading
    import time

    from django.db import connections, transaction

    from xietong.work.actions import task_cancel, task_complete, task_create, task_reschedule
    from xietong.work.models import Escalation
    from xietong.work.registry import TODO

    task = task_create(kind=TODO, title="正在升级", subject=("test.item", "w1"), actor=company.sales_head,
                       assignee=company.employee, requester=company.sales_head,
                       due_at=timezone.now() - timedelta(minutes=1))
    stepped, release, outcome = threading.Event(), threading.Event(), dict[str, Any]()

    def sweep() -> None:
        try:
            with transaction.atomic():  # the step's transaction stays open until released
                outcome["steps"] = escalations_run()
                stepped.set()
                release.wait(10)
        finally:
            connections.close_all()

    def act() -> None:
        try:
            copy = Task.objects.get(pk=task.pk)
            if verb == "complete":
                task_complete(actor=company.employee, task=copy)
            elif verb == "reschedule":
                task_reschedule(actor=company.sales_head, task=copy, due_at=timezone.now() + timedelta(days=5))
            else:
                task_cancel(actor=company.sales_head, task=copy, reason="不再需要")
            outcome["level"] = copy.escalation_level
        except BaseException as exc:  # noqa: BLE001 — asserted below
            outcome["error"] = exc
        finally:
            connections.close_all()

    stepper = threading.Thread(target=sweep)
    stepper.start()
    assert stepped.wait(10)
    actor = threading.Thread(target=act)
    actor.start()
    with connection.cursor() as cursor:  # until the action waits for the step's lock
        for _n in range(200):
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                           "AND datname = current_database()")
            if cursor.fetchone()[0]:
                break
            time.sleep(0.02)
        else:
            pytest.fail("the action did not wait for the step")
    release.set()
    stepper.join(10)
    actor.join(10)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["steps"] == 1
    supervision = list(Task.objects.filter(parent=task, kind=SUPERVISE).values_list("state", flat=True))
    assert supervision == ["done"]
    ladder = Escalation.objects.get(task=task)
    if verb == "reschedule":
        assert outcome["level"] == 0 and ladder.level == 0
        assert ladder.next_at is not None and ladder.next_at > timezone.now()
    else:
        assert outcome["level"] == 1 and (ladder.level, ladder.next_at) == (1, None)


def test_old_job_results_are_pruned_once_a_day(db):
    from django_tasks_db.models import DBTaskResult

    from xietong.work.sweep import jobs_prune

    now = timezone.now()
    for age in (10, 1):
        DBTaskResult.objects.create(task_path="xietong.work.tasks.sweep", args_kwargs={"args": [], "kwargs": {}},
                                    status="SUCCESSFUL", enqueued_at=now - timedelta(days=age),
                                    finished_at=now - timedelta(days=age), backend_name="default",
                                    queue_name="default", priority=0)
    assert jobs_prune(now=now) == 1
    assert DBTaskResult.objects.count() == 1
    assert jobs_prune(now=now) == 0  # once a day
