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


def test_a_token_notes_its_last_use_once_every_few_minutes(company, django_assert_num_queries):
    token, raw = token_create(actor=company.employee, name="a", expires_at=timezone.now() + timedelta(days=1))
    assert token_authenticate(raw) == company.employee  # the lookup, then the note of its first use
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    with django_assert_num_queries(1):  # used again at once: nothing to write
        assert token_authenticate(raw) == company.employee
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=6))
    assert token_authenticate(raw) == company.employee
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_at > first


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


def _verbs(subject_type: str, subject_id: str) -> list[str]:
    from xietong.audit.models import Event

    return list(Event.objects.filter(subject_type=subject_type, subject_id=subject_id).order_by("seq")
                .values_list("verb", flat=True))


def test_sign_in_sign_out_failures_and_lockouts_are_audit_events(company, client, settings):
    """The finding: none of these were in the audit trail."""
    person = str(company.employee.pk)
    client.post("/accounts/login/", {"username": "liuyang", "password": "wrong"})
    client.post("/accounts/login/", {"username": "liuyang", "password": "persona-password-1"})
    client.post("/accounts/logout/")
    for _i in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "liuyang", "password": "wrong"})
    verbs = [v for v in _verbs("org.person", person) if v.startswith("account.")]
    assert verbs[:3] == ["account.sign_in_failed", "account.sign_in", "account.sign_out"]
    assert verbs.count("account.sign_in_failed") == 1 + settings.AXES_FAILURE_LIMIT
    assert "account.locked_out" in verbs
    # A username nobody has is recorded on its own, with the address it came from.
    client.post("/accounts/login/", {"username": "nobody", "password": "x"}, REMOTE_ADDR="10.1.2.3")
    from xietong.audit.models import Event

    event = Event.objects.get(subject_type="accounts.signin", subject_id="nobody")
    assert event.verb == "account.sign_in_failed" and event.after["ip"] == "10.1.2.3"


def test_a_person_changes_their_own_password(company, client):
    client.force_login(company.employee)
    refused = client.post("/accounts/password/", {"current": "wrong", "new": "a-long-new-pass-42",
                                                  "again": "a-long-new-pass-42"})
    assert "not right" in refused.content.decode()
    weak = client.post("/accounts/password/", {"current": "persona-password-1", "new": "12345678901",
                                               "again": "12345678901"})
    assert weak.status_code == 200 and "numeric" in weak.content.decode()
    done = client.post("/accounts/password/", {"current": "persona-password-1", "new": "a-long-new-pass-42",
                                               "again": "a-long-new-pass-42"})
    assert done.status_code == 302
    company.employee.refresh_from_db()
    assert company.employee.check_password("a-long-new-pass-42")
    assert "account.password_change" in _verbs("org.person", str(company.employee.pk))
    assert client.get("/work/").status_code == 200  # still signed in here


def test_hr_resets_a_password_and_its_owner_must_change_it(company, client):
    from xietong.accounts.actions import token_authenticate, token_create

    _t, raw = token_create(actor=company.employee, name="脚本")
    client.force_login(company.hr)
    page = client.post(f"/accounts/password/reset/{company.employee.pk}/")
    temporary = page.context["temporary"]
    assert len(temporary) == 14 and temporary in page.content.decode()
    assert token_authenticate(raw) is None  # tokens revoked with it
    assert client.post(f"/accounts/password/reset/{company.admin.pk}/").status_code == 403  # not an administrator's
    client.post("/accounts/logout/")
    assert client.post("/accounts/login/", {"username": "liuyang", "password": temporary}).status_code == 302
    assert client.get("/work/").url == "/accounts/password/"  # every page leads to the change first
    assert client.get("/api/v1/tasks").json()["error"]["code"] == "password_change_required"
    client.post("/accounts/password/", {"current": temporary, "new": "my-own-pass-2026", "again": "my-own-pass-2026"})
    assert client.get("/work/").status_code == 200
    assert "account.password_reset" in _verbs("org.person", str(company.employee.pk))


def test_lockout_also_counts_a_username_over_many_addresses(company, client, settings):
    settings.XIETONG_LOGIN_USER_FAILURE_LIMIT = 6
    for n in range(6):  # fewer than the pair limit from each address, more than the username limit in all
        client.post("/accounts/login/", {"username": "liuyang", "password": "wrong"}, REMOTE_ADDR=f"10.0.0.{n}")
    response = client.post("/accounts/login/", {"username": "liuyang", "password": "persona-password-1"},
                           REMOTE_ADDR="10.0.0.99")
    assert response.status_code == 429


def test_behind_trusted_proxies_the_clients_address_is_used(company, client, settings):
    from django.test import RequestFactory

    from xietong.client import client_ip

    request = RequestFactory().get("/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    assert client_ip(request) == "10.9.9.9"  # no proxy trusted: what we see
    settings.XIETONG_TRUSTED_PROXIES = 1
    assert client_ip(request) == "203.0.113.7"  # what our one proxy saw; the client wrote the rest
    settings.XIETONG_TRUSTED_PROXIES = 2
    assert client_ip(request) == "1.2.3.4"
    # Each visitor behind the proxy has its own lockout.
    settings.XIETONG_TRUSTED_PROXIES = 1
    for _i in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "liuyang", "password": "wrong"}, REMOTE_ADDR="10.9.9.9",
                    HTTP_X_FORWARDED_FOR="203.0.113.7")
    other = client.post("/accounts/login/", {"username": "liuyang", "password": "persona-password-1"},
                        REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert other.status_code == 302


def test_a_token_brings_its_persons_roles_departments_and_delegations_in_the_same_statement(
        company, django_assert_num_queries):
    from xietong.org.principal import Principal
    from xietong.work.delegation import delegation_create

    now = timezone.now()
    # The finance head delegates to the engineer: their roles come with the engineer's own.
    delegation_create(actor=company.finance, principal=company.finance, delegate=company.engineer,
                      starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(days=1))
    _token, raw = token_create(actor=company.engineer, name="a")
    token_authenticate(raw)  # notes its first use
    with django_assert_num_queries(1):
        person = token_authenticate(raw)
        assert person is not None
        seeded = Principal.of(person)
        facts = (seeded.role_rows, seeded.memberships, seeded.delegators, seeded.roles, seeded.departments)
    fresh = Principal(company.engineer)  # the same facts read on their own
    assert facts == (fresh.role_rows, fresh.memberships, fresh.delegators, fresh.roles, fresh.departments)
    assert company.finance.pk in seeded.delegators and seeded.memberships
    assert any(row[0] == company.finance.pk for row in seeded.role_rows)
    # The person is the ORM's: its dates are dates on every database.
    assert person.date_joined == company.engineer.date_joined and person.name == company.engineer.name


def test_an_unknown_token_reads_no_one(company):
    assert token_authenticate("xt_" + "x" * 40) is None
