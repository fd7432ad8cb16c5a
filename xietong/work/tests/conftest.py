from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from xietong.work.actions import task_create
from xietong.work.registry import ACKNOWLEDGE, TODO

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def make_task(company, calendar):
    """A to-do for the employee, requested by the sales head, unless told otherwise."""

    counter = iter(range(1, 10_000))

    def make(**kw):
        n = next(counter)
        kw.setdefault("kind", TODO)
        kw.setdefault("title", f"任务 {n}")
        kw.setdefault("subject", ("test.item", str(n)))
        kw.setdefault("actor", company.sales_head)
        kw.setdefault("requester", company.sales_head)
        if "role" not in kw:
            kw.setdefault("assignee", company.employee)
        return task_create(**kw)

    return make


__all__ = ["ACKNOWLEDGE", "at"]
