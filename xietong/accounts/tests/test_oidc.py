"""OIDC sign-on (off by default) matches claims to existing people only."""

import pytest

from xietong.org.actions import person_deactivate


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


def test_sso_is_off_by_default():
    from xietong import settings as product

    assert product.OIDC_ENABLED is False
    assert "xietong.accounts.oidc.XietongOIDCBackend" not in product.AUTHENTICATION_BACKENDS


def test_claims_match_by_username_or_email(company, backend):
    assert list(backend.filter_users_by_claims({"preferred_username": "LiuYang"})) == [company.employee]
    assert list(backend.filter_users_by_claims({"email": "zhengkai@example.com"})) == [company.engineer]
    assert list(backend.filter_users_by_claims({"sub": "x"})) == []


def test_a_deactivated_person_cannot_sign_in_by_sso(company, backend):
    person_deactivate(actor=company.hr, person=company.employee)
    assert list(backend.filter_users_by_claims({"preferred_username": "liuyang"})) == []


def test_the_login_page_offers_sso_only_when_enabled(db, client, settings):
    assert b"SSO" not in client.get("/accounts/login/").content
