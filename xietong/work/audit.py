"""Append to and verify the audit trail (KER-4).

    event_record(actor=…, verb="department.create", subject=dept, after={…})

Call it inside the transaction of the change it records. Sweeps that write
many events at once use `events_record_many`. `audit_seal()` seals what has
been appended since the last seal; `audit_verify()` recomputes every chain and
every seal and reports each break with the record it concerns.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong.errors import Conflict

from .models import Event, Seal

Subject = models.Model | tuple[str, str]

# Events are sealed once they are this old, so that a transaction still open
# when the seal is computed cannot commit an event below the seal's last id.
SEAL_MARGIN = timedelta(minutes=10)
SEAL_MAX_EVENTS = 10_000


def subject_key(subject: Subject) -> tuple[str, str]:
    """A record, or ("<kind>", "<id>") for things that are not rows (a policy key)."""
    if isinstance(subject, tuple):
        return subject
    return subject._meta.label_lower, str(subject.pk)


def canonical_json(value: Any) -> str:
    """The stored and hashed form of before/after: sorted keys, no spaces,
    dates and decimals as Django's JSON encoder writes them. What is stored is
    what is hashed, so this only has to be deterministic."""
    if value is None:
        return "null"
    try:
        return json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    except TypeError:
        # Keys of mixed types cannot be sorted as they are: make them strings first.
        plain = json.loads(json.dumps(value, cls=DjangoJSONEncoder))
        return json.dumps(plain, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# json.dumps(value, ensure_ascii=False) for a str, minus the overhead: the C
# encoder that json.dumps itself ends up calling.
_str = getattr(json.encoder, "c_encode_basestring", None) or json.encoder.encode_basestring


def _utc(at: datetime) -> str:
    # The database hands times back in UTC; hash them that way whatever zone they came in.
    return (at if at.utcoffset() == timedelta(0) else at.astimezone(UTC)).isoformat()


def _digest(prev_hash: str, at: datetime, actor: int | None, on_behalf_of: int | None, verb: str,
            subject_type: str, subject_id: str, seq: int, before_json: str, after_json: str, note: str) -> str:
    # The same bytes as json.dumps({...}, sort_keys=True, separators=(",", ":"))
    # of the event's fields, built by hand because this runs once per event
    # when verifying millions.
    payload = (
        f'{{"actor":{"null" if actor is None else actor},"after":{after_json},"at":{_str(_utc(at))},'
        f'"before":{before_json},"note":{_str(note)},'
        f'"on_behalf_of":{"null" if on_behalf_of is None else on_behalf_of},"seq":{seq},'
        f'"subject":[{_str(subject_type)},{_str(subject_id)}],"verb":{_str(verb)}}}'
    )
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


def _seal(event: Event) -> None:
    event.hash = _digest(event.prev_hash, event.at, event.actor_id, event.on_behalf_of_id, event.verb,
                         event.subject_type, event.subject_id, event.seq, event.before_json, event.after_json,
                         event.note)


def _pk(person: Any) -> int | None:
    return getattr(person, "pk", None) if person is not None else None


def event_record(
    *,
    actor: Any,
    verb: str,
    subject: Subject,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
    on_behalf_of: Any = None,
    at: datetime | None = None,
    first: bool = False,
) -> Event:
    """Append one event to the subject's chain, in the caller's transaction.
    `first=True`: the record was created in this transaction, so its chain is
    empty (saves a read; the unique position still guards it)."""
    subject_type, subject_id = subject_key(subject)
    last = None if first else (
        Event.objects.filter(subject_type=subject_type, subject_id=subject_id)
        .order_by("-seq")
        .values("seq", "hash")
        .first()
    )
    event = Event(
        at=at or timezone.now(),
        actor_id=_pk(actor),
        on_behalf_of_id=_pk(on_behalf_of),
        verb=verb,
        subject_type=subject_type,
        subject_id=subject_id,
        seq=(last["seq"] + 1) if last else 1,
        before_json=canonical_json(before),
        after_json=canonical_json(after),
        note=note,
        prev_hash=last["hash"] if last else "",
    )
    _seal(event)
    try:
        # No savepoint: if another writer took this position, the caller's
        # whole change is refused (Conflict rolls its transaction back).
        event.save(force_insert=True)
    except IntegrityError as exc:
        # Another transaction appended to this subject's chain first.
        raise Conflict(_("This record was changed at the same time by someone else. Reload and try again.")) from exc
    return event


@dataclass(frozen=True)
class NewEvent:
    verb: str
    subject: Subject
    actor: Any = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    note: str = ""
    on_behalf_of: Any = None
    first: bool = False  # the record was created in this transaction: its chain is empty


def events_record_many(entries: Iterable[NewEvent], *, at: datetime | None = None) -> int:
    """Append many events at once (the sweeps): one read of the chains' heads,
    then multi-row INSERTs. Same chains, same guarantees as `event_record`."""
    from .fastsql import insert_rows

    at = at or timezone.now()
    items = [(subject_key(e.subject), e) for e in entries]
    heads: dict[tuple[str, str], tuple[int, str]] = {}
    by_type: dict[str, set[str]] = {}
    for (subject_type, subject_id), e in items:
        if not e.first:
            by_type.setdefault(subject_type, set()).add(subject_id)
    for subject_type, ids in by_type.items():
        rows = Event.objects.filter(subject_type=subject_type, subject_id__in=ids).values_list(
            "subject_id", "seq", "hash")
        if connection.vendor == "postgresql":
            # Only each chain's head, read off the (subject, seq) index.
            rows = rows.order_by("subject_id", "-seq").distinct("subject_id")
        for subject_id, seq, hash_ in rows:
            key = (subject_type, subject_id)
            if key not in heads or heads[key][0] < seq:
                heads[key] = (seq, hash_)
    out = []
    for key, e in items:
        seq, prev = heads.get(key, (0, ""))
        actor, behalf = _pk(e.actor), _pk(e.on_behalf_of)
        before, after = canonical_json(e.before), canonical_json(e.after)
        digest = _digest(prev, at, actor, behalf, e.verb, key[0], key[1], seq + 1, before, after, e.note)
        heads[key] = (seq + 1, digest)
        out.append((at, actor, behalf, e.verb, key[0], key[1], seq + 1, before, after, e.note, prev, digest))
    try:
        with transaction.atomic():
            insert_rows(Event, ["at", "actor", "on_behalf_of", "verb", "subject_type", "subject_id", "seq",
                                "before_json", "after_json", "note", "prev_hash", "hash"], out)
    except IntegrityError as exc:
        raise Conflict(_("This record was changed at the same time by someone else. Reload and try again.")) from exc
    return len(out)


# --- seals ---------------------------------------------------------------

def _seal_digest(prev_digest: str, rows: Iterable[tuple[int, str]]) -> tuple[str, int]:
    h = hashlib.sha256(prev_digest.encode())
    count = 0
    for pk, hash_ in rows:
        h.update(f"\n{pk}:{hash_}".encode())
        count += 1
    return h.hexdigest(), count


def audit_seal(*, now: datetime | None = None, max_events: int = SEAL_MAX_EVENTS) -> int:
    """Seal the events appended since the last seal that are older than
    SEAL_MARGIN. Safe with several workers: the unique seal number lets one
    win; the loser stops. Returns how many seals were written."""
    cutoff = (now or timezone.now()) - SEAL_MARGIN
    written = 0
    while True:
        last = Seal.objects.order_by("-seq").first()
        after_id = last.last_id if last else 0
        ids = list(Event.objects.filter(id__gt=after_id, at__lte=cutoff).order_by("id")
                   .values_list("id", flat=True)[:max_events])
        if not ids:
            return written
        rows = Event.objects.filter(id__gt=after_id, id__lte=ids[-1]).order_by("id").values_list("id", "hash")
        prev_digest = last.digest if last else ""
        digest, count = _seal_digest(prev_digest, rows.iterator(chunk_size=5000))
        try:
            with transaction.atomic():
                Seal.objects.create(seq=(last.seq + 1) if last else 1, first_id=ids[0], last_id=ids[-1],
                                    count=count, digest=digest, prev_digest=prev_digest, at=timezone.now())
        except IntegrityError:
            return written  # another worker sealed this range first
        written += 1


# --- verification ----------------------------------------------------------

@dataclass(frozen=True)
class ChainBreak:
    subject_type: str
    subject_id: str
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"{self.subject_type}#{self.subject_id} event {self.seq}: {self.reason}"


_CHAIN_COLUMNS = ("subject_type", "subject_id", "seq", "prev_hash", "hash", "at", "actor_id", "on_behalf_of_id",
                  "verb", "before_json", "after_json", "note")  # constants: safe to put in SQL


def verify_chains(*, batch_size: int = 10_000, part: tuple[int, int] | None = None) -> Iterator[ChainBreak]:
    """The first break in every subject's chain: an edited event, a deleted or
    inserted one, two swapped. `part=(i, n)` checks the i-th of n disjoint
    shares of the subjects (on PostgreSQL), so n processes can share the work."""
    current_type: str | None = None
    current_id: str | None = None
    expected_seq = 1
    prev_hash = ""
    broken = False
    where, params = "", []
    if part is not None and connection.vendor == "postgresql":
        where, params = "WHERE mod(abs(hashtext(subject_id)), %s) = %s", [part[1], part[0]]
    # A raw, server-side cursor: this reads millions of rows, and the ORM's
    # per-row work would cost as much as the hashing.
    sql = f"SELECT {', '.join(_CHAIN_COLUMNS)} FROM work_event {where} ORDER BY subject_type, subject_id, seq"  # noqa: S608
    digest = _digest
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(batch_size):
            for (subject_type, subject_id, seq, stored_prev, stored_hash, at, actor, behalf, verb, before, after,
                 note) in rows:
                if subject_id != current_id or subject_type != current_type:
                    current_type, current_id = subject_type, subject_id
                    expected_seq, prev_hash, broken = 1, "", False
                if broken:
                    continue
                if seq != expected_seq:
                    reason = "missing event before this one" if seq > expected_seq else "duplicate position"
                elif stored_prev != prev_hash:
                    reason = "link to the previous event does not match"
                elif stored_hash != digest(stored_prev, _aware(at), actor, behalf, verb, subject_type, subject_id, seq,
                                           before, after, note):
                    reason = "content was edited"
                else:
                    expected_seq, prev_hash = seq + 1, stored_hash
                    continue
                broken = True
                yield ChainBreak(subject_type, subject_id, seq, reason)


def verify_parallel(*, jobs: int) -> "list[ChainBreak | SealBreak]":
    """Chains and seals, split over `jobs` processes on PostgreSQL."""
    # Inside a transaction, other processes could not see its rows: stay here.
    if jobs <= 1 or connection.vendor != "postgresql" or connection.in_atomic_block:
        return list(audit_verify())
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from . import verify_worker

    # Spawned, not forked: a fresh interpreter owes nothing to this process's
    # threads and connections. A child that fails breaks the pool (an error),
    # it is not silently replaced.
    work = [("chains", i, jobs) for i in range(jobs)] + [("seals", i, jobs) for i in range(jobs)]
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                             initializer=verify_worker.init, initargs=(connection.settings_dict["NAME"],)) as pool:
        parts = list(pool.map(verify_worker.verify_part, work))
    return [b for part in parts for b in part]


def _aware(at: Any) -> datetime:
    # SQLite hands back text or naive UTC through a raw cursor; PostgreSQL an aware datetime.
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


@dataclass(frozen=True)
class SealBreak:
    seal: int
    first_id: int
    last_id: int
    reason: str

    def __str__(self) -> str:
        return f"seal {self.seal} (events {self.first_id}..{self.last_id}): {self.reason}"


def verify_seals(*, part: tuple[int, int] | None = None) -> Iterator[SealBreak]:
    """Every seal against the events now in its id range: catches a deleted
    or inserted event even when a whole chain, or a chain's newest events, went.
    Each seal stands alone (it stores the digest it chains from), so
    `part=(i, n)` checks every n-th seal and n processes can share the work."""
    seals = list(Seal.objects.order_by("seq"))
    for n, seal in enumerate(seals):
        prev = seals[n - 1] if n else None
        if part is not None and n % part[1] != part[0]:
            continue
        after_id = prev.last_id if prev else 0
        if seal.prev_digest != (prev.digest if prev else "") or (prev and seal.seq != prev.seq + 1):
            yield SealBreak(seal.seq, seal.first_id, seal.last_id, "seal chain broken: a seal was edited or removed")
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, hash FROM work_event WHERE id > %s AND id <= %s ORDER BY id",
                           [after_id, seal.last_id])
            digest, count = _seal_digest(seal.prev_digest, cursor.fetchall())
        if digest != seal.digest:
            if count < seal.count:
                reason = f"{seal.count - count} event(s) deleted from this range"
            elif count > seal.count:
                reason = f"{count - seal.count} event(s) inserted into this range"
            else:
                reason = "an event in this range was replaced or rewritten"
            yield SealBreak(seal.seq, seal.first_id, seal.last_id, reason)


def audit_verify() -> Iterator[ChainBreak | SealBreak]:
    yield from verify_chains()
    yield from verify_seals()


def history_for(subject: Subject) -> models.QuerySet[Event]:
    subject_type, subject_id = subject_key(subject)
    return Event.objects.filter(subject_type=subject_type, subject_id=subject_id).select_related(
        "actor", "on_behalf_of").order_by("seq")
