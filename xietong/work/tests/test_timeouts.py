"""Task kinds' timeout actions (TaskKind.on_timeout): offered once per due
time by the sweep, again after a reschedule; one that fails is retried at
the next sweep and reported, and the others still run."""

from datetime import timedelta

import pytest
from django.utils import timezone

from xietong.platform import Module, manifest
from xietong.platform.kinds import TaskKind
from xietong.work.actions import task_create, task_reschedule
from xietong.work.models import SweepStatus, Task
from xietong.work.sweep import TimeoutsFailed, sweep_run, timeouts_run

OFFERED: list[tuple[int, str]] = []


def on_timeout(task, now):
    if task.title == "坏":
        raise RuntimeError("无法自动处理")
    OFFERED.append((task.pk, task.title))
    return task.title == "自动"


@pytest.fixture
def timing_kind():
    OFFERED.clear()
    manifest.register(Module(key="timing", label="Timing", kinds=(
        TaskKind("timing.wait", "Wait", module="timing", on_timeout=on_timeout),)), app="tests")
    yield "timing.wait"
    manifest.unregister("timing")


def make(company, title, due):
    return task_create(kind="timing.wait", title=title, subject=("test.item", title), actor=company.sales_head,
                       assignee=company.employee, requester=company.sales_head, due_at=due)


def test_each_due_task_is_offered_once_and_again_after_a_reschedule(company, calendar, timing_kind):
    now = timezone.now()
    auto, idle = make(company, "自动", now + timedelta(hours=1)), make(company, "不动", now + timedelta(hours=1))
    make(company, "未到", now + timedelta(days=3))
    assert timeouts_run(now=now) == 0 and OFFERED == []  # nothing due yet
    later = now + timedelta(hours=2)
    assert timeouts_run(now=later) == 1  # offered both; one acted
    assert sorted(OFFERED) == sorted([(auto.pk, "自动"), (idle.pk, "不动")])
    assert timeouts_run(now=later) == 0 and len(OFFERED) == 2  # once per due time
    task_reschedule(actor=company.sales_head, task=Task.objects.get(pk=idle.pk), due_at=later + timedelta(hours=1))
    assert timeouts_run(now=later + timedelta(hours=2)) == 0
    assert OFFERED[-1] == (idle.pk, "不动")  # offered again for its new due time


def test_a_failing_timeout_is_retried_and_reported_while_the_others_run(company, calendar, timing_kind):
    now = timezone.now()
    bad, good = make(company, "坏", now - timedelta(minutes=5)), make(company, "自动", now - timedelta(minutes=1))
    with pytest.raises(TimeoutsFailed):
        timeouts_run(now=now)
    assert [(good.pk, "自动")] == OFFERED
    assert Task.objects.get(pk=bad.pk).timed_out_at is None  # offered again next time
    errors: dict[str, str] = {}
    sweep_run(now=now, errors=errors)
    assert "timeouts" in errors and f"task {bad.pk}" in errors["timeouts"]
    assert SweepStatus.objects.get(name="timeouts").failing
    assert [(good.pk, "自动")] == OFFERED  # the good one is not offered twice
