"""KER-2/3/5 in a real browser: a head supervises an overdue task, urges, and
the assignee is told."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_work(demo):
    from xietong.work.demo import load_demo_work

    load_demo_work()


def test_a_head_urges_an_overdue_task_and_the_assignee_is_told(demo_work, page, browser, live_server):
    from xietong.work.models import Task

    overdue = Task.objects.get(title="提交十月销售回款明细", kind="work.todo")
    sign_in(page, "chenjing")
    todo = page.locator("[data-testid=count-todo]")
    expect(todo).to_have_text(re.compile(r"^[1-9]\d*$"))
    page.click("[data-testid=nav-inbox]")
    row = page.locator("[data-testid=task-row]", has_text="提交十月销售回款明细")
    expect(row.locator(".tag", has_text="督办")).to_be_visible()
    row.get_by_role("link").click()
    expect(page.locator("[data-testid=task-title]")).to_contain_text("督办")
    page.click("[data-testid=watched-task]")
    expect(page).to_have_url(re.compile(rf"/work/tasks/{overdue.pk}/$"))
    expect(page.locator("[data-testid=overdue]")).to_be_visible()
    page.fill("#urge-note", "今天下班前务必提交")
    page.click("[data-testid=urge]")
    expect(page.locator(".messages")).to_contain_text("已催办")
    expect(page.locator("table.list", has_text="task.urge")).to_be_visible()  # the record's history

    # The assignee, in a browser of their own.
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    other = context.new_page()
    other.set_default_timeout(10_000)
    sign_in(other, "yangfan")
    expect(other.locator("[data-testid=count-unread]")).to_be_visible()
    other.click("[data-testid=nav-notifications]")
    notice = other.locator("[data-testid=notification]", has_text="陈静 催办：提交十月销售回款明细")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("今天下班前务必提交")
    notice.get_by_role("link").click()
    expect(other).to_have_url(re.compile(rf"/work/tasks/{overdue.pk}/$"))
    expect(other.locator("[data-testid=complete]")).to_be_visible()
    context.close()


def test_the_inbox_works_at_phone_width(demo_work, browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 375, "height": 740})
    page = context.new_page()
    sign_in(page, "huanglei")
    page.goto("/work/")
    rows = page.locator("[data-testid=task-row]")
    expect(rows).to_have_count(3)
    # Due dates stay visible on a phone; bulk acknowledgement works.
    expect(rows.first.locator("td.due")).to_be_visible()
    for box in page.locator("input[name=task]").all():
        box.check()
    page.click("[data-testid=bulk-complete]")
    expect(page.locator(".messages")).to_contain_text("已办结 3 项任务")
    expect(page.locator("[data-testid=task-row]")).to_have_count(0)
    context.close()
