"""APR in a real browser: purchases by amount, a return with resubmit, 加签,
a withdrawal — each person in their own browser session."""

import pytest
from playwright.sync_api import expect

from .conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def flows(demo):
    from xietong.approvals.builtin import builtin_install

    builtin_install()


@pytest.fixture
def session(browser, live_server):
    contexts = []

    def open_as(username: str):
        context = browser.new_context(base_url=live_server.url, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, username)
        return page

    yield open_as
    for context in contexts:
        context.close()


def apply_purchase(page, amount: str, item: str = "充电桩样机") -> str:
    page.goto("/approvals/")
    page.click("[data-testid=new-approval]")
    page.click("[data-testid=apply-purchase]")
    page.fill("#id_f_item", item)
    page.select_option("#id_f_category", "production")
    page.fill("#id_f_amount", amount)
    page.fill("#id_f_reason", "客户演示")
    page.click("[data-testid=preview]")
    expect(page.locator("[data-testid=route]")).to_contain_text("陈静")
    page.click("[data-testid=submit]")
    expect(page.locator("[data-testid=approval-state]")).to_have_text("审批中")
    return page.url


def decide(page, url: str, button: str = "approve", comment: str = "") -> None:
    page.goto(url)
    if comment:
        page.fill("[data-testid=decision-comment]", comment)
    page.click(f"[data-testid={button}]")


def test_a_purchase_of_8_wan_goes_head_then_finance_and_ends_approved(flows, session):
    employee = session("liuyang")
    url = apply_purchase(employee, "80000")
    expect(employee.locator("[data-testid=timeline]")).to_contain_text("销售部")
    head = session("chenjing")
    head.goto("/approvals/")
    expect(head.locator("[data-testid=todo-row]", has_text="充电桩样机")).to_be_visible()
    decide(head, url, comment="同意采购")
    expect(head.locator("[data-testid=approval-state]")).to_have_text("审批中")
    finance = session("dongjie")
    decide(finance, url)
    expect(finance.locator("[data-testid=approval-state]")).to_have_text("已通过")
    employee.goto(url)
    expect(employee.locator("[data-testid=approval-state]")).to_have_text("已通过")
    expect(employee.locator("[data-testid=timeline]")).to_contain_text("同意采购")
    assert "CEO" not in employee.locator("[data-testid=timeline]").inner_text()


def test_a_purchase_of_60_wan_reaches_the_ceo(flows, session):
    url = apply_purchase(session("liuyang"), "600000", item="产线设备")
    decide(session("chenjing"), url)
    decide(session("dongjie"), url)
    ceo = session("wangjianguo")
    ceo.goto("/approvals/")
    expect(ceo.locator("[data-testid=todo-row]", has_text="产线设备")).to_be_visible()
    decide(ceo, url)
    expect(ceo.locator("[data-testid=approval-state]")).to_have_text("已通过")


def test_a_return_then_resubmit(flows, session):
    employee = session("liuyang")
    url = apply_purchase(employee, "80000", item="测试仪")
    head = session("chenjing")
    head.goto(url)
    head.select_option("[data-testid=return-to]", "applicant")
    head.fill("[data-testid=decision-comment]", "请补充供应商")
    head.click("[data-testid=return]")
    expect(head.locator("[data-testid=approval-state]")).to_have_text("已退回申请人")
    employee.goto(url)
    employee.click("[data-testid=resubmit]")
    employee.fill("#id_f_supplier", "华东电气")
    employee.fill("#id_f_amount", "30000")
    employee.click("[data-testid=submit]")
    expect(employee.locator("[data-testid=approval-state]")).to_have_text("审批中")
    decide(head, url)
    # 3 万: the head alone now.
    expect(head.locator("[data-testid=approval-state]")).to_have_text("已通过")
    expect(head.locator("[data-testid=value-supplier]")).to_have_text("华东电气")


def test_add_a_signer_before_me(flows, session):
    url = apply_purchase(session("liuyang"), "30000", item="开发板")
    head = session("chenjing")
    head.goto(url)
    head.fill("[data-testid=other-person]", "zhangwei")
    head.select_option("[data-testid=add-where]", "before")
    head.click("[data-testid=add-signer]")
    expect(head.locator("[data-testid=timeline]")).to_contain_text("张伟")
    expect(head.locator("[data-testid=my-step]")).to_have_count(0)  # my turn comes after 张伟
    decide(session("zhangwei"), url, comment="技术上可行")
    decide(head, url)
    expect(head.locator("[data-testid=approval-state]")).to_have_text("已通过")


def test_the_applicant_withdraws_before_anyone_approves(flows, session):
    employee = session("liuyang")
    apply_purchase(employee, "80000", item="投影仪")
    employee.click("[data-testid=withdraw]")
    expect(employee.locator("[data-testid=approval-state]")).to_have_text("已撤回")
    head = session("chenjing")
    head.goto("/approvals/")
    expect(head.locator("[data-testid=todo-row]", has_text="投影仪")).to_have_count(0)
