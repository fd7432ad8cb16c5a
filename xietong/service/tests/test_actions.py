"""Customer-service cases (CS-1..5): each transition and refusal, masking
and reveal logging, the public channel's abuse limits, the weekly summary."""

from datetime import timedelta

import pytest
from django.utils import timezone

from xietong.audit.trail import history_for
from xietong.errors import Conflict, DomainError, PermissionDenied
from xietong.service import actions as a
from xietong.service.models import Assignment, AssignmentState, Case, CaseState, WeeklySummary
from xietong.work.models import Task, TaskState

CUSTOMER = {"title": "充电桩无法启动", "description": "扫码后没有反应", "customer_name": "李雷",
            "customer_phone": "13912345678", "customer_address": "深圳市南山区科技园1号", "plate_number": "粤B12345",
            "category": "fault"}


def record(company, **extra):
    data = {**CUSTOMER, "channel": "hotline", **extra.pop("data", {})}
    return a.case_record(actor=company.service, data=data, **extra)


def open_tasks(case: Case, kind: str) -> list[Task]:
    return list(Task.objects.filter(subject_type="service.case", subject_id=str(case.pk), kind=kind, state="open"))


def test_only_customer_service_records_cases(company, calendar):
    with pytest.raises(PermissionDenied):
        a.case_record(actor=company.employee, data={**CUSTOMER, "channel": "hotline"})


def test_bad_input_reports_every_field_and_saves_nothing(company, calendar):
    with pytest.raises(a.CaseInvalid) as error:
        record(company, data={"title": "", "customer_phone": "call me", "plate_number": "XYZ", "channel": "fax"})
    assert set(error.value.errors) == {"title", "customer_phone", "plate_number", "channel"}
    assert not Case.objects.exists()


def test_solved_on_the_spot_closes_with_a_survey_link(company, calendar):
    case = record(company, answer="已指导客户重启设备")
    assert case.state == CaseState.CLOSED and case.survey_token and case.resolution.startswith("已指导")
    assert not open_tasks(case, a.KIND_INTAKE)


def test_passed_to_departments_each_returns_then_customer_service_confirms(company, calendar):
    case = record(company, departments=[company.tech, company.finance_dept], instructions="请现场检修")
    assert case.state == CaseState.WITH_DEPARTMENTS
    handlers = {t.assignee for t in open_tasks(case, a.KIND_HANDLE)}
    assert handlers == {company.tech_head, company.finance}
    for task in open_tasks(case, a.KIND_HANDLE):
        assert task.due_at is not None and task.next_escalation_at is not None
    with pytest.raises(PermissionDenied):
        a.case_return(actor=company.employee, case=case, result="x")
    a.case_return(actor=company.tech_head, case=case, result="已更换主板")
    case.refresh_from_db()
    assert case.state == CaseState.WITH_DEPARTMENTS, "finance has not returned yet"
    with pytest.raises(Conflict):
        a.case_return(actor=company.tech_head, case=case, result="again")
    a.case_return(actor=company.finance, case=case, result="已退还充电费")
    case.refresh_from_db()
    assert case.state == CaseState.CONFIRMING
    (confirm,) = open_tasks(case, a.KIND_CONFIRM)
    assert confirm.assignee == company.service and confirm.due_at is not None
    with pytest.raises(DomainError) as error:
        a.case_confirm(actor=company.service, case=case, satisfied=True, satisfaction=9)
    assert error.value.code == "bad_rating"
    a.case_confirm(actor=company.service, case=case, satisfied=True, satisfaction=5)
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.satisfaction == 5
    assert "已更换主板" in case.resolution and "已退还充电费" in case.resolution


def test_unsatisfied_customer_goes_back_with_their_words(company, calendar):
    case = record(company, departments=[company.tech])
    a.case_return(actor=company.tech_head, case=case, result="已远程重启")
    with pytest.raises(DomainError) as error:
        a.case_confirm(actor=company.service, case=case, satisfied=False)
    assert error.value.code == "words_required"
    a.case_confirm(actor=company.service, case=case, satisfied=False, words="还是不能充电，要求上门", satisfaction=2)
    case.refresh_from_db()
    assert case.state == CaseState.WITH_DEPARTMENTS and case.round == 2
    second = Assignment.objects.get(case=case, round=2)
    assert second.department == company.tech and "要求上门" in second.instructions
    assert open_tasks(case, a.KIND_HANDLE)[0].assignee == company.tech_head


def test_a_department_can_ask_another_to_help(company, calendar):
    case = record(company, departments=[company.tech])
    with pytest.raises(DomainError):
        a.case_forward(actor=company.tech_head, case=case, department=company.finance_dept, note="")
    a.case_forward(actor=company.tech_head, case=case, department=company.finance_dept, note="请核对退款")
    assert {x.department for x in case.assignments.filter(state=AssignmentState.PENDING)} == {
        company.tech, company.finance_dept}
    with pytest.raises(DomainError) as error:
        a.case_forward(actor=company.tech_head, case=case, department=company.finance_dept, note="again")
    assert error.value.code == "already_assigned"


