"""Append to and verify the audit trail (KER-4).

    event_record(actor=…, verb="department.create", subject=dept, after={…})

Call it inside the transaction of the change it records. `audit_verify()`
recomputes every chain and reports the first break of each.
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from xietong.errors import Conflict

from .models import Event

Subject = models.Model | tuple[str, str]


def subject_key(subject: Subject) -> tuple[str, str]:
    """A record, or ("<kind>", "<id>") for things that are not rows (a policy key)."""
    if isinstance(subject, tuple):
        return subject
    return subject._meta.label_lower, str(subject.pk)


def _canonical(value: Any) -> Any:
    """JSON round-trip so that what is hashed is exactly what the DB returns."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True))


def _digest(*, prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


def _hashed_fields(event: Event) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "actor": event.actor_id,
        "on_behalf_of": event.on_behalf_of_id,
        "verb": event.verb,
        "subject": [event.subject_type, event.subject_id],
        "seq": event.seq,
        "before": event.before,
        "after": event.after,
        "note": event.note,
    }


def event_record(
    *,
    actor: Any,
    verb: str,
    subject: Subject,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
    on_behalf_of: Any = None,
) -> Event:
    """Append one event to the subject's chain, in the caller's transaction."""
    subject_type, subject_id = subject_key(subject)
    last = (
        Event.objects.filter(subject_type=subject_type, subject_id=subject_id)
        .order_by("-seq")
        .values("seq", "hash")
        .first()
    )
    event = Event(
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        on_behalf_of=on_behalf_of,
        verb=verb,
        subject_type=subject_type,
        subject_id=subject_id,
        seq=(last["seq"] + 1) if last else 1,
        before=_canonical(before) if before is not None else None,
        after=_canonical(after) if after is not None else None,
        note=note,
        prev_hash=last["hash"] if last else "",
    )
    event.hash = _digest(prev_hash=event.prev_hash, fields=_hashed_fields(event))
    try:
        with transaction.atomic():
            event.save(force_insert=True)
    except IntegrityError as exc:
        # Another transaction appended to this subject's chain first.
        from django.utils.translation import gettext_lazy as _

        raise Conflict(_("This record was changed at the same time by someone else. Reload and try again.")) from exc
    return event


@dataclass(frozen=True)
class ChainBreak:
    subject_type: str
    subject_id: str
    seq: int
    reason: str


def audit_verify(*, batch_size: int = 5000) -> Iterator[ChainBreak]:
    """Yield the first break in every subject's chain (edited, deleted, inserted, reordered)."""
    current: tuple[str, str] | None = None
    expected_seq = 1
    prev_hash = ""
    broken = False
    queryset = Event.objects.order_by("subject_type", "subject_id", "seq")
    for event in queryset.iterator(chunk_size=batch_size):
        key = (event.subject_type, event.subject_id)
        if key != current:
            current, expected_seq, prev_hash, broken = key, 1, "", False
        if broken:
            continue
        reason = ""
        if event.seq != expected_seq:
            reason = "missing event before this one" if event.seq > expected_seq else "duplicate position"
        elif event.prev_hash != prev_hash:
            reason = "link to the previous event does not match"
        elif event.hash != _digest(prev_hash=event.prev_hash, fields=_hashed_fields(event)):
            reason = "content was edited"
        if reason:
            broken = True
            yield ChainBreak(event.subject_type, event.subject_id, event.seq, reason)
            continue
        expected_seq, prev_hash = event.seq + 1, event.hash


def history_for(subject: Subject) -> models.QuerySet[Event]:
    subject_type, subject_id = subject_key(subject)
    return Event.objects.filter(subject_type=subject_type, subject_id=subject_id).select_related(
        "actor"
    ).order_by("seq")
