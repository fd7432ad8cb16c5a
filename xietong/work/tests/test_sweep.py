
from datetime import timedelta

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
    return sorted(Task.objects.filter(parent=task, kind=SUPERVISE).values_list("assignee__username", "escalation_level"))


def test_it_escalates_to_head_when_overdue(make_task, company):
    task = make_task(due_at=timezone.now() - timedelta(minutes=1))
    assert escalations_run() == 1
    assert _supervisors(task) == [("chenjing", 1)]
    assert Notification.objects.filter(recipient=company.sales_head, kind="task_escalated").count() == 1
    assert Notification.objects.filter(recipient=company.employee, kind="task_overdue").count() == 1
    task.refresh_from_db()
    assert task.escalation_level == 1 and task.next_escalation_at > task.due_at
    assert escalations_run() == 0  # nothing more is due yet


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
