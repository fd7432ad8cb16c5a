import pytest

from xietong.org.models import Department, Person
from xietong.testing import NAV_QUERIES

PAGES = ["/", "/org/departments/", "/org/people/", "/policy/parameters/", "/policy/calendar/"]


@pytest.mark.parametrize("url", PAGES)
def test_a_signed_out_visitor_is_sent_to_sign_in(company, client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("url", PAGES)
def test_an_outsider_is_refused(company, as_, url):
    response = as_(company.outsider).get(url)
    assert response.status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_an_employee_sees_the_page(company, calendar, as_, url):
    assert as_(company.employee).get(url).status_code == 200


def test_outsider_gets_404_for_a_department_and_a_person(company, as_):
    c = as_(company.outsider)
    assert c.get(f"/org/departments/{company.sales.pk}/").status_code == 403
    assert c.get(f"/org/people/{company.employee.pk}/").status_code == 403


def test_employee_cannot_open_edit_pages(company, as_):
    c = as_(company.employee)
    for url in ("/org/departments/new/", f"/org/departments/{company.sales.pk}/edit/", "/org/people/new/",
                f"/org/people/{company.engineer.pk}/edit/"):
        assert c.get(url).status_code == 403, url


def test_employee_cannot_post_changes(company, as_):
    c = as_(company.employee)
    assert c.post(f"/org/people/{company.engineer.pk}/active/").status_code == 302
    company.engineer.refresh_from_db()
    assert company.engineer.is_active
    c.post(f"/org/people/{company.engineer.pk}/roles/", {"role": "admin"})
    assert not company.engineer.role_assignments.exists()


def test_admin_creates_a_department(company, as_):
    response = as_(company.admin).post("/org/departments/new/", {
        "code": "ops", "name": "运维部", "kind": "department", "parent": company.hq.pk, "sort_order": 0})
    assert response.status_code == 302
    assert Department.objects.get(code="ops").parent == company.hq


def test_a_bad_form_shows_the_error_and_changes_nothing(company, as_):
    response = as_(company.admin).post("/org/departments/new/", {
        "code": "sales", "name": "重复", "kind": "department", "parent": company.hq.pk})
    assert response.status_code == 200 and b"already used" in response.content
    assert Department.objects.filter(code="sales").count() == 1


def test_hr_creates_a_person(company, as_):
    response = as_(company.hr).post("/org/people/new/", {
        "username": "newbie", "name": "新人", "primary_department": company.sales.pk, "position": "助理"})
    assert response.status_code == 302
    assert Person.objects.get(username="newbie").primary_department == company.sales


def test_phone_and_email_are_masked_for_colleagues(company, as_):
    content = as_(company.engineer).get(f"/org/people/{company.employee.pk}/").content.decode()
    assert "138****5678" in content and "13812345678" not in content
    assert "l***@example.com" in content


def test_hr_and_oneself_see_personal_data(company, as_):
    assert "13812345678" in as_(company.hr).get(f"/org/people/{company.employee.pk}/").content.decode()
    assert "13812345678" in as_(company.employee).get(f"/org/people/{company.employee.pk}/").content.decode()


def test_the_department_page_warns_over_cap(company, as_):
    from xietong.org import actions

    actions.department_update(actor=company.admin, department=company.sales, changes={"headcount_cap": 1})
    assert b"headcount-warning" in as_(company.employee).get(f"/org/departments/{company.sales.pk}/").content


def test_the_people_list_is_a_fixed_number_of_queries(company, as_, django_assert_max_num_queries):
    c = as_(company.employee)
    c.get("/org/people/")
    with django_assert_max_num_queries(8 + NAV_QUERIES):
        response = c.get("/org/people/")
    assert response.context["page"].paginator.count == Person.objects.filter(is_active=True).count()


def test_the_departments_list_is_a_fixed_number_of_queries(company, as_, django_assert_max_num_queries):
    from xietong.org import actions

    c = as_(company.employee)
    with django_assert_max_num_queries(7 + NAV_QUERIES) as ctx:
        c.get("/org/departments/")
    small = len(ctx.captured_queries)
    for i in range(10):
        actions.department_create(actor=company.admin, code=f"d{i}", name=f"部门{i}", kind="department",
                                  parent=company.hq)
    with django_assert_max_num_queries(small):
        c.get("/org/departments/")


def test_people_search_as_htmx_returns_the_partial(company, as_):
    response = as_(company.employee).get("/org/people/?q=郑", HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert "郑凯" in content and "刘洋" not in content and "<html" not in content
