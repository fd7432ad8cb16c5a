from datetime import timedelta

from django.utils import timezone

from xietong.accounts.actions import token_authenticate, token_create, token_digest, token_revoke
from xietong.accounts.models import ApiToken


def test_the_product_hashes_passwords_with_argon2():
    # Tests swap in MD5 for speed (conftest); the product's own list leads with Argon2.
    from xietong import settings as product

    assert product.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_tokens_are_stored_hashed(company):
    token, raw = token_create(actor=company.employee, name="报表脚本")
    assert raw.startswith("xt_") and raw not in token.digest
    assert ApiToken.objects.get().digest == token_digest(raw)
    assert token_authenticate(raw) == company.employee


def test_revoked_and_expired_tokens_do_not_authenticate(company):
    token, raw = token_create(actor=company.employee, name="a")
    token_revoke(actor=company.employee, token=token)
    assert token_authenticate(raw) is None
    token2, raw2 = token_create(actor=company.employee, name="b", expires_at=timezone.now() + timedelta(days=1))
    ApiToken.objects.filter(pk=token2.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert token_authenticate(raw2) is None


def test_a_deactivated_person_token_stops_working(company):
    from xietong.org.actions import person_deactivate

    _t, raw = token_create(actor=company.employee, name="a")
    person_deactivate(actor=company.hr, person=company.employee)
    assert token_authenticate(raw) is None


def test_sign_in_works_and_is_throttled(company, client, settings):
    response = client.post("/accounts/login/", {"username": "liuyang", "password": "persona-password-1"})
    assert response.status_code == 302
    client.post("/accounts/logout/")
    for _i in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "liuyang", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "liuyang", "password": "persona-password-1"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_tokens_page_shows_a_new_token_once(company, client):
    client.force_login(company.employee)
    response = client.post("/accounts/tokens/", {"name": "脚本"})
    raw = response.context["raw"]
    assert raw and raw in response.content.decode()
    assert raw not in client.get("/accounts/tokens/").content.decode()


def test_one_cannot_revoke_someone_elses_token(company, client):
    token, raw = token_create(actor=company.employee, name="a")
    client.force_login(company.engineer)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert token_authenticate(raw) == company.employee


def test_signed_out_visitors_cannot_see_tokens(client):
    assert client.get("/accounts/tokens/").status_code == 302


def test_logout_requires_post(company, client):
    client.force_login(company.employee)
    assert client.get("/accounts/logout/").status_code == 405
