"""Case pages, the public website channel and the API: who gets in, abuse
limits, masking on the page and in the API, reveal logging."""

from xietong.audit.trail import history_for
from xietong.service import actions as a
from xietong.service.models import Case, CaseState

from .test_actions import CUSTOMER, record


def test_internal_pages_are_for_members_and_cases_for_those_involved(company, calendar, client, as_):
    case = record(company, departments=[company.tech])
    assert client.get(f"/service/{case.pk}/").status_code == 302
    assert as_(company.outsider).get("/service/").status_code == 403
    assert as_(company.employee).get(f"/service/{case.pk}/").status_code == 404
    assert as_(company.employee).get("/service/new/").status_code == 403
    assert as_(company.employee).get("/service/summaries/").status_code == 403
    for person in (company.service, company.tech_head, company.engineer, company.ceo, company.auditor):
        assert as_(person).get(f"/service/{case.pk}/").status_code == 200, person.username


def test_the_page_masks_and_the_reveal_is_logged(company, calendar, as_):
    case = record(company, departments=[company.tech])
    page = as_(company.engineer).get(f"/service/{case.pk}/").content.decode()
    assert "13912345678" not in page and "139****5678" in page and "李雷" not in page
    assert 'data-testid="reveal"' not in page  # a member of tech, not the handler
    assert as_(company.engineer).post(f"/service/{case.pk}/reveal/", HTTP_HX_REQUEST="true").status_code == 403
    shown = as_(company.tech_head).post(f"/service/{case.pk}/reveal/", {"reason": "回访"}, HTTP_HX_REQUEST="true")
    assert shown.status_code == 200 and "13912345678" in shown.content.decode()
    assert [e.actor for e in history_for(case) if e.verb == "case.reveal"] == [company.tech_head]


def test_public_form_journey_without_sign_in(company, calendar, client):
    page = client.get("/service/public/")
    assert page.status_code == 200 and 'name="website"' in page.content.decode()
    response = client.post("/service/public/", {**CUSTOMER})
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/service/public/track/{case.tracking_code}/"
    track = client.get(response["Location"]).content.decode()
    assert case.get_state_display() in track and "李*" in track and "13912345678" not in track
    assert client.get("/service/public/track/NOSUCHCODE/").status_code == 404


def test_public_form_refuses_bad_input_and_bots(company, calendar, client):
    bad = client.post("/service/public/", {**CUSTOMER, "customer_phone": "<script>", "title": ""})
    assert bad.status_code == 400 and 'data-testid="error-phone"' in bad.content.decode()
    assert client.post("/service/public/", {**CUSTOMER, "website": "http://spam"}).status_code == 400
    assert not Case.objects.exists()


def test_public_form_rate_limit_answers_429(company, calendar, client):
    for _i in range(5):
        assert client.post("/service/public/", CUSTOMER).status_code == 302
    limited = client.post("/service/public/", CUSTOMER)
    assert limited.status_code == 429 and Case.objects.count() == 5


def test_public_form_keeps_csrf(company, calendar):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/service/public/", CUSTOMER).status_code == 403


def test_survey_page_once(company, calendar, client):
    case = record(company, answer="已解决")
    url = f"/service/public/survey/{case.survey_token}/"
    assert client.post(url, {"rating": "9"}).status_code == 400
    assert "survey-done" in client.post(url, {"rating": "4", "comment": "不错"}).content.decode()
    case.refresh_from_db()
    assert case.survey_rating == 4
    assert "survey-form" not in client.get(url).content.decode()
    assert client.get("/service/public/survey/forged/").status_code == 404


def test_department_returns_and_customer_service_closes_on_the_pages(company, calendar, as_):
    case = a.case_submit_public(data=CUSTOMER, source="192.0.2.1")
    as_(company.service).post(f"/service/{case.pk}/pass/", {"departments": [company.tech.pk], "instructions": "请上门"})
    as_(company.tech_head).post(f"/service/{case.pk}/return/", {"result": "已上门修复"})
    case.refresh_from_db()
    assert case.state == CaseState.CONFIRMING
    as_(company.service).post(f"/service/{case.pk}/confirm/", {"satisfied": "true", "satisfaction": "5"})
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.resolution == "已上门修复"


