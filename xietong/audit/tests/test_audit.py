import pytest
from django.db import connection

from xietong.audit.models import Event
from xietong.audit.trail import audit_verify, event_record
from xietong.org import actions


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


def test_a_batch_writes_its_events_together_on_the_right_chains(company, django_assert_num_queries):
    from django.db import transaction

    from xietong.audit.trail import NewEvent, events_batch, events_record_many

    before = event_record(actor=company.admin, verb="x.test", subject=("test.a", "1"))
    with transaction.atomic():
        with django_assert_num_queries(2), events_batch():  # the chains' heads, then one INSERT
            a = event_record(actor=company.admin, verb="x.one", subject=("test.a", "1"))
            b = event_record(actor=company.admin, verb="x.new", subject=("test.b", "9"), first=True)
            with events_batch():  # joins the outer batch
                events_record_many([NewEvent(verb="x.two", subject=("test.a", "1")),
                                    NewEvent(verb="x.other", subject=("test.c", "3"))])
            assert a.pk is None  # not written until the batch ends
        assert (a.seq, a.prev_hash, b.seq, b.prev_hash) == (2, before.hash, 1, "")
        assert a.pk is not None and b.pk is not None
    chain = list(Event.objects.filter(subject_type="test.a").order_by("seq").values_list("verb", "seq"))
    assert chain == [("x.test", 1), ("x.one", 2), ("x.two", 3)]
    assert Event.objects.get(subject_type="test.c").seq == 1
    assert list(audit_verify()) == []


def test_a_batch_that_raises_writes_nothing(company):
    from xietong.audit.trail import events_batch

    count = Event.objects.count()
    with pytest.raises(RuntimeError), events_batch():
        event_record(actor=company.admin, verb="x.lost", subject=("test.a", "2"))
        raise RuntimeError("the action failed")
    assert Event.objects.count() == count


# --- seals: what a per-subject chain alone cannot see -------------------------

@pytest.fixture
def sealed(chain, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from xietong.audit.trail import audit_seal

    with django_capture_on_commit_callbacks(execute=True):  # a seal is anchored once it commits
        assert audit_seal(now=timezone.now() + timedelta(hours=1)) >= 1
    assert list(audit_verify()) == []
    return chain


def test_the_newest_event_of_a_chain_deleted_is_caught_by_the_seal(sealed):
    last = sealed.last()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM work_event WHERE id = %s", [last.pk])
    (broken,) = list(audit_verify())
    assert "1 event(s) deleted" in broken.reason and broken.first_id <= last.pk <= broken.last_id


def test_a_whole_chain_deleted_is_caught_by_the_seal(sealed):
    ids = [e.pk for e in sealed]
    with connection.cursor() as cursor:
        for pk in ids:
            cursor.execute("DELETE FROM work_event WHERE id = %s", [pk])
    breaks = list(audit_verify())
    assert breaks and f"{len(ids)} event(s) deleted" in breaks[0].reason


def test_an_inserted_event_is_caught(chain, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from xietong.audit.trail import audit_seal

    # A hole in the ids (a rolled-back transaction leaves one on PostgreSQL).
    hole = event_record(actor=None, verb="x.rolled_back", subject=("test.hole", "1"))
    event_record(actor=None, verb="x.after", subject=("test.after", "1"))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM work_event WHERE id = %s", [hole.pk])
    with django_capture_on_commit_callbacks(execute=True):
        audit_seal(now=timezone.now() + timedelta(hours=1))
    assert list(audit_verify()) == []
    # A forged event, with a self-consistent chain of its own, put into the hole.
    forged = event_record(actor=None, verb="x.forged", subject=("test.forged", "1"))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE work_event SET id = %s WHERE id = %s", [hole.pk, forged.pk])
    (broken,) = list(audit_verify())
    assert "1 event(s) inserted" in broken.reason


def test_two_events_swapped_are_caught(chain):
    a, b = chain[1], chain[2]
    Event.objects.filter(pk=a.pk).update(seq=1000)
    Event.objects.filter(pk=b.pk).update(seq=a.seq)
    Event.objects.filter(pk=a.pk).update(seq=b.seq)
    (broken,) = list(audit_verify())
    assert broken.seq == a.seq and broken.reason in ("link to the previous event does not match",
                                                      "content was edited")


def test_a_seal_edited_is_caught(sealed):
    from xietong.audit.models import Seal

    Seal.objects.filter(seq=1).update(digest="0" * 64)
    seal = Seal.objects.get(seq=1)
    assert sorted(str(b) for b in audit_verify()) == [
        f"seal 1 (events {seal.first_id}..{seal.last_id}): an event in this range was replaced or rewritten",
        "seal 1: differs from its anchor: rewritten in the database"]


def test_two_sealers_at_once_write_one_seal(chain):
    from datetime import timedelta

    from django.utils import timezone

    from xietong.audit.models import Seal
    from xietong.audit.trail import audit_seal

    later = timezone.now() + timedelta(hours=1)
    assert audit_seal(now=later) == 1
    assert audit_seal(now=later) == 0
    assert Seal.objects.count() == 1


def test_the_command_reports_breaks_and_fails(chain, capsys):
    from django.core.management import CommandError, call_command

    call_command("audit", "verify")
    assert "intact" in capsys.readouterr().out
    Event.objects.filter(pk=chain[1].pk).update(note="改")
    with pytest.raises(CommandError):
        call_command("audit", "verify")
    assert f"org.department#{chain[1].subject_id} event {chain[1].seq}: content was edited" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_verify_split_over_processes_finds_the_same_breaks(company):
    from datetime import timedelta

    from django.utils import timezone

    from xietong.audit.parallel import verify_parallel
    from xietong.audit.trail import audit_seal

    for name in ("一", "二", "三"):
        actions.department_update(actor=company.admin, department=company.sales, changes={"name": name})
    victim = Event.objects.filter(subject_type="org.department", subject_id=str(company.sales.pk)).order_by("seq")[1]
    audit_seal(now=timezone.now() + timedelta(hours=1), max_events=5)
    Event.objects.filter(pk=victim.pk).update(note="改")
    newest = Event.objects.filter(subject_type="org.department", subject_id=str(company.sales.pk)).latest("seq")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM work_event WHERE id = %s", [newest.pk])
    single = sorted(str(b) for b in verify_parallel(jobs=1))
    split = sorted(str(b) for b in verify_parallel(jobs=3))
    assert single == split
    assert f"org.department#{company.sales.pk} event {victim.seq}: content was edited" in single
    assert any("1 event(s) deleted" in b for b in single)  # the seals saw the cut chain


def test_before_and_after_are_stored_as_canonical_json(company):
    from datetime import date
    from decimal import Decimal

    event = event_record(actor=company.admin, verb="x.test", subject=("test.json", "1"),
                         after={"b": Decimal("1.50"), "a": date(2026, 11, 23), "名": "值", "mixed": {1: "x", "2": "y"}})
    assert event.after_json == '{"a":"2026-11-23","b":"1.50","mixed":{"1":"x","2":"y"},"名":"值"}'
    assert list(audit_verify()) == []
