"""Request, duty-list and map pages and the API: who gets in, who does not,
and the round trip of a form."""

from io import BytesIO

from openpyxl import load_workbook

from xietong.audit.models import Event
from xietong.audit.trail import history_for
from xietong.duties.actions import duty_save
from xietong.requests import actions as a
from xietong.requests.models import Request, RequestState

from .conftest import ask, workday


def test_pages_need_a_member(collab, client, as_):
    r = ask(collab)
    for url in ("/requests/", f"/requests/{r.pk}/", "/requests/map/", "/duties/", "/requests/catalogue/"):
        assert client.get(url).status_code == 302, url  # anonymous: to sign-in
    for url in ("/requests/", f"/requests/{r.pk}/", "/requests/map/", "/duties/"):
        assert as_(collab.outsider).get(url).status_code == 403, url


def test_a_request_is_hidden_from_unrelated_people(collab, as_):
    r = ask(collab)
    assert as_(collab.finance).get(f"/requests/{r.pk}/").status_code == 404
    assert as_(collab.finance).post(f"/requests/{r.pk}/decline/", {"reason": "x"}).status_code == 404
    assert Request.objects.get(pk=r.pk).state == RequestState.SUBMITTED
    for person in (collab.employee, collab.sales_head, collab.rd1_lead, collab.engineer, collab.office,
                   collab.auditor):
        assert as_(person).get(f"/requests/{r.pk}/").status_code == 200, person.username


def test_submit_through_the_form_and_accept_on_the_page(collab, as_):
    response = as_(collab.employee).post("/requests/new/", {
        "to": collab.tech.pk, "title": "联调接口", "reason": "新客户上线", "requested_date": workday(4).isoformat(),
        "priority": "3"})
    r = Request.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/requests/{r.pk}/"
    page = as_(collab.rd1_lead).get(f"/requests/{r.pk}/").content.decode()
    assert 'data-testid="accept-form"' in page and "郑凯" in page
    as_(collab.rd1_lead).post(f"/requests/{r.pk}/accept/", {"owner": collab.engineer.pk})
    r.refresh_from_db()
    assert r.state == RequestState.ACCEPTED and r.owner == collab.engineer


def test_bad_form_input_shows_an_error_and_saves_nothing(collab, as_):
    response = as_(collab.employee).post("/requests/new/", {"to": collab.tech.pk, "title": "",
                                                            "requested_date": "2020-13-45"})
    assert response.status_code == 200 and not Request.objects.exists()
    assert "must be a date (YYYY-MM-DD)" in response.content.decode()


def test_wrong_person_acting_gets_a_message_and_nothing_changes(collab, as_):
    r = ask(collab)
    response = as_(collab.employee).post(f"/requests/{r.pk}/accept/", {"owner": collab.engineer.pk},
                                         follow=True)
    assert "permission" in response.content.decode()
    assert Request.objects.get(pk=r.pk).state == RequestState.SUBMITTED


def test_map_json_table_and_excel(collab, as_):
    r = a.request_accept(actor=collab.rd1_lead, request=ask(collab), owner=collab.engineer)
    a.request_complete(actor=collab.engineer, request=r, result="ok")
    a.request_confirm(actor=collab.employee, request=r, rating=4)
    ask(collab)
    data = as_(collab.finance).get("/requests/map/?format=json").json()
    (link,) = data["links"]
    assert (link["count"], link["open"], link["on_time_rate"], link["rating"]) == (2, 1, 1.0, 4.0)
    page = as_(collab.finance).get("/requests/map/").content.decode()
    assert 'data-testid="map-row"' in page and "collab-map-data" in page
    xlsx = as_(collab.finance).get("/requests/map.xlsx")
    sheet = load_workbook(BytesIO(xlsx.content)).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert rows[0][:4] == ["Sales", "Tech", 2, 1]


def test_map_api_refuses_a_backwards_period(collab, as_):
    response = as_(collab.employee).get("/api/v1/requests/map?start=2026-05-01&end=2026-01-01")
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_period"


