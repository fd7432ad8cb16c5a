import pytest

from xietong.testing import Company, build_company


@pytest.fixture(autouse=True)
def _fast_hashing(settings, tmp_path, monkeypatch):
    # Argon2 is the product's hasher; tests use MD5 so that personas are cheap.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LANGUAGE_CODE = "en"
    # Queued jobs are stored, not run: tests call the sweep and the outbox
    # sender directly, or start a real worker when that is what they test.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
    # Each test anchors its audit trail in a folder of its own (and so does a worker it starts):
    # test databases are rolled back or recreated, and their seals must not meet another test's.
    anchors = str(tmp_path / "audit-anchors")
    settings.XIETONG_AUDIT_ANCHOR_DIR = anchors
    monkeypatch.setenv("XIETONG_AUDIT_ANCHOR_DIR", anchors)


@pytest.fixture
def company(db) -> Company:
    return build_company()


@pytest.fixture
def calendar(db):
    from xietong.policy.actions import calendar_seed_from_library

    calendar_seed_from_library()


def login(client, person):
    client.force_login(person)
    return client


@pytest.fixture
def as_(client):
    """The test client signed in as a persona: `as_(company.employee).get(url)`."""
    def sign_in(person):
        client.force_login(person)
        return client
    return sign_in
