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