def test_api_request_journey(collab, as_):
    api = as_(collab.employee)
    created = api.post("/api/v1/requests", {"to_department": collab.tech.pk, "title": "API 请求",
                                            "requested_date": workday(5).isoformat()}, content_type="application/json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert as_(collab.finance).get(f"/api/v1/requests/{pk}").status_code == 404
    denied = as_(collab.employee).post(f"/api/v1/requests/{pk}/accept", {"owner": collab.engineer.pk},
                                       content_type="application/json")
    assert denied.status_code == 403
    accepted = as_(collab.rd1_lead).post(f"/api/v1/requests/{pk}/accept", {"owner": collab.engineer.pk},
                                         content_type="application/json")
    assert accepted.json()["state"] == "accepted"
    again = as_(collab.rd1_lead).post(f"/api/v1/requests/{pk}/accept", {"owner": collab.engineer.pk},
                                      content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "stale"
    as_(collab.engineer).post(f"/api/v1/requests/{pk}/complete", {"result": "done"},
                              content_type="application/json")
    bad = as_(collab.employee).post(f"/api/v1/requests/{pk}/confirm", {"rating": 9},
                                    content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "validation"
    done = as_(collab.employee).post(f"/api/v1/requests/{pk}/confirm", {"rating": 5},
                                     content_type="application/json")
    assert done.json()["state"] == "confirmed" and done.json()["rating"] == 5
    listed = as_(collab.rd1_lead).get("/api/v1/requests?box=incoming").json()
    assert [item["id"] for item in listed["items"]] == [pk]


def test_duty_lists_edited_by_the_department_only(collab, as_):
    url = f"/duties/{collab.tech.pk}/new/"
    assert as_(collab.employee).get(url).status_code == 403
    assert as_(collab.employee).post(url, {"title": "偷偷加的"}).status_code == 403
    response = as_(collab.tech_head).post(url, {"title": "充电桩固件维护", "content": "固件升级与回滚", "offered": "on",
                                                "delivery_working_days": "3", "partners": [collab.sales.pk]})
    assert response.status_code == 302
    item = collab.tech.duties.get()
    assert item.offered and item.delivery_working_days == 3 and list(item.partners.all()) == [collab.sales]
    bad = as_(collab.tech_head).post(f"/duties/items/{item.pk}/edit/", {"title": "x", "delivery_working_days": "-2"})
    assert bad.status_code == 200 and "between 1 and 10000" in bad.content.decode()
    as_(collab.tech_head).post(f"/duties/items/{item.pk}/edit/", {"title": "充电桩固件维护", "content": "含远程升级",
                                                                  "offered": "on", "delivery_working_days": "2"})
    verbs = [e.verb for e in history_for(item)]
    assert verbs == ["duty.create", "duty.update"]
    update = history_for(item).last()
    assert update is not None and update.before["delivery_working_days"] == 3 and update.after[
        "delivery_working_days"] == 2
    # Everyone reads; the catalogue offers it.
    assert "充电桩固件维护" in as_(collab.finance).get("/requests/catalogue/").content.decode()
    assert as_(collab.finance).get(f"/duties/{collab.tech.pk}/").status_code == 200


def test_asking_for_a_catalogue_service_uses_its_standard_time(collab):
    item = duty_save(actor=collab.tech_head, department=collab.tech, fields={
        "title": "接口联调", "offered": True, "delivery_working_days": 2, "response_working_hours": 2})
    r = a.request_submit(actor=collab.employee, to_department=collab.tech, title="联调", service=item)
    from xietong.policy.calendar import WorkingCalendar

    cal = WorkingCalendar.load(lenient=True)
    assert r.due_at == cal.add_working_days(r.created_at, 2)
    respond = a.open_task(r, a.KIND_RESPOND)
    assert respond is not None and respond.due_at == cal.add_working_hours(r.created_at, 2)
    not_offered = duty_save(actor=collab.tech_head, department=collab.tech, fields={"title": "内部事务"})
    import pytest

    from xietong.errors import DomainError

    with pytest.raises(DomainError):
        a.request_submit(actor=collab.employee, to_department=collab.tech, title="x", service=not_offered)


def test_strangers_cannot_change_a_duty_list_by_page_or_api(collab, as_):
    item = duty_save(actor=collab.tech_head, department=collab.tech, fields={"title": "设备维护"})
    as_(collab.employee).post(f"/duties/items/{item.pk}/retire/")
    as_(collab.employee).post(f"/duties/{collab.tech.pk}/review/")
    item.refresh_from_db()
    assert item.is_active and not item.department.duty_list.reviewed_at
    assert as_(collab.employee).get(f"/duties/items/{item.pk}/edit/").status_code == 403
    api = as_(collab.employee)
    assert api.post(f"/api/v1/departments/{collab.tech.pk}/duties", {"title": "x"},
                    content_type="application/json").status_code == 403
    assert api.put(f"/api/v1/duties/{item.pk}", {"title": "改名"}, content_type="application/json").status_code == 403
    assert api.post(f"/api/v1/departments/{collab.tech.pk}/duties/review").status_code == 403
    item.refresh_from_db()
    assert item.title == "设备维护" and [e.verb for e in history_for(item)] == ["duty.create"]
    assert as_(collab.outsider).get("/requests/map.xlsx").status_code == 403
    assert as_(collab.outsider).get("/api/v1/duties").status_code == 403


def test_the_excel_export_writes_a_formula_like_name_as_text(collab, as_):
    """The finding: a department name starting with = became a live HYPERLINK in the export."""
    import io
    import zipfile

    import openpyxl

    from xietong.org.actions import department_update

    evil = '=HYPERLINK("http://evil.example/","点击查看")'
    department_update(actor=collab.admin, department=collab.sales, changes={"name": evil, "name_en": evil})
    ask(collab)
    body = as_(collab.finance).get("/requests/map.xlsx").content
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value == evil]
    assert cells and all(c.data_type == "s" for c in cells)
    xml = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml  # no formula anywhere…
    assert 't="inlineStr"><is><t>=HYPERLINK' in xml  # …the name is a string cell


def test_a_date_in_a_year_without_a_calendar_is_flagged_on_the_request(collab, as_):
    """The finding: requests due in 2027 were counted Monday–Friday with nothing on the record saying so."""
    from datetime import date

    from xietong.policy.models import CalendarYear

    assert not CalendarYear.objects.filter(year=2027).exists()
    r = a.request_submit(actor=collab.employee, to_department=collab.tech, title="年度维护计划",
                         requested_date=date(2027, 1, 15))
    submitted = Event.objects.get(subject_type="requests.request", subject_id=str(r.pk), verb="request.submit")
    assert submitted.after["calendar_assumed"] == [2027] and "counted Monday–Friday" in submitted.note
    page = as_(collab.employee).get(f"/requests/{r.pk}/").content.decode()
    assert 'data-testid="calendar-assumed"' in page and "2027" in page
    plain = ask(collab)
    assert 'data-testid="calendar-assumed"' not in as_(collab.employee).get(f"/requests/{plain.pk}/").content.decode()
