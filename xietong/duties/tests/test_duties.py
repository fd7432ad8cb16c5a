"""Duty lists (ORG-4): edits with history, permissions, the periodic review."""

from datetime import timedelta

import pytest
from django.utils import timezone

from xietong.audit.trail import history_for
from xietong.duties import actions as d
from xietong.duties.models import DutyList
from xietong.errors import DomainError, PermissionDenied
from xietong.work.models import Task, TaskState
from xietong.work.sweep import sweep_run


def test_only_the_department_edits_its_list(company, calendar):
    with pytest.raises(PermissionDenied):
        d.duty_save(actor=company.employee, department=company.tech, fields={"title": "x"})
    d.duty_save(actor=company.office, department=company.tech, fields={"title": "由协调办补录"})
    item = d.duty_save(actor=company.tech_head, department=company.tech, fields={"title": "设备维护"},
                       partners=[company.sales])
    assert [p.code for p in item.partners.all()] == ["sales"]


@pytest.mark.parametrize("fields,code", [
    ({"title": " "}, "title_required"),
    ({"title": "x", "delivery_working_days": "abc"}, "bad_number"),
    ({"title": "x", "response_working_hours": 0}, "bad_number"),
    ({"title": "x", "content": "长" * 4001}, "too_long"),
])
def test_bad_duty_input_is_refused(company, calendar, fields, code):
    with pytest.raises(DomainError) as error:
        d.duty_save(actor=company.tech_head, department=company.tech, fields=fields)
    assert error.value.code == code
    assert not company.tech.duties.exists()


def test_a_department_is_not_its_own_partner(company, calendar):
    with pytest.raises(DomainError):
        d.duty_save(actor=company.tech_head, department=company.tech, fields={"title": "x"}, partners=[company.tech])


def test_retire_keeps_the_item_and_its_history(company, calendar):
    item = d.duty_save(actor=company.tech_head, department=company.tech, fields={"title": "旧职责"})
    d.duty_retire(actor=company.tech_head, item=item, reason="合并")
    item.refresh_from_db()
    assert not item.is_active
    assert [e.verb for e in history_for(item)] == ["duty.create", "duty.retire"]


def test_review_falls_due_and_the_monthly_schedule_asks_the_head_once(company, calendar):
    d.duty_save(actor=company.tech_head, department=company.tech, fields={"title": "设备维护"})
    row = DutyList.objects.get(department=company.tech)
    assert row.next_review_at is not None  # org.duty_list_review_months = 12
    assert timedelta(days=364) < row.next_review_at - timezone.now() < timedelta(days=367)
    later = row.next_review_at + timedelta(hours=1)
    # The schedule (duties.review, the 1st of each month) asks for the lists due in its month, once.
    assert sweep_run(now=later)["duties.review"] == 1
    assert sweep_run(now=later)["duties.review"] == 0
    task = Task.objects.get(kind=d.KIND_REVIEW)
    assert task.assignee == company.tech_head and task.state == TaskState.OPEN
    d.duty_list_review(actor=company.tech_head, department=company.tech, note="无变化")
    task.refresh_from_db()
    row.refresh_from_db()
    assert task.state == TaskState.DONE and row.reviewed_by == company.tech_head
    assert row.next_review_at is not None and row.next_review_at > later - timedelta(hours=2)
    with pytest.raises(PermissionDenied):
        d.duty_list_review(actor=company.employee, department=company.tech)


def test_add_months_keeps_the_day_or_the_month_end():
    from datetime import UTC, datetime

    assert d.add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert d.add_months(datetime(2026, 11, 15, tzinfo=UTC), 14) == datetime(2028, 1, 15, tzinfo=UTC)
