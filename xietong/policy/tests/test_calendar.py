"""The working calendar against the real 2026 schedule (国务院办公厅 2026 安排):
Spring Festival off 2/15–2/23 with make-up Saturdays 2/14 and 2/28; Mid-autumn
9/25–9/27 and National Day 10/1–10/7 with make-up days Sunday 9/20 and
Saturday 10/10; New Year 1/1–1/3 with make-up Sunday 1/4."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from xietong.errors import DomainError
from xietong.policy.actions import calendar_day_set, calendar_year_open, parameter_set
from xietong.policy.calendar import CalendarNotAvailable, WorkingCalendar, add_working_days

SH = ZoneInfo("Asia/Shanghai")


def t(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest.fixture
def cal(calendar) -> WorkingCalendar:
    return WorkingCalendar.load()


def test_national_day_holidays_are_not_working_days(cal):
    assert [cal.is_working_day(date(2026, 10, d)) for d in range(1, 8)] == [False] * 7
    assert cal.is_working_day(date(2026, 10, 8))


def test_make_up_weekend_days_are_working_days(cal):
    assert date(2026, 9, 20).weekday() == 6 and cal.is_working_day(date(2026, 9, 20))
    assert date(2026, 10, 10).weekday() == 5 and cal.is_working_day(date(2026, 10, 10))
    assert date(2026, 2, 14).weekday() == 5 and cal.is_working_day(date(2026, 2, 14))
    assert date(2026, 2, 28).weekday() == 5 and cal.is_working_day(date(2026, 2, 28))
    assert not cal.is_working_day(date(2026, 10, 11))  # an ordinary Sunday


def test_it_skips_national_day_when_adding_days(cal):
    assert cal.add_working_days(t(2026, 9, 30, 10), 1) == t(2026, 10, 8, 10)


def test_it_lands_on_the_make_up_saturday(cal):
    assert cal.add_working_days(t(2026, 10, 9, 15), 1) == t(2026, 10, 10, 15)
    assert cal.add_working_days(t(2026, 10, 9, 15), 2) == t(2026, 10, 12, 15)


def test_mid_autumn_and_its_make_up_sunday(cal):
    # Fri 9/18 → Sun 9/20 (make-up) → Mon 9/21 …; 9/25 (Fri) is Mid-autumn.
    assert cal.add_working_days(t(2026, 9, 18, 9, 30), 1) == t(2026, 9, 20, 9, 30)
    assert cal.add_working_days(t(2026, 9, 24, 11), 1) == t(2026, 9, 28, 11)


def test_spring_festival_whole_week_off(cal):
    # Fri 2/13 → Sat 2/14 (make-up) → 2/15–2/23 off → Tue 2/24.
    assert cal.add_working_days(t(2026, 2, 13, 10), 1) == t(2026, 2, 14, 10)
    assert cal.add_working_days(t(2026, 2, 13, 10), 2) == t(2026, 2, 24, 10)


def test_working_hours_cross_the_spring_festival(cal):
    # 1 h left on Fri 2/13, then the make-up Saturday 2/14 from 09:00.
    assert cal.add_working_hours(t(2026, 2, 13, 17), 2) == t(2026, 2, 14, 10)
    # A full make-up day (7.5 h) more, then the holiday week, then Tue 2/24.
    assert cal.add_working_hours(t(2026, 2, 13, 17), 1 + 7.5 + 1) == t(2026, 2, 24, 10)


def test_working_hours_skip_the_lunch_break(cal):
    assert cal.add_working_hours(t(2026, 3, 3, 11, 30), 1) == t(2026, 3, 3, 14, 0)
    assert cal.add_working_hours(t(2026, 3, 3, 12, 15), 1) == t(2026, 3, 3, 14, 30)


def test_it_ends_at_the_close_of_a_period_not_the_next_start(cal):
    assert cal.add_working_hours(t(2026, 3, 3, 11), 1) == t(2026, 3, 3, 12)
    assert cal.add_working_hours(t(2026, 3, 6, 17), 1) == t(2026, 3, 6, 18)  # a Friday


def test_outside_hours_counts_from_the_last_close(cal):
    friday_evening = t(2026, 3, 6, 19)
    assert cal.add_working_days(friday_evening, 1) == t(2026, 3, 9, 18)
    assert cal.add_working_days(t(2026, 3, 7, 10), 1) == t(2026, 3, 9, 18)  # Saturday
    assert cal.add_working_days(t(2026, 3, 9, 8), 1) == t(2026, 3, 9, 18)  # before opening


def test_working_time_between_across_a_holiday(cal):
    delta = cal.working_time_between(t(2026, 2, 13, 17), t(2026, 2, 24, 10))
    assert delta == timedelta(hours=1 + 7.5 + 1)
    assert cal.working_time_between(t(2026, 2, 24, 10), t(2026, 2, 13, 17)) == -delta
    assert cal.working_time_between(t(2026, 3, 3, 11, 30), t(2026, 3, 3, 14)) == timedelta(hours=1)


def test_working_days_between_counts_notice(cal):
    # Handover notice (HOV-1): from Wed 9/30 to Fri 10/9 there are 2 working days (10/8, 10/9).
    assert cal.working_days_between(date(2026, 9, 30), date(2026, 10, 9)) == 2


def test_year_end_into_a_year_with_data(cal):
    # 2025-12-31 (Wed) 17:00 + 2 h: 1/1–1/3 off, Sunday 1/4 is a make-up workday.
    assert cal.add_working_hours(t(2025, 12, 31, 17), 2) == t(2026, 1, 4, 10)


def test_a_year_without_data_raises_instead_of_guessing(cal):
    with pytest.raises(CalendarNotAvailable) as info:
        cal.add_working_hours(t(2026, 12, 31, 17), 2)
    assert info.value.year == 2027
    assert "2027" in str(info.value.message)


def test_an_administrator_can_open_next_year(company, calendar):
    calendar_year_open(actor=company.admin, year=2027)
    calendar_day_set(actor=company.admin, day=date(2027, 1, 1), kind="holiday", name="元旦")
    cal = WorkingCalendar.load()
    assert cal.add_working_hours(t(2026, 12, 31, 17), 2) == t(2027, 1, 4, 10)


def test_an_override_wins_over_the_library(company, calendar):
    calendar_day_set(actor=company.admin, day=date(2026, 3, 4), kind="holiday", name="公司庆典")
    assert add_working_days(t(2026, 3, 3, 10), 1) == t(2026, 3, 5, 10)


def test_only_administrators_edit_the_calendar(company, calendar):
    with pytest.raises(DomainError):
        calendar_day_set(actor=company.tech_head, day=date(2026, 3, 4), kind="holiday")


def test_working_periods_come_from_policy(company, calendar):
    parameter_set(actor=company.admin, key="calendar.work_periods", raw_value="08:30-12:00,13:00-17:30",
                  reason="夏令时作息")
    cal = WorkingCalendar.load()
    assert cal.add_working_hours(t(2026, 3, 3, 11, 30), 1) == t(2026, 3, 3, 13, 30)


def test_negative_amounts_are_refused(cal):
    with pytest.raises(DomainError):
        cal.add_working_days(t(2026, 3, 3, 10), -1)
    with pytest.raises(DomainError):
        cal.add_working_hours(t(2026, 3, 3, 10), -1)


def test_from_november_the_administrators_are_asked_for_next_years_calendar(company, calendar):
    from xietong.policy.actions import calendar_year_open
    from xietong.work.calendar_tasks import KIND_ENTER_CALENDAR, calendar_next_year_run
    from xietong.work.models import Task, TaskState

    october, november = t(2026, 10, 20, 10), t(2026, 11, 2, 10)
    assert calendar_next_year_run(now=october) == 0  # not yet published
    assert calendar_next_year_run(now=november) == 1
    assert calendar_next_year_run(now=november) == 0  # once
    task = Task.objects.get(kind=KIND_ENTER_CALENDAR)
    assert task.assignee_role == "admin" and "2027" in task.title and task.state == TaskState.OPEN
    calendar_year_open(actor=company.admin, year=2027)
    assert calendar_next_year_run(now=november) == 1  # the next sweep closes it
    task.refresh_from_db()
    assert task.state == TaskState.DONE and task.outcome == "entered"
    assert calendar_next_year_run(now=november) == 0
