"""OIDC sign-on (off by default): an account is bound to (issuer, subject),
linked only by a verified e-mail, never for an administrator."""

import pytest
from django.core.exceptions import SuspiciousOperation

from xietong.accounts.actions import sso_sign_in
from xietong.accounts.models import OidcIdentity
from xietong.audit.models import Event
from xietong.org.actions import person_deactivate

ISSUER = "https://sso.example.com"


@pytest.fixture
def backend(settings):
    settings.OIDC_RP_CLIENT_ID = "xietong"
    settings.OIDC_RP_CLIENT_SECRET = "secret"  # noqa: S105
    settings.OIDC_RP_SIGN_ALGO = "HS256"
    settings.OIDC_OP_TOKEN_ENDPOINT = "http://127.0.0.1:9/token"
    settings.OIDC_OP_USER_ENDPOINT = "http://127.0.0.1:9/userinfo"
    settings.OIDC_CREATE_USER = False
    from xietong.accounts.oidc import XietongOIDCBackend

    return XietongOIDCBackend()


def sign_in(backend, monkeypatch, *, sub: str, userinfo: dict, iss: str = ISSUER):
    """The backend's own path from a verified ID token: only the provider's
    user-info call (an HTTP request to the provider) is answered here."""
    monkeypatch.setattr(backend, "get_userinfo", lambda access_token, id_token, payload: userinfo)
    return backend.get_or_create_user("access", "id", {"iss": iss, "sub": sub})


def test_sso_is_off_by_default():
    from xietong import settings as product

    assert product.OIDC_ENABLED is False
    assert "xietong.accounts.oidc.XietongOIDCBackend" not in product.AUTHENTICATION_BACKENDS


def test_a_chosen_username_signs_nobody_in(company, backend, monkeypatch):
    """The finding: {"preferred_username": "Admin"} signed in as the superuser."""
    for claims in ({"sub": "a1", "preferred_username": "Admin"}, {"sub": "a1", "preferred_username": "root"},
                   {"sub": "a1", "preferred_username": "liuyang"}):
        assert sign_in(backend, monkeypatch, sub="a1", userinfo=claims) is None
    assert not OidcIdentity.objects.exists()


def test_an_unverified_email_signs_nobody_in(company, backend, monkeypatch):
    claims = {"sub": "u1", "email": "liuyang@example.com"}
    assert sign_in(backend, monkeypatch, sub="u1", userinfo=claims) is None
    assert sign_in(backend, monkeypatch, sub="u1", userinfo={**claims, "email_verified": "true"}) is None
    assert Event.objects.filter(verb="account.sso_refused").count() == 2


def test_a_verified_email_links_once_then_the_subject_signs_in(company, backend, monkeypatch):
    claims = {"sub": "u1", "email": "LiuYang@example.com", "email_verified": True}
    assert sign_in(backend, monkeypatch, sub="u1", userinfo=claims) == company.employee
    assert OidcIdentity.objects.get().person == company.employee
    # The binding, not the e-mail, signs in from now on …
    assert sign_in(backend, monkeypatch, sub="u1", userinfo={"sub": "u1"}) == company.employee
    # … and another subject of the provider claiming the same e-mail takes nothing over.
    assert sign_in(backend, monkeypatch, sub="u2", userinfo={**claims, "sub": "u2"}) is None


def test_an_administrator_is_never_linked_automatically(company, backend, monkeypatch):
    claims = {"sub": "x9", "email": "sysadmin@example.com", "email_verified": True}
    assert sign_in(backend, monkeypatch, sub="x9", userinfo=claims) is None
    assert not OidcIdentity.objects.exists()


def test_the_user_info_must_name_the_id_tokens_subject(company, backend, monkeypatch):
    with pytest.raises(SuspiciousOperation):
        sign_in(backend, monkeypatch, sub="u1", userinfo={"sub": "someone-else", "email_verified": True,
                                                          "email": "liuyang@example.com"})


def test_a_deactivated_person_cannot_sign_in_by_sso(company):
    sso_sign_in(issuer=ISSUER, subject="u1", claims={"email": "liuyang@example.com", "email_verified": True})
    person_deactivate(actor=company.hr, person=company.employee)
    assert sso_sign_in(issuer=ISSUER, subject="u1", claims={}) is None


def test_the_login_page_offers_sso_only_when_enabled(db, client, settings):
    assert b"SSO" not in client.get("/accounts/login/").content
