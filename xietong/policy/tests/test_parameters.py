from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from xietong.audit.models import Event
from xietong.errors import DomainError, PermissionDenied
from xietong.policy.actions import parameter_set
from xietong.policy.queries import param, parameter_history, parameter_states
from xietong.policy.registry import parameters
from xietong.testing import NAV_QUERIES


def test_every_parameter_names_its_clause_and_both_languages():
    keys = [p.key for p in parameters()]
    assert len(keys) == len(set(keys))
    for p in parameters():
        assert p.spec and p.clause and p.zh and p.en, p.key
        assert p.parse(p.to_json(p.default)) == p.default, p.key


def test_the_regulations_numbers_are_seeded(db):
    assert param("org.personnel_change_notice_days") == 30  # seed 000 §2: 提前一个月
    assert param("handover.notice_working_days") == 3
    assert param("approval.finance_threshold_yuan") == Decimal("50000")
    assert param("calendar.work_periods") == "09:00-12:00,13:30-18:00"


def test_a_change_takes_effect_at_its_date_and_keeps_history(company):
    later = timezone.now() + timedelta(days=7)
    parameter_set(actor=company.admin, key="meeting.minutes_due_hours", raw_value="12", reason="提速",
                  effective_from=later)
    assert param("meeting.minutes_due_hours") == 24
    assert param("meeting.minutes_due_hours", at=later + timedelta(seconds=1)) == 12
    (state,) = [s for s in parameter_states() if s.param.key == "meeting.minutes_due_hours"]
    assert state.value == 24 and state.pending is not None
    assert [h.value for h in parameter_history("meeting.minutes_due_hours")] == [12]
    event = Event.objects.get(subject_type="policy.parameter", subject_id="meeting.minutes_due_hours")
    assert event.before == {"value": 24} and event.after["value"] == 12 and event.note == "提速"


@pytest.mark.parametrize("key,value", [
    ("meeting.minutes_due_hours", "soon"), ("meeting.minutes_due_hours", "0"), ("meeting.weekly_weekday", "8"),
    ("calendar.work_periods", "13:00-12:00"), ("calendar.timezone", "Mars/Base"),
    ("perf.assessment_cycle", "weekly"), ("doc.naming_pattern", "(unclosed"),
])
def test_bad_values_are_refused_and_change_nothing(company, key, value):
    with pytest.raises(DomainError):
        parameter_set(actor=company.admin, key=key, raw_value=value, reason="试试")
    assert parameter_history(key) == []


def test_a_reason_is_required_and_only_admins_change(company):
    with pytest.raises(DomainError, match="why"):
        parameter_set(actor=company.admin, key="meeting.minutes_due_hours", raw_value="12", reason=" ")
    with pytest.raises(PermissionDenied):
        parameter_set(actor=company.ceo, key="meeting.minutes_due_hours", raw_value="12", reason="x")


def test_the_parameters_page_lists_all_with_a_fixed_query_count(company, client, django_assert_max_num_queries):
    client.force_login(company.employee)
    with django_assert_max_num_queries(8 + NAV_QUERIES):
        response = client.get("/policy/parameters/")
    content = response.content.decode()
    assert all(p.key in content for p in parameters())


def test_nobody_changes_a_parameter_directly_in_the_page(company, client):
    for person in (company.employee, company.admin):
        client.force_login(person)
        page = client.get("/policy/parameters/meeting.minutes_due_hours/")
        assert page.status_code == 200
        # POL-2: the page links to the change approval instead of a form.
        assert "/approvals/new/policy_change/?parameter=meeting.minutes_due_hours" in page.content.decode()
        response = client.post("/policy/parameters/meeting.minutes_due_hours/", {"value": "1", "reason": "x"})
        assert response.status_code == 405 and param("meeting.minutes_due_hours") == 24


def test_the_calendar_page_computes_a_deadline(company, calendar, client):
    client.force_login(company.employee)
    response = client.get("/policy/calendar/", {"start": "2026-09-30T10:00", "amount": "1", "unit": "days"})
    assert response.context["result"].date().isoformat() == "2026-10-08"
    response = client.get("/policy/calendar/", {"year": "2027"})
    assert b"year-missing" in response.content


def test_only_admins_edit_calendar_days(company, calendar, client):
    client.force_login(company.employee)
    assert client.post("/policy/calendar/day/", {"date": "2026-03-04", "kind": "holiday"}).status_code == 403
    assert client.post("/policy/calendar/year/", {"year": "2027"}).status_code == 403
    client.force_login(company.admin)
    client.post("/policy/calendar/day/", {"date": "2026-03-04", "kind": "holiday", "name": "司庆"})
    from datetime import date

    from xietong.policy.calendar import WorkingCalendar

    assert not WorkingCalendar.load().is_working_day(date(2026, 3, 4))


def test_seeding_the_calendar_is_recorded(calendar):
    events = Event.objects.filter(verb="calendar.seed")
    assert events.filter(subject_type="policy.calendaryear", subject_id="2026").exists()
    assert events.get(subject_id="2026").after["days"] > 0