def test_api_masks_and_reveals(company, calendar, as_):
    created = as_(company.service).post("/api/v1/cases", {**CUSTOMER, "channel": "hotline",
                                                          "departments": [company.tech.pk]},
                                        content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["customer"]["customer_phone"] == "139****5678"
    pk = body["id"]
    assert as_(company.employee).post("/api/v1/cases", {**CUSTOMER, "channel": "hotline"},
                                      content_type="application/json").status_code == 403
    assert as_(company.employee).get(f"/api/v1/cases/{pk}").status_code == 404
    assert as_(company.engineer).post(f"/api/v1/cases/{pk}/reveal", {}, content_type="application/json"
                                      ).status_code == 403
    full = as_(company.tech_head).post(f"/api/v1/cases/{pk}/reveal", {"reason": "回访"},
                                       content_type="application/json")
    assert full.json()["customer_phone"] == "13912345678"
    returned = as_(company.tech_head).post(f"/api/v1/cases/{pk}/return", {"result": "修好了"},
                                           content_type="application/json")
    assert returned.json()["state"] == "confirming"
    assert as_(company.employee).get("/api/v1/cases").json()["items"] == []


def test_a_department_member_lists_only_the_cases_of_their_department(company, calendar, as_):
    ours = record(company, departments=[company.tech])
    theirs = record(company, departments=[company.finance_dept], data={"title": "退款"})
    page = as_(company.engineer).get("/service/").content.decode()
    assert f"/service/{ours.pk}/" in page and f"/service/{theirs.pk}/" not in page
    page = as_(company.finance).get("/service/?box=closed").content.decode()
    assert f"/service/{theirs.pk}/" not in page  # still open
    everything = as_(company.service).get("/service/?box=all").content.decode()
    assert f"/service/{ours.pk}/" in everything and f"/service/{theirs.pk}/" in everything


def test_weekly_summary_page_is_for_leadership_customer_service_and_supervision(company, calendar, as_):
    from django.utils import timezone

    from xietong.policy.calendar import WorkingCalendar

    cal = WorkingCalendar.load(lenient=True)
    summary = a.summary_make(timezone.localdate(), now=timezone.now(), tz=cal.tz)
    assert summary is not None
    url = f"/service/summaries/{summary.pk}/"
    assert as_(company.employee).get(url).status_code == 403
    for person in (company.ceo, company.service, company.auditor):
        assert as_(person).get(url).status_code == 200, person.username


def test_each_verb_has_its_url_and_bad_input_is_refused_by_the_shared_schema(company, calendar, as_):
    case = a.case_submit_public(data=CUSTOMER, source="192.0.2.1")
    as_(company.service).post(f"/service/{case.pk}/flag/", {"important": "on"})
    case.refresh_from_db()
    assert case.important and not case.complaint
    as_(company.service).post(f"/service/{case.pk}/pass/", {"departments": [company.tech.pk]})
    as_(company.tech_head).post(f"/service/{case.pk}/return/", {"result": "已处理"})
    page = as_(company.service).post(f"/service/{case.pk}/confirm/", {"satisfied": "true", "satisfaction": "9"},
                                     follow=True).content.decode()
    case.refresh_from_db()
    assert case.state == CaseState.CONFIRMING  # nothing changed
    assert "Some fields are missing or invalid: satisfaction" in page  # the refused field, by its label
    # The API's operation for the same verb reads the same schema.
    api = as_(company.service).post(f"/api/v1/cases/{case.pk}/confirm", {"satisfied": True, "satisfaction": 9},
                                    content_type="application/json")
    assert api.status_code == 400 and api.json()["error"]["code"] == "validation"
    assert as_(company.service).post(f"/service/{case.pk}/act/", {"action": "solve"}).status_code == 404


def test_passing_to_a_department_that_does_not_exist_is_refused_and_changes_nothing(company, calendar, as_):
    case = a.case_submit_public(data=CUSTOMER, source="192.0.2.1")
    api = as_(company.service).post(f"/api/v1/cases/{case.pk}/pass", {"departments": [company.tech.pk, 999999]},
                                    content_type="application/json")
    assert api.status_code == 400 and api.json()["error"]["code"] == "unknown_department"
    case.refresh_from_db()
    assert case.state == CaseState.NEW and not case.assignments.exists()
