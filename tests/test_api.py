"""REST API v1: auth, permissions, one error shape."""

import pytest

from xietong.accounts.actions import token_create


@pytest.fixture
def api(client):
    def call(person=None, method="get", path="/me", **kw):
        headers = {}
        if person is not None:
            _t, raw = token_create(actor=person, name="test")
            headers["Authorization"] = f"Bearer {raw}"
        return getattr(client, method)(f"/api/v1{path}", headers=headers, content_type="application/json", **kw)
    return call


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]


def test_no_credentials_is_401_in_the_error_shape(db, api):
    assert_error(api(), 401, "unauthenticated")


def test_a_bad_token_is_401(db, client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer xt_nope"})
    assert_error(response, 401, "unauthenticated")


def test_me_with_a_token(company, api):
    body = api(company.engineer).json()
    assert body["username"] == "zhengkai" and body["is_member"] is True
    assert body["phone"] == "13812345678"
    assert [m["department"]["code"] for m in body["memberships"]] == ["rd1"]


def test_session_auth_works_for_reads(company, client):
    client.force_login(company.employee)
    assert client.get("/api/v1/me").json()["username"] == "liuyang"


def test_session_writes_need_csrf(company):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(company.admin)
    response = c.post("/api/v1/approvals", {"template": "purchase", "data": {}}, content_type="application/json")
    assert response.status_code in (401, 403)


def test_an_outsider_is_refused(company, api):
    assert_error(api(company.outsider, path="/departments"), 403, "forbidden")
    # Refused at the door, before the record is looked up: the same answer whatever the id.
    assert_error(api(company.outsider, path=f"/people/{company.employee.pk}"), 403, "forbidden")
    assert_error(api(company.outsider, path="/policy/parameters"), 403, "forbidden")


def test_departments_and_detail(company, api):
    codes = [d["code"] for d in api(company.employee, path="/departments").json()]
    assert codes[0] == "hq" and codes.index("rd1") == codes.index("tech") + 1
    body = api(company.employee, path=f"/departments/{company.rd1.pk}").json()
    assert body["head"]["username"] == "wuhao" and body["headcount"] == 2


def test_people_are_paginated_and_masked(company, api):
    body = api(company.engineer, path="/people?limit=3&offset=0").json()
    assert body["count"] >= 10 and len(body["items"]) == 3
    others = [p for p in body["items"] if p["username"] != "zhengkai" and p["phone"]]
    assert others and all("****" in p["phone"] for p in others)


def test_people_list_query_count_does_not_grow(company, client, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _t, raw = token_create(actor=company.hr, name="test")
    headers = {"Authorization": f"Bearer {raw}"}
    client.get("/api/v1/me", headers=headers)  # stamps last_used_at once
    with CaptureQueriesContext(connection) as small:
        assert len(client.get("/api/v1/people?limit=2", headers=headers).json()["items"]) == 2
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(client.get("/api/v1/people?limit=50", headers=headers).json()["items"]) > 10


def test_hr_sees_personal_data(company, api):
    assert api(company.hr, path=f"/people/{company.employee.pk}").json()["phone"] == "13812345678"
    assert "****" in api(company.engineer, path=f"/people/{company.employee.pk}").json()["phone"]


def test_policy_parameters(company, api):
    body = api(company.employee, path="/policy/parameters").json()
    keys = {p["key"]: p for p in body}
    assert keys["meeting.minutes_due_hours"]["value"] == 24
    assert keys["handover.notice_working_days"]["spec"] == "HOV-1"


def test_parameters_change_only_through_an_approval(company, api):
    path = "/policy/parameters/meeting.minutes_due_hours"
    assert api(company.admin, method="post", path=path, data={"value": "12", "reason": "提速"}).status_code == 405
    assert api(company.employee, path=path).json()["value"] == 24
    assert_error(api(company.admin, path="/policy/parameters/no.such"), 400, "unknown_parameter")


def test_calendar_add_working_days(company, calendar, api):
    body = api(company.employee, path="/calendar/add-working-days?start=2026-09-30T10:00:00%2B08:00&days=1").json()
    assert body["result"].startswith("2026-10-08T10:00:00")


def test_calendar_working_time_and_day(company, calendar, api):
    body = api(company.employee,
               path="/calendar/working-time?start=2026-02-13T17:00:00%2B08:00&end=2026-02-24T10:00:00%2B08:00").json()
    assert body["working_hours"] == 9.5
    assert api(company.employee, path="/calendar/days/2026-10-10").json()["is_working_day"] is True


def test_calendar_without_data_is_a_clear_error(company, calendar, api):
    response = api(company.employee, path="/calendar/add-working-hours?start=2026-12-31T17:00:00%2B08:00&hours=2")
    assert_error(response, 400, "calendar_not_available")
    assert response.json()["error"]["details"] == {"year": 2027}


def test_openapi_document_and_local_docs(company, client):
    assert client.get("/api/v1/docs").status_code == 302  # signed-out: to sign-in
    client.force_login(company.employee)
    docs = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui" in docs and "cdn" not in docs.lower()
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.1") and "/api/v1/calendar/add-working-days" in schema["paths"]


@pytest.mark.parametrize("path", [
    "/departments", "/departments/{dept}", "/people", "/people/{person}", "/policy/parameters",
    "/policy/parameters/meeting.minutes_due_hours", "/calendar/add-working-days?start=2026-03-03T10:00:00%2B08:00&days=1",
    "/calendar/add-working-hours?start=2026-03-03T10:00:00%2B08:00&hours=1",
    "/calendar/working-time?start=2026-03-03T10:00:00%2B08:00&end=2026-03-04T10:00:00%2B08:00",
    "/calendar/days/2026-03-03",
])
def test_every_read_endpoint_refuses_outsiders_and_anonymous(company, calendar, api, path):
    path = path.format(dept=company.sales.pk, person=company.employee.pk)
    assert api(path=path).status_code == 401
    assert api(company.outsider, path=path).status_code in (403, 404)
    assert api(company.employee, path=path).status_code == 200
