"""The audit trail against someone who can write the database (KER-4).

Each forgery below passed `xietong audit verify` before the trail was keyed
and anchored. The attacker writes rows directly, computing every hash the
way anyone without XIETONG_AUDIT_KEY can (plain SHA-256), and recomputing
chains and seals so that they hold together. Transactions really commit
here, so that witnesses and anchors are written as in production.
"""

import hashlib
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from xietong.approvals.actions import approval_approve
from xietong.approvals.builtin import builtin_install
from xietong.approvals.models import FlowTemplate
from xietong.audit import anchors
from xietong.audit import trail as audit
from xietong.audit.models import Event, Seal

pytestmark = pytest.mark.django_db(transaction=True)


def breaks() -> list[str]:
    return sorted(str(b) for b in audit.audit_verify())


def plain(event: Event, prev_hash: str) -> str:
    """The hash an attacker without the key computes."""
    return audit._plain_digest(prev_hash, event.at, event.actor_id, event.on_behalf_of_id, event.verb,
                               event.subject_type, event.subject_id, event.seq, event.before_json, event.after_json,
                               event.note)


def relink(subject_type: str, subject_id: str) -> None:
    """Recompute a chain's links and hashes, as the attacker would after a change."""
    prev = ""
    for event in Event.objects.filter(subject_type=subject_type, subject_id=subject_id).order_by("seq"):
        Event.objects.filter(pk=event.pk).update(prev_hash=prev, hash=plain(event, prev))
        prev = plain(event, prev)


def reseal() -> None:
    """Recompute every seal over the events now present, without the key."""
    prev = ""
    for seal in Seal.objects.order_by("seq"):
        h = hashlib.sha256(prev.encode())
        rows = Event.objects.filter(id__gt=seal.first_id - 1, id__lte=seal.last_id).order_by("id").values_list(
            "id", "hash")
        count = 0
        for pk, hash_ in rows:
            h.update(f"\n{pk}:{hash_}".encode())
            count += 1
        Seal.objects.filter(pk=seal.pk).update(digest=h.hexdigest(), prev_digest=prev, count=count)
        prev = h.hexdigest()


@pytest.fixture
def trail(company, calendar):
    """A ¥600,000 purchase waiting for the CEO, its head and finance steps approved; all sealed."""
    builtin_install()
    from xietong.approvals.actions import approval_submit

    approval = approval_submit(actor=company.employee, template=FlowTemplate.objects.get(key="purchase"),
                               data={"item": "产线设备", "category": "production", "amount": "600000",
                                     "reason": "扩产"})
    for person in (company.sales_head, company.finance):
        step = approval.approvers.get(state="pending", person=person)
        approval_approve(actor=person, approval=approval, approver_id=step.pk)
    assert audit.audit_seal(now=timezone.now() + timedelta(hours=1)) >= 1
    assert breaks() == []
    return approval


def test_a_forged_ceo_approval_is_caught(trail, company):
    head = Event.objects.filter(subject_type="approvals.approval", subject_id=str(trail.pk)).order_by("-seq").first()
    forged = Event(at=timezone.now(), actor_id=company.ceo.pk, verb="approval.approve", subject_type=head.subject_type,
                   subject_id=head.subject_id, seq=head.seq + 1, before_json="null",
                   after_json=json.dumps({"step": "ceo"}, separators=(",", ":")), note="同意", prev_hash=head.hash)
    forged.hash = plain(forged, head.hash)
    forged.save(force_insert=True)
    assert breaks() == [f"approvals.approval#{trail.pk} event {forged.seq}: hashed without the audit key: forged by "
                        "someone without the key, or written before the key was set (then run `xietong audit "
                        "rekey`)"]


def test_a_deleted_unsealed_event_is_caught(trail, company):
    approval_approve(actor=company.ceo, approval=trail, approver_id=trail.approvers.get(state="pending").pk)
    newest = Event.objects.filter(subject_type="approvals.approval", subject_id=str(trail.pk)).latest("seq")
    assert not Seal.objects.filter(last_id__gte=newest.pk).exists()  # not sealed yet
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM work_event WHERE id = %s", [newest.pk])
    found = breaks()
    assert f"event approvals.approval#{trail.pk} #{newest.seq}: deleted after it was committed" in found[0]
    # Sealed later (without it) and the witnesses folded away by the sealer: the break stays on record.
    audit.audit_seal(now=timezone.now() + timedelta(hours=3))
    assert anchors.witness_files() == []
    assert any(f"event approvals.approval#{trail.pk} #{newest.seq}: deleted before it was sealed" in b
               for b in breaks())


