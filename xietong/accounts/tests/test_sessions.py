"""The session engine (accounts/sessions.py) reads sessions by a prepared
statement: a live session loads, an expired or unknown one does not (and
the store starts a new key rather than reusing the one it was given)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from xietong.accounts.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_the_product_uses_it():
    assert settings.SESSION_ENGINE == "xietong.accounts.sessions"


def test_a_live_session_loads_and_an_expired_or_unknown_one_does_not():
    live = SessionStore()
    live["who"] = "张伟"
    live.create()
    assert SessionStore(session_key=live.session_key).load() == {"who": "张伟"}

    Session.objects.filter(session_key=live.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    expired = SessionStore(session_key=live.session_key)
    assert expired.load() == {}
    assert expired.session_key is None  # a new one is made when it is saved, never the stale key

    unknown = SessionStore(session_key="x" * 32)
    assert unknown.load() == {} and unknown.session_key is None


def test_signing_in_and_reading_a_page_goes_through_it(client, company):
    from conftest import login

    login(client, company.employee)
    assert client.get("/work/").status_code == 200
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert SessionStore(session_key=key).load()["_auth_user_id"] == str(company.employee.pk)


def test_the_signed_in_person_is_read_by_the_backend_in_one_statement_and_refused_once_inactive(company):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from xietong.accounts.backends import PersonBackend

    backend = PersonBackend()
    assert "xietong.accounts.backends.PersonBackend" in settings.AUTHENTICATION_BACKENDS
    assert "django.contrib.auth.backends.ModelBackend" not in settings.AUTHENTICATION_BACKENDS
    with CaptureQueriesContext(connection) as queries:
        person = backend.get_user(str(company.employee.pk))
    assert len(queries) == 1
    assert person is not None and person.pk == company.employee.pk and person.name == company.employee.name
    assert backend.get_user("not a number") is None
    assert backend.get_user(str(2**63)) is None  # beyond any id: nobody, not an error
    company.employee.is_active = False
    company.employee.save(update_fields=["is_active"])
    assert backend.get_user(company.employee.pk) is None


def test_a_session_of_an_inactive_person_signs_nobody_in(client, company):
    from conftest import login

    login(client, company.employee)
    assert client.get("/work/").status_code == 200
    company.employee.is_active = False
    company.employee.save(update_fields=["is_active"])
    response = client.get("/work/")
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


def test_the_signed_in_persons_roles_and_departments_come_in_the_same_statement(company):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from xietong.accounts.backends import PersonBackend
    from xietong.org.principal import Principal

    with CaptureQueriesContext(connection) as queries:
        person = PersonBackend().get_user(str(company.sales_head.pk))
        assert person is not None
        seeded = Principal.of(person)
        facts = (seeded.role_rows, seeded.memberships, seeded.delegators, seeded.headed, seeded.is_member)
    assert len(queries) == 1
    fresh = Principal(company.sales_head)  # the same facts read on their own
    assert facts == (fresh.role_rows, fresh.memberships, fresh.delegators, fresh.headed, fresh.is_member)
    assert company.sales.pk in seeded.headed and seeded.is_member
    assert person.date_joined == company.sales_head.date_joined  # converted as the ORM converts it
