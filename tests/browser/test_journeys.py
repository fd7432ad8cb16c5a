import re

import pytest
from playwright.sync_api import expect

from .conftest import sign_in

pytestmark = pytest.mark.browser


def test_a_head_signs_in_in_chinese_and_sees_their_home(demo, page):
    sign_in(page, "zhangwei")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("h1")).to_contain_text("欢迎，张伟")
    expect(page.get_by_role("link", name="技术部").first).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    # The organization chart is drawn by ECharts served from our own static files.
    expect(page.locator("#org-chart[data-ready='1'] svg")).to_be_visible()
    expect(page.locator("#org-chart")).to_contain_text("技术部")


def test_switching_to_english(demo, page):
    sign_in(page, "chenjing")
    page.click("[data-lang=en]")
    expect(page.locator("h1")).to_contain_text("Welcome, 陈静")
    expect(page.get_by_role("heading", name="My departments")).to_be_visible()
    expect(page.locator("#org-chart")).to_contain_text("Sales")
    page.goto("/org/departments/")
    expect(page.get_by_role("heading", name="Departments")).to_be_visible()


def test_a_wrong_password_is_refused_with_a_message(demo, page):
    sign_in(page, "zhangwei", "wrong-password")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("[role=alert]")).to_be_visible()


def test_an_outsider_is_refused(demo, page):
    sign_in(page, "outsider")
    expect(page.locator("[data-testid=refused]")).to_be_visible()
    response = page.goto("/org/people/")
    assert response is not None and response.status == 403


def test_a_signed_out_visitor_is_sent_to_sign_in(demo, page):
    page.goto("/org/departments/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/org/departments/"))


def test_phone_width_menu(demo, browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, "liuyang")
    nav = page.locator("nav.mainnav")
    expect(nav).to_be_hidden()
    page.click(".nav-toggle-label")
    expect(nav).to_be_visible()
    nav.get_by_role("link", name="人员").click()
    expect(page.locator("[data-testid=people]")).to_contain_text("刘洋")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    context.close()


def test_hr_imports_a_bad_file_and_sees_each_bad_row(demo, page, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("账号,姓名,主部门编码\nok1,好人,sales\n,无账号,sales\nbad2,坏部门,nowhere\n", encoding="utf-8")
    sign_in(page, "dengli")
    page.goto("/org/import/")
    page.set_input_files("input[type=file]", str(path))
    page.click("[data-testid=import-submit]")
    # The import is queued for a background worker; the page says so and keeps looking.
    expect(page.locator("[data-testid=import-job]")).to_have_attribute("data-state", "queued")
    from xietong.org.importer import import_job_run
    from xietong.org.models import ImportJob, Person

    import_job_run(ImportJob.objects.get().pk)  # what `xietong worker` does
    errors = page.locator("[data-testid=import-errors] tbody tr")
    expect(errors).to_have_count(2)  # the page polled and shows the report

    assert not Person.objects.filter(username="ok1").exists()
