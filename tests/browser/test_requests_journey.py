"""REQ and CS in a real browser: a request across three people in two
departments with a delay notice and a rating; a customer's case from the
public form to a department and back to customer service."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def session(browser, live_server):
    contexts = []

    def open_as(username: str | None):
        context = browser.new_context(base_url=live_server.url, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        if username:
            sign_in(page, username)
        return page

    yield open_as
    for context in contexts:
        context.close()


def working_days(n: int) -> str:
    from django.utils import timezone

    from xietong.policy.calendar import WorkingCalendar

    cal = WorkingCalendar.load(lenient=True)
    return cal.local_date(cal.add_working_days(timezone.now(), n)).isoformat()


def test_request_across_departments_with_a_delay_notice_and_a_rating(demo, session):
    # 刘洋 (销售部) asks 技术部.
    liuyang = session("liuyang")
    liuyang.goto("/requests/")
    liuyang.click("[data-testid=new-request]")
    liuyang.select_option("[data-testid=to]", label="技术部")
    liuyang.fill("[data-testid=title]", "华东物流园充电桩固件升级")
    liuyang.fill("[data-testid=reason]", "40 台充电桩频繁掉线")
    liuyang.fill("[data-testid=requested-date]", working_days(3))
    liuyang.click("[data-testid=submit]")
    expect(liuyang.locator("[data-testid=request-state]")).to_have_attribute("data-state", "submitted")
    url = liuyang.url

    # 马超, the tech liaison, finds it in his inbox and gives it to 郑凯.
    machao = session("machao")
    machao.goto("/work/")
    machao.get_by_text("华东物流园充电桩固件升级").first.click()
    machao.click("[data-testid=open-record]")
    expect(machao).to_have_url(url)
    machao.select_option("[data-testid=owner-select]", label="郑凯")
    machao.click("[data-testid=accept]")
    expect(machao.locator("[data-testid=owner]")).to_have_text("郑凯")

    # 郑凯 cannot make it and says so before the date.
    zhengkai = session("zhengkai")
    zhengkai.goto(url)
    zhengkai.fill("[data-testid=delay-date]", working_days(6))
    zhengkai.fill("[data-testid=delay-reason]", "等待供应商提供新固件")
    zhengkai.click("[data-testid=propose]")
    expect(zhengkai.locator("[data-testid=proposals]")).to_contain_text("等待供应商提供新固件")

    # 刘洋 agrees to the new date.
    liuyang.goto(url)
    liuyang.click("[data-testid=date-accept]")
    expect(liuyang.locator("[data-testid=due]")).to_contain_text(working_days(6))

    # 郑凯 reports progress and completes.
    zhengkai.goto(url)
    zhengkai.fill("[data-testid=update-body]", "新固件已到，开始远程升级")
    zhengkai.click("[data-testid=update]")
    expect(zhengkai.locator("[data-testid=updates]")).to_contain_text("开始远程升级")
    zhengkai.fill("[data-testid=result-input]", "40 台已全部升级到 v2.1，运行稳定")
    zhengkai.click("[data-testid=complete]")
    expect(zhengkai.locator("[data-testid=request-state]")).to_have_attribute("data-state", "completed")

    # 刘洋 rates it, a rating out of range never reaches the server from the page (radio 1–5).
    liuyang.goto(url)
    liuyang.check("[data-testid=rating-5]")
    liuyang.fill("[data-testid=confirm-comment]", "响应及时")
    liuyang.click("[data-testid=confirm]")
    expect(liuyang.locator("[data-testid=request-state]")).to_have_attribute("data-state", "confirmed")
    expect(liuyang.locator("[data-testid=rating]")).to_contain_text("5/5")

    # The map shows the link sales → tech.
    liuyang.goto("/requests/map/")
    expect(liuyang.locator("[data-testid=collab-map]")).to_have_attribute("data-ready", "1")
    expect(liuyang.locator("[data-testid=map-row]").first).to_contain_text("销售部")


def test_customer_case_from_the_public_form_to_a_department_and_closed(demo, session):
    customer = session(None)
    customer.goto("/service/public/")
    customer.fill("[data-testid=case-title]", "充电桩扫码无反应")
    customer.fill("[data-testid=case-description]", "南山科技园站 3 号桩扫码后没有反应")
    customer.fill("[data-testid=customer-name]", "李雷")
    customer.fill("[data-testid=customer-phone]", "abc")
    customer.click("[data-testid=public-submit]")
    expect(customer.locator("[data-testid=error-phone]")).to_be_visible()
    customer.fill("[data-testid=customer-phone]", "13912345678")
    customer.fill("[data-testid=plate]", "粤B12345")
    customer.click("[data-testid=public-submit]")
    expect(customer.locator("[data-testid=public-state]")).to_have_attribute("data-state", "new")
    track = customer.url
    assert re.search(r"/service/public/track/[A-Z0-9]{10}/$", track)

    # Customer service (谢晨) passes it to 运维部.
    agent = session("xiechen")
    agent.goto("/service/?box=new")
    agent.get_by_text("充电桩扫码无反应").first.click()
    case_url = agent.url
    expect(agent.locator("[data-testid=customer-customer_phone]")).to_have_text("139****5678")
    agent.click("[data-testid=reveal]")
    expect(agent.locator("[data-testid=customer-customer_phone]")).to_have_text("13912345678")
    agent.check("[data-testid=pass-ops]")
    agent.fill("[data-testid=pass-instructions]", "请安排工程师上门")
    agent.click("[data-testid=pass]")
    expect(agent.locator("[data-testid=case-state]")).to_have_attribute("data-state", "with_departments")

    # 运维部's liaison (唐亮) answers; he sees the customer masked.
    ops = session("tangliang")
    ops.goto(case_url)
    expect(ops.locator("[data-testid=customer-customer_name]")).to_have_text("李*")
    ops.fill("[data-testid=case-result]", "工程师已上门更换扫码模块")
    ops.click("[data-testid=case-return]")
    expect(ops.locator("[data-testid=case-state]")).to_have_attribute("data-state", "confirming")

    # Customer service confirms with the customer and closes.
    agent.goto(case_url)
    agent.select_option("[data-testid=satisfaction-select]", "5")
    agent.click("[data-testid=case-satisfied]")
    expect(agent.locator("[data-testid=case-state]")).to_have_attribute("data-state", "closed")

    # The customer sees the answer and the survey link.
    customer.goto(track)
    expect(customer.locator("[data-testid=public-answer]")).to_contain_text("更换扫码模块")
    customer.click("[data-testid=public-survey-link]")
    customer.check("[data-testid=survey-4]")
    customer.click("[data-testid=survey-submit]")
    expect(customer.locator("[data-testid=survey-done]")).to_be_visible()
