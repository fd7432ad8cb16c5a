"""The policy snapshot (snapshot.py): parameters and the calendar read once
per change, and every change — through the actions, a bulk write, raw SQL,
a rollback — seen at once."""

from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from xietong import memo
from xietong.policy.actions import calendar_day_set, parameter_set
from xietong.policy.calendar import WorkingCalendar
from xietong.policy.models import ParameterValue, PolicyState
from xietong.policy.queries import param, params

KEY = "meeting.minutes_due_hours"  # default 24


def token() -> str:
    return PolicyState.objects.get(pk=1).token


def test_a_scope_reads_the_token_once_and_the_tables_not_at_all(company):
    param(KEY)  # this process's snapshot is current now
    with CaptureQueriesContext(connection) as outside:
        param(KEY)
        params(KEY, "calendar.timezone")
    assert len(outside) == 2  # the token, each time
    with memo.scope(), CaptureQueriesContext(connection) as inside:
        for _ in range(5):
            assert param(KEY) == 24
        WorkingCalendar.load().is_working_day(date(2026, 10, 1))
    assert len(inside) == 1


def test_a_change_through_the_action_is_seen_at_once_in_the_same_scope(company):
    with memo.scope():
        assert param(KEY) == 24
        parameter_set(actor=company.admin, key=KEY, raw_value="12", reason="提速")
        assert param(KEY) == 12
    assert param(KEY) == 12


def test_a_bulk_write_or_raw_sql_changes_the_token(company):
    before = token()
    assert param(KEY) == 24
    ParameterValue.objects.bulk_create([ParameterValue(key=KEY, value=6, effective_from=timezone.now(), reason="x",
                                                       set_by=company.admin)])
    assert token() != before
    assert param(KEY) == 6
    with connection.cursor() as cursor:
        cursor.execute("UPDATE policy_parametervalue SET value = %s WHERE key = %s", ["8", KEY])
    assert param(KEY) == 8


def test_a_rolled_back_change_leaves_nothing_behind(company):
    before = token()
    with pytest.raises(RuntimeError), transaction.atomic():
        parameter_set(actor=company.admin, key=KEY, raw_value="2", reason="试")
        assert param(KEY) == 2  # this process kept the snapshot of the uncommitted token
        raise RuntimeError
    assert token() == before
    assert param(KEY) == 24


def test_a_scheduled_change_takes_effect_at_its_time_from_the_same_snapshot(company):
    later = timezone.now() + timedelta(days=3)
    parameter_set(actor=company.admin, key=KEY, raw_value="12", reason="提速", effective_from=later)
    with memo.scope():
        assert param(KEY) == 24
        assert param(KEY, at=later + timedelta(seconds=1)) == 12
        assert params(KEY, at=later - timedelta(seconds=1)) == {KEY: 24}


def test_a_calendar_day_set_is_seen_by_the_next_calendar(company, calendar):
    day = date(2026, 12, 7)  # a Monday
    assert WorkingCalendar.load().is_working_day(day)
    calendar_day_set(actor=company.admin, day=day, kind="holiday", name="停电检修")
    assert not WorkingCalendar.load().is_working_day(day)


def test_without_a_token_every_read_goes_to_the_tables(company):
    PolicyState.objects.all().delete()
    ParameterValue.objects.create(key=KEY, value=3, effective_from=timezone.now(), reason="x", set_by=company.admin)
    # The trigger has written a token again; delete it to stand for a freshly flushed database.
    PolicyState.objects.all().delete()
    assert param(KEY) == 3
    with CaptureQueriesContext(connection) as reads:
        param(KEY)
    assert len(reads) == 2  # the token (absent), then the value itself


def test_truncate_changes_the_token_on_postgresql(company, calendar):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; its DELETE fires the row triggers, tested above")
    before = token()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE policy_calendarday")
    assert token() != before
    assert WorkingCalendar.load(lenient=True).is_working_day(date(2026, 10, 1))  # no holidays left

