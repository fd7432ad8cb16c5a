from datetime import date, timedelta

import pytest
from django.utils import timezone

from xietong.org import actions as org
from xietong.policy.calendar import WorkingCalendar
from xietong.requests.actions import request_submit
from xietong.requests.models import Request


@pytest.fixture
def collab(company, calendar):
    """刘洋 (sales) asks 技术部, whose liaison is 吴昊; 郑凯 does the work."""
    org.liaison_set(actor=company.admin, department=company.tech, person=company.rd1_lead)
    return company


def workday(n: int) -> date:
    """The n-th working day after today (company calendar)."""
    cal = WorkingCalendar.load(lenient=True)
    day = cal.local_date(timezone.now())
    while n:
        day += timedelta(days=1)
        if cal.is_working_day(day):
            n -= 1
    return day


def ask(company, *, days: int = 5, **extra) -> Request:
    fields = {"title": "充电桩固件升级支持", "reason": "客户投诉掉线", "expected_result": "给出升级包",
              "requested_date": workday(days), **extra}
    return request_submit(actor=extra.pop("actor", company.employee), to_department=company.tech,
                          **{k: v for k, v in fields.items() if k != "actor"})
