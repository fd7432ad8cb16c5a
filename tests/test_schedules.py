"""Schedules on the working calendar (work.schedules): the day a regulation
names, moved by the holiday rule across the 2026 Spring Festival (Feb 15–23
off, Sat Feb 14 a make-up workday) and National Day (Oct 1–7 off); each
occurrence run once with two workers, a missed one made up, a failing one
shown to administrators while the others run. The schedule under test is the
example module's (tests/example), declared only in its manifest."""

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.example.models import Note
from xietong.platform import Module, manifest
from xietong.policy.calendar import WorkingCalendar
from xietong.policy.models import ParameterValue
from xietong.testing import together
from xietong.work.models import SweepRun, SweepStatus
from xietong.work.schedules import PREVIOUS, SKIP, Schedule, schedule_run
from xietong.work.sweep import sweep_run

SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def monthly():
    return manifest.SCHEDULES["example.monthly"]


def occurrences(schedule: Schedule) -> list[date]:
    return [day for day, _nominal in schedule.occurrences(*YEAR, WorkingCalendar.load(lenient=True))]


def test_the_5th_moves_past_national_day(calendar, monthly):
    days = occurrences(monthly)
    assert len(days) == 12
    assert days[1] == date(2026, 2, 5)  # a Thursday: as named
    assert days[3] == date(2026, 4, 7)  # Sun 5 April (and Mon 6, Qingming) off: Tuesday
    assert days[8] == date(2026, 9, 7)  # Sat 5 and Sun 6 September: Monday
    assert days[9] == date(2026, 10, 8)  # National Day, 1–7 October: the 8th


def test_the_18th_moves_past_the_spring_festival(company, calendar, monthly):
    ParameterValue.objects.create(key="example.monthly_day", value=18, effective_from=datetime(2025, 12, 1,
                                  tzinfo=SHANGHAI), reason="测试", set_by=company.admin)
    days = occurrences(monthly)
    assert days[1] == date(2026, 2, 24)  # Spring Festival, 15–23 February: the 24th
    assert days[9] == date(2026, 10, 19)  # Sun 18 October: Monday
    assert [nominal.day for _day, nominal in monthly.occurrences(*YEAR, WorkingCalendar.load(lenient=True))] == [18] * 12


def test_the_other_holiday_rules(calendar, monthly):
    before = occurrences(replace(monthly, holiday=PREVIOUS))
    assert before[9] == date(2026, 9, 30)  # the last working day before National Day
    assert before[1] == date(2026, 2, 5)
    skipped = occurrences(replace(monthly, holiday=SKIP))
    # No working 5th in April (Sunday), May (Labour Day), July (Sunday),
    # September (Saturday), October (National Day) and December (Saturday).
    assert skipped == [date(2026, m, 5) for m in (1, 2, 3, 6, 8, 11)]


def test_an_occurrence_runs_at_its_time_once(company, calendar, monthly):
    assert schedule_run(monthly, now=at(10, 8, 8, 59)) == 1  # before 09:00: September's is the one due
    assert Note.objects.get().title == "Monthly note 2026-09 (09-07)"
    assert schedule_run(monthly, now=at(10, 8, 9, 0)) == 1
    assert schedule_run(monthly, now=at(10, 8, 9, 30)) == 0
    assert sorted(Note.objects.values_list("title", flat=True)) == [
        "Monthly note 2026-09 (09-07)", "Monthly note 2026-10 (10-08)"]
    assert SweepRun.objects.filter(name="example.monthly").count() == 2


def test_a_missed_occurrence_is_made_up_when_the_worker_returns(company, calendar, monthly):
    SweepRun.objects.create(name="example.monthly", day=date(2026, 9, 5), at=at(9, 7))
    # Down from 7 October to the 12th: October's occurrence (the 8th) runs late, once.
    assert schedule_run(monthly, now=at(10, 12)) == 1
    assert schedule_run(monthly, now=at(10, 13)) == 0
    assert Note.objects.get().title == "Monthly note 2026-10 (10-08)"


@pytest.mark.django_db(transaction=True)
def test_two_workers_run_an_occurrence_once(company, calendar, monthly):
    SweepRun.objects.create(name="example.monthly", day=date(2026, 9, 5), at=at(9, 7))
    results, errors = together(*[lambda: schedule_run(monthly, now=at(10, 8, 9, 5))] * 2)
    assert not errors, errors
    assert sorted(results) == [0, 1]
    assert Note.objects.count() == 1
    assert SweepRun.objects.filter(name="example.monthly", day=date(2026, 10, 5)).count() == 1


def test_a_failing_schedule_is_shown_to_administrators_and_the_others_run(company, calendar, client):
    def broken(**kwargs):
        raise RuntimeError("月报模板缺失")

    module = Module(key="broken_schedule", label="Broken", schedules=(
        Schedule("broken.weekly", "Broken weekly", module="broken_schedule", every="weekly",
                 day_param="cs.weekly_summary_weekday", run=broken),))
    manifest.register(module, app="tests")
    try:
        errors: dict[str, str] = {}
        result = sweep_run(now=at(10, 8, 9, 5), errors=errors)
    finally:
        manifest.unregister("broken_schedule")
    assert errors == {"broken.weekly": "RuntimeError: 月报模板缺失"}
    assert result["example.monthly"] == 1 and Note.objects.count() == 1  # the others ran
    failing = SweepStatus.objects.get(name="broken.weekly")
    assert failing.failing and failing.failures == 1 and failing.last_success_at is None
    assert "月报模板缺失" in failing.last_error and "Traceback" in failing.last_error
    assert not SweepStatus.objects.get(name="example.monthly").failing
    assert SweepStatus.objects.get(name="escalations").runs == 1
    client.force_login(company.admin)
    page = client.get("/work/workers/").content.decode()
    assert 'data-name="broken.weekly"' in page and "月报模板缺失" in page
    client.force_login(company.employee)
    assert client.get("/work/workers/").status_code == 403


def test_a_change_of_the_day_takes_effect_from_its_date_read_in_one_query(company, calendar, monthly,
                                                                         django_assert_num_queries):
    ParameterValue.objects.create(key="example.monthly_day", value=18, effective_from=at(6, 1, 0),
                                  reason="改为18日", set_by=company.admin)
    with django_assert_num_queries(1):
        nominal = [(day.month, value) for day, value in monthly.nominal_days(date(2026, 1, 1), date(2026, 12, 31))]
    assert nominal == [(m, 5) for m in range(1, 6)] + [(m, 18) for m in range(6, 13)]
