"""The test base: the personas' company and the working calendar are built
once per test database (each xdist worker has its own) and committed; each
test then runs inside a transaction that is rolled back, as Django's
`TestCase.setUpTestData` does, so building them is not paid per test.

Transactional tests (`transactional_db`, `live_server`: real workers,
servers, browsers) empty the database when they end, as Django's
`TransactionTestCase` does; pytest-django runs them after the others. The
first one empties the database before it starts, and each builds the
company and the calendar again if it asks for them.
"""

from dataclasses import fields

import pytest
from django.db.models import Model

from xietong.testing import Company, build_company

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_hashing(settings, tmp_path, monkeypatch):
    # Argon2 is the product's hasher; tests use MD5 so that personas are cheap.
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.LANGUAGE_CODE = "en"
    # Queued jobs are stored, not run: tests call the sweep and the outbox
    # sender directly, or start a real worker when that is what they test.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
    # Each test anchors its audit trail in a folder of its own (and so does a worker it starts):
    # test databases are rolled back or recreated, and their seals must not meet another test's.
    anchors = str(tmp_path / "audit-anchors")
    settings.XIETONG_AUDIT_ANCHOR_DIR = anchors
    monkeypatch.setenv("XIETONG_AUDIT_ANCHOR_DIR", anchors)


class Baseline:
    """What is committed in this worker's test database: the company's
    primary keys, or None once a transactional test has emptied it."""

    company: dict[str, tuple[type[Model], int]] | None = None


def _keys(company: Company) -> dict[str, tuple[type[Model], int]]:
    return {f.name: (type(getattr(company, f.name)), getattr(company, f.name).pk) for f in fields(Company)}


def _load(keys: dict[str, tuple[type[Model], int]]) -> Company | None:
    """Fresh instances of the committed personas (two queries), or None if
    they are not there."""
    by_model: dict[type[Model], list[int]] = {}
    for model, pk in keys.values():
        by_model.setdefault(model, []).append(pk)
    found = {model: model._default_manager.in_bulk(pks) for model, pks in by_model.items()}
    if any(len(found[model]) != len(pks) for model, pks in by_model.items()):
        return None
    return Company(**{name: found[model][pk] for name, (model, pk) in keys.items()})  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.test import override_settings

    from xietong.policy.actions import calendar_seed_from_library

    with django_db_blocker.unblock(), override_settings(
            PASSWORD_HASHERS=FAST_HASHERS, XIETONG_AUDIT_ANCHOR_DIR=str(tmp_path_factory.mktemp("baseline-anchors"))):
        Baseline.company = _keys(build_company())
        calendar_seed_from_library()


def _transactional(request) -> bool:
    names = request.fixturenames
    return "transactional_db" in names or "live_server" in names or any(
        m.kwargs.get("transaction") for m in request.node.iter_markers("django_db"))


@pytest.fixture(autouse=True)
def _empty_before_the_first_transactional_test(request):
    if not _transactional(request) or Baseline.company is None:
        yield
        return
    request.getfixturevalue("transactional_db")
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    Baseline.company = None
    yield


@pytest.fixture
def company(db) -> Company:
    if Baseline.company is not None:
        loaded = _load(Baseline.company)
        if loaded is not None:
            return loaded
    return build_company()  # a transactional test: the database was emptied


@pytest.fixture
def calendar(db):
    from xietong.policy.models import CalendarDay

    if not CalendarDay.objects.exists():
        from xietong.policy.actions import calendar_seed_from_library

        calendar_seed_from_library()


@pytest.fixture
def no_calendar(db):
    """A company whose working calendar has not been entered yet."""
    from xietong.policy.models import CalendarDay, CalendarYear

    CalendarDay.objects.all().delete()
    CalendarYear.objects.all().delete()


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