def test_personal_data_is_masked_and_each_reveal_is_logged(company, calendar):
    case = record(company, departments=[company.tech])
    shown = a.masked(case)
    assert shown["customer_name"] == "李*" and "1234" not in shown["customer_phone"][3:7]
    assert shown["customer_phone"].endswith("5678") and shown["plate_number"] == "粤B***5"
    assert "科技园1号" not in shown["customer_address"]
    # The current handler and customer service may reveal; others may not.
    assert a.case_reveal(actor=company.tech_head, case=case, reason="上门联系")["customer_phone"] == "13912345678"
    a.case_reveal(actor=company.service, case=case)
    for stranger in (company.employee, company.finance, company.auditor):
        with pytest.raises(PermissionDenied):
            a.case_reveal(actor=stranger, case=case)
    reveals = [e for e in history_for(case) if e.verb == "case.reveal"]
    assert [e.actor for e in reveals] == [company.tech_head, company.service]
    assert "customer_phone" in reveals[0].after["fields"]
    # Once the handler has returned the result, they are no longer a current handler.
    a.case_return(actor=company.tech_head, case=case, result="done")
    with pytest.raises(PermissionDenied):
        a.case_reveal(actor=company.tech_head, case=case)


def test_public_submission_is_queued_for_customer_service(company, calendar):
    case = a.case_submit_public(data=CUSTOMER, source="203.0.113.7")
    assert case.state == CaseState.NEW and case.channel == "website" and len(case.tracking_code) == 10
    assert case.source_hash and "203.0.113.7" not in case.source_hash
    (intake,) = open_tasks(case, a.KIND_INTAKE)
    assert intake.assignee is None and intake.assignee_role == "customer_service"
    a.case_pass(actor=company.service, case=case, departments=[company.tech])
    assert Task.objects.get(pk=intake.pk).state == TaskState.DONE


def test_public_submissions_are_rate_limited_per_source(company, calendar):
    for _i in range(5):
        a.case_submit_public(data=CUSTOMER, source="198.51.100.1")
    with pytest.raises(DomainError) as error:
        a.case_submit_public(data=CUSTOMER, source="198.51.100.1")
    assert error.value.code == "rate_limited"
    assert Case.objects.count() == 5
    a.case_submit_public(data=CUSTOMER, source="198.51.100.2")  # another source is not held back
    later = timezone.now() + timedelta(hours=1, minutes=1)
    a.case_submit_public(data=CUSTOMER, source="198.51.100.1", now=later)


def test_survey_answered_once_with_a_valid_rating(company, calendar):
    case = record(company, answer="已解决")
    with pytest.raises(DomainError):
        a.survey_answer(token="nope", rating=5)
    with pytest.raises(DomainError):
        a.survey_answer(token=case.survey_token or "", rating=7)
    a.survey_answer(token=case.survey_token or "", rating=1, comment="太慢")
    case.refresh_from_db()
    assert case.survey_rating == 1 and case.important, "an unhappy survey is important feedback"
    with pytest.raises(Conflict):
        a.survey_answer(token=case.survey_token or "", rating=5)


def test_weekly_summary_for_leadership_once_per_week(company, calendar):
    """A schedule (service.weekly_summary): Mondays at 09:00 (cs.weekly_summary_weekday),
    the important feedback of the week before, made once."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from xietong.platform.manifest import SCHEDULES
    from xietong.work.models import SweepRun
    from xietong.work.schedules import schedule_run

    def at(month, day, hour=10):
        return datetime(2026, month, day, hour, tzinfo=ZoneInfo("Asia/Shanghai"))

    schedule = SCHEDULES["service.weekly_summary"]
    SweepRun.objects.create(name=schedule.key, day=date(2026, 11, 16), at=at(11, 16))  # the week before was done
    important = record(company, data={"complaint": True}, now=at(11, 18))
    record(company, now=at(11, 19), answer="ok")  # not important
    assert schedule_run(schedule, now=at(11, 23, 8)) == 0, "not before 09:00 on Monday"
    assert schedule_run(schedule, now=at(11, 23)) == 1
    assert schedule_run(schedule, now=at(11, 24)) == 0, "once a week"
    summary = WeeklySummary.objects.get()
    assert summary.week_start == date(2026, 11, 16)
    assert list(summary.cases.all()) == [important] and summary.counts["complaints"] == 1
    task = Task.objects.get(kind=a.KIND_SUMMARY)
    assert task.assignee_role == "leadership"


def test_a_weekly_summary_missed_on_monday_is_made_up_the_next_day(company, calendar):
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from xietong.platform.manifest import SCHEDULES
    from xietong.work.models import SweepRun
    from xietong.work.schedules import schedule_run

    schedule = SCHEDULES["service.weekly_summary"]
    tuesday = datetime(2026, 11, 24, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    SweepRun.objects.create(name=schedule.key, day=date(2026, 11, 16), at=tuesday)
    assert schedule_run(schedule, now=tuesday) == 1  # no worker ran on Monday the 23rd
    assert WeeklySummary.objects.get().week_start == date(2026, 11, 16)
