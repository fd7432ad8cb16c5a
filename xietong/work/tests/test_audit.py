import pytest
from django.db import connection

from xietong.org import actions
from xietong.work.audit import audit_verify, event_record
from xietong.work.models import Event


@pytest.fixture
def chain(company):
    for name in ("销售一部", "销售二部", "销售三部"):
        actions.department_update(actor=company.admin, department=company.sales, changes={"name": name})
    return Event.objects.filter(subject_type="org.department", subject_id=str(company.sales.pk)).order_by("seq")


def test_an_untouched_trail_verifies(chain):
    assert chain.count() >= 4
    assert list(audit_verify()) == []


def test_an_edited_event_is_caught(chain):
    victim = chain[1]
    Event.objects.filter(pk=victim.pk).update(after_json='{"name":"改过"}')
    (broken,) = list(audit_verify())
    assert (broken.subject_id, broken.seq, broken.reason) == (victim.subject_id, victim.seq, "content was edited")


def test_a_deleted_event_is_caught(chain):
    victim = chain[1]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM work_event WHERE id = %s", [victim.pk])
    (broken,) = list(audit_verify())
    assert broken.seq == victim.seq + 1 and "missing" in broken.reason


def test_a_rewritten_hash_is_caught_at_the_next_link(chain):
    victim = chain[1]
    Event.objects.filter(pk=victim.pk).update(after_json='{"name":"改过"}', hash="0" * 64)
    (broken,) = list(audit_verify())
    assert broken.seq == victim.seq


def test_two_events_cannot_hold_the_same_position_in_a_chain(company):
    from django.db import IntegrityError, transaction

    first = event_record(actor=company.admin, verb="x.test", subject=("test.thing", "1"))
    # What a second writer racing for the same position would insert: the
    # unique (subject, seq) constraint makes the database refuse the fork.
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.create(at=first.at, verb="x.race", subject_type="test.thing", subject_id="1", seq=1,
                             prev_hash="", hash="f" * 64)
    second = event_record(actor=company.admin, verb="x.test", subject=("test.thing", "1"))
    assert (second.seq, second.prev_hash) == (2, first.hash)