def test_a_sealed_event_rewritten_with_its_chain_and_seals_recomputed_is_caught(trail):
    victim = Event.objects.get(subject_type="approvals.approval", subject_id=str(trail.pk), seq=1)
    Event.objects.filter(pk=victim.pk).update(after_json=victim.after_json.replace("600000", "60000"))
    relink(victim.subject_type, victim.subject_id)
    reseal()
    found = breaks()
    assert f"approvals.approval#{trail.pk} event 1: hashed without the audit key" in found[0]
    assert any("differs from its anchor" in b for b in found)
    assert any("an event in this range was replaced or rewritten" in b for b in found)  # the seal's HMAC


def test_a_whole_chain_deleted_with_the_seals_recomputed_is_caught(trail):
    chain = Event.objects.filter(subject_type="approvals.approval", subject_id=str(trail.pk))
    positions = sorted(chain.values_list("seq", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM work_event WHERE subject_type = %s AND subject_id = %s",
                       ["approvals.approval", str(trail.pk)])
    reseal()
    found = breaks()
    # The anchored seal no longer matches, the recomputed one fails its HMAC, and every event's witness is orphaned.
    assert "seal 1: differs from its anchor: rewritten in the database" in found
    assert any("an event in this range was replaced or rewritten" in b for b in found)
    for seq in positions:
        assert any(b.startswith(f"event approvals.approval#{trail.pk} #{seq}: deleted after it was committed")
                   for b in found), seq


def test_with_the_key_but_not_the_anchors_a_rewrite_is_still_caught(trail):
    victim = Event.objects.get(subject_type="approvals.approval", subject_id=str(trail.pk), seq=1)
    Event.objects.filter(pk=victim.pk).update(after_json=victim.after_json.replace("600000", "60000"))
    # The attacker holds the key: chains and seals recomputed with it.
    prev = ""
    for event in Event.objects.filter(subject_type=victim.subject_type, subject_id=victim.subject_id).order_by("seq"):
        digest = audit._digest(prev, event.at, event.actor_id, event.on_behalf_of_id, event.verb, event.subject_type,
                               event.subject_id, event.seq, event.before_json, event.after_json, event.note)
        Event.objects.filter(pk=event.pk).update(prev_hash=prev, hash=digest)
        prev = digest
    prev = ""
    for seal in Seal.objects.order_by("seq"):
        rows = Event.objects.filter(id__gte=seal.first_id, id__lte=seal.last_id).order_by("id").values_list("id",
                                                                                                           "hash")
        digest, count = audit._seal_digest(prev, rows)
        Seal.objects.filter(pk=seal.pk).update(digest=digest, prev_digest=prev, count=count)
        prev = digest
    found = breaks()
    assert found and all("differs from its anchor" in b or "rewritten after it was committed" in b for b in found)


def test_the_command_fails_on_a_forgery(trail, capsys):
    call_command("audit", "verify", "--jobs", "1")
    assert "intact" in capsys.readouterr().out
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM work_event WHERE id = (SELECT max(id) FROM work_event)")
    with pytest.raises(CommandError):
        call_command("audit", "verify", "--jobs", "1")


def test_a_trail_written_before_the_key_is_rekeyed_once(settings):
    from xietong.org import actions
    from xietong.testing import build_company

    key = settings.XIETONG_AUDIT_KEY
    settings.XIETONG_AUDIT_KEY = ""
    company = build_company()
    actions.department_update(actor=company.admin, department=company.sales, changes={"name": "销售中心"})
    assert not audit.audit_needs_rekey()  # no key: nothing to do
    settings.XIETONG_AUDIT_KEY = key
    assert audit.audit_needs_rekey()
    assert any("hashed without the audit key" in b for b in breaks())
    assert audit.audit_rekey() == Event.objects.count()
    assert not audit.audit_needs_rekey()
    assert breaks() == []


def test_a_broken_trail_is_not_rekeyed(settings):
    from xietong.errors import Conflict
    from xietong.org import actions
    from xietong.testing import build_company

    key = settings.XIETONG_AUDIT_KEY
    settings.XIETONG_AUDIT_KEY = ""
    company = build_company()
    actions.department_update(actor=company.admin, department=company.sales, changes={"name": "销售中心"})
    Event.objects.filter(verb="department.update").update(note="改")
    settings.XIETONG_AUDIT_KEY = key
    before = list(Event.objects.values_list("hash", flat=True))
    with pytest.raises(Conflict):
        audit.audit_rekey()
    assert list(Event.objects.values_list("hash", flat=True)) == before
