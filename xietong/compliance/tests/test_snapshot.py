"""Daily snapshots: computed once per day, after it ended; every number is
the count of its stored records; the seal verifies, and stops verifying
when a stored finding is edited."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from xietong.audit.models import Event
from xietong.compliance.models import Record, Result, Snapshot
from xietong.compliance.queries import Period, Scope, clause_detail, record_counts
from xietong.compliance.snapshot import snapshot_day, snapshots_due, verify
from xietong.org import actions as org
from xietong.requests import actions as requests
from xietong.testing import together

from .conftest import morning, respond_due


@pytest.fixture
def answered_day(company, calendar):
    """A working day three weeks back on which 技术部 answered one request in time and one late."""
    org.liaison_set(actor=company.admin, department=company.tech, person=company.rd1_lead)
    at = morning()
    made = [requests.request_submit(actor=company.employee, to_department=company.tech, title=t, now=at)
            for t in ("准时", "迟了")]
    due = respond_due(made[0])
    requests.request_accept(actor=company.rd1_lead, request=made[0], owner=company.engineer, now=due)
    requests.request_accept(actor=company.rd1_lead, request=made[1], owner=company.engineer,
                            now=due + timedelta(minutes=1))
    return timezone.localtime(due).date(), made


def test_a_day_is_computed_once_and_its_figures_are_its_records(answered_day, company):
    day, (on_time, late) = answered_day
    snapshot = snapshot_day(day)
    assert snapshot is not None
    assert snapshot_day(day) is None  # the day is taken: computed once

    result = Result.objects.get(snapshot=snapshot, clause="S003-5-respond", department=company.tech)
    assert (result.applies, result.passed) == (2, 1)
    records = Record.objects.filter(snapshot=snapshot, clause="S003-5-respond")
    assert {(r.subject_id, r.passed) for r in records} == {(str(on_time.pk), True), (str(late.pk), False)}
    assert snapshot.records == Record.objects.filter(snapshot=snapshot).count()
    # The view's numbers and its drill-down agree.
    period = Period.month(day.year, day.month)
    from xietong.compliance.catalogue import clause

    detail = clause_detail(clause("S003-5-respond"), period, Scope(company=True))
    assert (detail.applies, detail.applies - detail.passed) == record_counts(clause("S003-5-respond"), period,
                                                                             Scope(company=True))
    assert [r.subject_id for r in detail.records] == [str(late.pk)]


def test_the_seal_verifies_until_a_stored_finding_is_edited(answered_day):
    day, _made = answered_day
    snapshot = snapshot_day(day)
    assert snapshot is not None and verify(snapshot)
    seal = Event.objects.get(verb="compliance.snapshot", subject_id=str(snapshot.pk))
    assert seal.after_json.count(snapshot.digest) == 1
    Record.objects.filter(snapshot=snapshot, passed=False).update(passed=True)
    assert verify(snapshot) is False


def test_the_sweep_computes_the_days_that_ended_and_not_today(answered_day):
    day, _made = answered_day
    now = timezone.now()
    made = snapshots_due(now=now, limit=200)
    today = timezone.localtime(now).date()
    days = set(Snapshot.objects.values_list("day", flat=True))
    assert made == len(days) and day in days
    assert today not in days and today - timedelta(days=1) in days
    assert snapshots_due(now=now) == 0  # nothing left


def test_a_day_that_has_not_ended_is_refused(company):
    with pytest.raises(ValueError, match="has not ended"):
        snapshot_day(timezone.localdate())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer: no two workers meet on a day")
@pytest.mark.django_db(transaction=True)
def test_two_workers_on_the_same_day_compute_it_once(company, calendar):
    day = timezone.localdate() - timedelta(days=3)
    results, errors = together(lambda: snapshot_day(day), lambda: snapshot_day(day))
    assert errors == []
    assert sorted(r is None for r in results) == [False, True]
    assert Snapshot.objects.filter(day=day).count() == 1
    assert Event.objects.filter(verb="compliance.snapshot").count() == 1
