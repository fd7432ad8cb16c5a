"""What an attacker tried in a real browser: script in a department's name
reaching the collaboration map's tooltip (stored XSS)."""

import pytest

from .conftest import sign_in

pytestmark = pytest.mark.browser

PAYLOAD = '<img src=x onerror="window.__xss = (window.__xss || 0) + 1">'


def test_a_department_name_with_markup_is_shown_as_text_in_the_map(demo, browser, live_server):
    from xietong.org.actions import department_update
    from xietong.org.models import Department, Person

    admin = Person.objects.get(username="admin")
    from xietong.requests.actions import request_submit

    sales = Department.objects.get(code="sales")
    request_submit(actor=Person.objects.get(username="liuyang"), to_department=Department.objects.get(code="tech"),
                   title="固件升级支持")
    department_update(actor=admin, department=sales, changes={"name": PAYLOAD})

    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, "wangjianguo")
    page.goto("/requests/map/")
    page.wait_for_selector("[data-testid=collab-map][data-ready='1']")
    # Show the tooltip of every node and every arrow, as hovering would.
    shown = page.evaluate("""() => {
        const chart = echarts.getInstanceByDom(document.getElementById('collab-map'));
        const option = chart.getOption();
        const nodes = option.series[0].data.length, links = option.series[0].links.length;
        for (let i = 0; i < nodes; i++) chart.dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: i});
        for (let i = 0; i < links; i++) chart.dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: i,
                                                             dataType: 'edge'});
        const name = option.series[0].data.findIndex(n => n.name.includes('onerror'));
        chart.dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: name});
        return {nodes, links, name};
    }""")
    assert shown["name"] >= 0 and shown["links"] > 0
    page.wait_for_timeout(300)
    tooltip = page.locator("#collab-map div").filter(has_text="onerror").last
    assert "<img" in tooltip.inner_text()  # the markup is shown as text…
    assert page.evaluate("() => window.__xss || 0") == 0  # …and never ran
    assert page.locator("#collab-map img").count() == 0
    context.close()
