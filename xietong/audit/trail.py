"""Append to and verify the audit trail (KER-4).

    event_record(actor=…, verb="department.create", subject=dept, after={…})

Call it inside the transaction of the change it records. Sweeps that write
many events at once use `events_record_many`. `audit_seal()` seals what has
been appended since the last seal; `audit_verify()` recomputes every chain,
every seal and every anchor, and reports each break with what it concerns.

Every hash is an HMAC-SHA256 with XIETONG_AUDIT_KEY, which is not in the
database: without it nobody can compute a hash the trail will accept, so a
forged, edited or re-linked event is caught even by someone who can write
every row. Seals and witnesses are also anchored outside the database
(`anchors`). What each kind of attacker can and cannot do undetected is in
docs/kernel.md, "What the audit trail proves".
"""

import functools
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong.errors import Conflict
from xietong.fastsql import update_rows

from . import anchors
from .models import Event, Seal

Subject = models.Model | tuple[str, str]

# Events are sealed once they are this old, so that a transaction still open
# when the seal is computed cannot commit an event below the seal's last id
# (on PostgreSQL the cut-off also stays before the oldest open transaction).
# Until then a committed event is protected by its witness line.
SEAL_MARGIN = timedelta(minutes=2)
SEAL_MAX_EVENTS = 10_000


def subject_key(subject: Subject) -> tuple[str, str]:
    """A record, or ("<kind>", "<id>") for things that are not rows (a policy key)."""
    if isinstance(subject, tuple):
        return subject
    return subject._meta.label_lower, str(subject.pk)


# One encoder for every event (json.dumps builds a new one per call): the same text.
_CANONICAL = DjangoJSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def canonical_json(value: Any) -> str:
    """The stored and hashed form of before/after: sorted keys, no spaces,
    dates and decimals as Django's JSON encoder writes them. What is stored is
    what is hashed, so this only has to be deterministic."""
    if value is None:
        return "null"
    try:
        return _CANONICAL.encode(value)
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


_MACS: dict[str, Any] = {}


def _mac() -> Any:
    """The keyed hash to copy for each digest, or None without a key."""
    key = getattr(settings, "XIETONG_AUDIT_KEY", "") or ""
    if not key:
        return None
    mac = _MACS.get(key)
    if mac is None:
        mac = _MACS[key] = hmac.new(key.encode(), digestmod=hashlib.sha256)
    return mac


def keyed() -> bool:
    return _mac() is not None


def _payload(prev_hash: str, at: datetime, actor: int | None, on_behalf_of: int | None, verb: str,
             subject_type: str, subject_id: str, seq: int, before_json: str, after_json: str, note: str) -> bytes:
    # The same bytes as json.dumps({...}, sort_keys=True, separators=(",", ":"))
    # of the event's fields, built by hand because this runs once per event
    # when verifying millions.
    payload = (
        f'{{"actor":{"null" if actor is None else actor},"after":{after_json},"at":{_str(_utc(at))},'
        f'"before":{before_json},"note":{_str(note)},'
        f'"on_behalf_of":{"null" if on_behalf_of is None else on_behalf_of},"seq":{seq},'
        f'"subject":[{_str(subject_type)},{_str(subject_id)}],"verb":{_str(verb)}}}'
    )
    return f"{prev_hash}\n{payload}".encode()


def _digest(prev_hash: str, at: datetime, actor: int | None, on_behalf_of: int | None, verb: str,
            subject_type: str, subject_id: str, seq: int, before_json: str, after_json: str, note: str) -> str:
    data = _payload(prev_hash, at, actor, on_behalf_of, verb, subject_type, subject_id, seq, before_json,
                    after_json, note)
    mac = _mac()
    if mac is None:
        return hashlib.sha256(data).hexdigest()
    h = mac.copy()
    h.update(data)
    return h.hexdigest()


def _plain_digest(*fields: Any) -> str:
    """The unkeyed hash: what a trail written before the key was set has,
    and what someone without the key can compute."""
    return hashlib.sha256(_payload(*fields)).hexdigest()


def _seal(event: Event) -> None:
    event.hash = _digest(event.prev_hash, event.at, event.actor_id, event.on_behalf_of_id, event.verb,
                         event.subject_type, event.subject_id, event.seq, event.before_json, event.after_json,
                         event.note)


def _pk(person: Any) -> int | None:
    return getattr(person, "pk", None) if person is not None else None


# The head of one subject's chain, read before every append: a fixed
# statement (the ORM took longer to build it than the database to answer).
_HEAD_SQL = ("SELECT seq, hash FROM work_event WHERE subject_type = %s AND subject_id = %s "
             "ORDER BY seq DESC LIMIT 1")


def _head(subject_type: str, subject_id: str) -> dict[str, Any] | None:
    with connection.cursor() as cursor:
        cursor.execute(_HEAD_SQL, [subject_type, subject_id])
        row = cursor.fetchone()
    return {"seq": row[0], "hash": row[1]} if row else None


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
    empty (saves a read; the unique position still guards it). Inside
    `events_batch`, the event is written when the batch ends, and its
    position, hash and id are set on the object returned here then."""
    subject_type, subject_id = subject_key(subject)
    batch = _BATCH.get()
    if batch is not None:
        event = Event(at=at or timezone.now(), actor_id=_pk(actor), on_behalf_of_id=_pk(on_behalf_of), verb=verb,
                      subject_type=subject_type, subject_id=subject_id, before_json=canonical_json(before),
                      after_json=canonical_json(after), note=note)
        batch.append(_Pending(event.at, event.actor_id, event.on_behalf_of_id, verb, subject_type, subject_id,
                              event.before_json, event.after_json, note, first, event))
        return event
    last = None if first else _head(subject_type, subject_id)
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
    anchors.witness([(event.pk, subject_type, subject_id, event.seq, event.hash)])
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
    then multi-row INSERTs. Same chains, same guarantees as `event_record`.
    Inside `events_batch`, they join the batch."""
    at = at or timezone.now()
    items = []
    for e in entries:
        subject_type, subject_id = subject_key(e.subject)
        items.append(_Pending(at, _pk(e.actor), _pk(e.on_behalf_of), e.verb, subject_type, subject_id,
                              canonical_json(e.before), canonical_json(e.after), e.note, e.first))
    batch = _BATCH.get()
    if batch is not None:
        batch.extend(items)
    else:
        _write(items)
    return len(items)


class _Pending:
    """An event waiting for its position and hash (`_write`); `event`: the
    object `event_record` handed out in a batch, filled in when it is written."""

    __slots__ = ("actor_id", "after_json", "at", "before_json", "event", "first", "note", "on_behalf_of_id",
                 "subject_id", "subject_type", "verb")

    def __init__(self, at: datetime, actor_id: int | None, on_behalf_of_id: int | None, verb: str,
                 subject_type: str, subject_id: str, before_json: str, after_json: str, note: str, first: bool,
                 event: Event | None = None):
        self.at, self.actor_id, self.on_behalf_of_id, self.verb = at, actor_id, on_behalf_of_id, verb
        self.subject_type, self.subject_id, self.before_json, self.after_json = (subject_type, subject_id,
                                                                                before_json, after_json)
        self.note, self.first, self.event = note, first, event


_BATCH: ContextVar[list[_Pending] | None] = ContextVar("xietong_events_batch", default=None)


@contextmanager
def events_batch() -> Iterator[None]:
    """Write the events recorded in the block (`event_record`,
    `events_record_many`) when it ends, all together: one read of their
    chains' heads and one INSERT, instead of a read and an INSERT for each.
    An action wraps its body in it, inside its transaction. A block that
    raises writes nothing (its transaction is rolled back anyway); a batch
    inside a batch joins the outer one."""
    if _BATCH.get() is not None:
        yield
        return
    batch: list[_Pending] = []
    token = _BATCH.set(batch)
    try:
        yield
    finally:
        _BATCH.reset(token)
    _write(batch)


def events_batched[**P, R](action: Callable[P, R]) -> Callable[P, R]:
    """An action whose events are written together when it ends
    (`events_batch` around its body; put it under `transaction.atomic`)."""

    @functools.wraps(action)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with events_batch():
            return action(*args, **kwargs)

    return wrapper


# Each chain's head off the (subject, seq) index, one subject at a time: an OR
# over subjects let the planner take the (type, at) index instead and filter
# every event of the type (20 ms at 100,000 events, against 0.2).
# The subjects as two array parameters: one statement text for any number (prepared
# once), and nothing for the driver to parse, where a VALUES list took it longer
# to convert than PostgreSQL took to run.
_HEADS_PG = ("SELECT v.t, v.i, e.seq, e.hash FROM unnest(%s::varchar[], %s::varchar[]) AS v (t, i) CROSS JOIN LATERAL "
             "(SELECT seq, hash FROM work_event WHERE subject_type = v.t AND subject_id = v.i "
             "ORDER BY seq DESC LIMIT 1) e")
_HEADS_CHUNK = 1000


def _heads(by_type: dict[str, set[str]]) -> Iterator[tuple[str, str, int, str]]:
    """(subject type, id, seq, hash) of the newest event of each chain named
    (on SQLite, every event of them: the caller keeps the newest)."""
    if not by_type:
        return
    if connection.vendor != "postgresql":
        chains = Q()
        for subject_type, ids in by_type.items():
            chains |= Q(subject_type=subject_type, subject_id__in=ids)
        yield from Event.objects.filter(chains).values_list("subject_type", "subject_id", "seq", "hash")
        return
    subjects = [(subject_type, subject_id) for subject_type, ids in by_type.items() for subject_id in sorted(ids)]
    for start in range(0, len(subjects), _HEADS_CHUNK):
        chunk = subjects[start:start + _HEADS_CHUNK]
        with connection.cursor() as cursor:
            cursor.execute(_HEADS_PG, [[t for t, _i in chunk], [i for _t, i in chunk]])
            yield from cursor.fetchall()


def _write(items: list[_Pending]) -> None:
    """Give each event its position and hash after its chain's head (read
    once for all the chains: `first` ones are known empty) and INSERT them,
    in order; a position taken meanwhile is a Conflict for the caller's whole
    change (no savepoint)."""
    from xietong.fastsql import insert_rows

    if not items:
        return
    heads: dict[tuple[str, str], tuple[int, str]] = {}
    by_type: dict[str, set[str]] = {}
    for p in items:
        if not p.first:
            by_type.setdefault(p.subject_type, set()).add(p.subject_id)
    for subject_type, subject_id, seq, hash_ in _heads(by_type):
        key = (subject_type, subject_id)
        if key not in heads or heads[key][0] < seq:
            heads[key] = (seq, hash_)
    out = []
    for p in items:
        key = (p.subject_type, p.subject_id)
        seq, prev = heads.get(key, (0, ""))
        digest = _digest(prev, p.at, p.actor_id, p.on_behalf_of_id, p.verb, p.subject_type, p.subject_id, seq + 1,
                         p.before_json, p.after_json, p.note)
        heads[key] = (seq + 1, digest)
        out.append((p.at, p.actor_id, p.on_behalf_of_id, p.verb, p.subject_type, p.subject_id, seq + 1,
                    p.before_json, p.after_json, p.note, prev, digest))
    # Ids only when someone needs them: the witness lines, the objects a batch handed out.
    need_ids = anchors.anchor_root() is not None or any(p.event is not None for p in items)
    try:
        # No savepoint, as in event_record: a position taken meanwhile refuses the caller's whole change.
        with transaction.atomic(savepoint=False):
            new_ids = insert_rows(Event, ["at", "actor", "on_behalf_of", "verb", "subject_type", "subject_id",
                                          "seq", "before_json", "after_json", "note", "prev_hash", "hash"], out,
                                  returning="id" if need_ids else None)
    except IntegrityError as exc:
        raise Conflict(_("This record was changed at the same time by someone else. Reload and try again.")) from exc
    if not new_ids:
        return
    for p, row, pk in zip(items, out, new_ids, strict=True):
        if p.event is not None:
            p.event.pk, p.event.seq, p.event.prev_hash, p.event.hash = int(pk), row[6], row[10], row[11]
            p.event._state.adding, p.event._state.db = False, connection.alias
    anchors.witness([(int(pk), row[4], row[5], row[6], row[11]) for row, pk in zip(out, new_ids, strict=True)])


# --- seals ---------------------------------------------------------------

def _seal_digest(prev_digest: str, rows: Iterable[tuple[int, str]]) -> tuple[str, int]:
    mac = _mac()
    if mac is None:
        h = hashlib.sha256(prev_digest.encode())
    else:
        h = mac.copy()
        h.update(b"seal\n" + prev_digest.encode())
    count = 0
    for pk, hash_ in rows:
        h.update(f"\n{pk}:{hash_}".encode())
        count += 1
    return h.hexdigest(), count


def _oldest_open_transaction() -> datetime | None:
    """When the oldest other open transaction on this PostgreSQL database
    began: an event it commits later must not fall inside a seal."""
    if connection.vendor != "postgresql":
        return None  # SQLite: one writer at a time, whose ids come after every committed one
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND state <> 'idle'")
        row = cursor.fetchone()
    return row[0] if row else None


def audit_seal(*, now: datetime | None = None, max_events: int = SEAL_MAX_EVENTS) -> int:
    """Seal the events appended since the last seal that are older than
    SEAL_MARGIN (and than the oldest transaction still open). Safe with
    several workers: the unique seal number lets one win; the loser stops.
    Each seal is anchored outside the database once committed; then the
    witness files it makes redundant are folded away. Returns how many
    seals were written."""
    cutoff = (now or timezone.now()) - SEAL_MARGIN
    oldest = _oldest_open_transaction() if now is None else None
    if oldest is not None and oldest - timedelta(seconds=1) < cutoff:
        cutoff = oldest - timedelta(seconds=1)
    written = 0
    while True:
        last = Seal.objects.order_by("-seq").first()
        after_id = last.last_id if last else 0
        ids = list(Event.objects.filter(id__gt=after_id, at__lte=cutoff).order_by("id")
                   .values_list("id", flat=True)[:max_events])
        if not ids:
            witness_compact(now=now)
            return written
        rows = Event.objects.filter(id__gt=after_id, id__lte=ids[-1]).order_by("id").values_list("id", "hash")
        prev_digest = last.digest if last else ""
        digest, count = _seal_digest(prev_digest, rows.iterator(chunk_size=5000))
        seq = (last.seq + 1) if last else 1
        try:
            with transaction.atomic():
                Seal.objects.create(seq=seq, first_id=ids[0], last_id=ids[-1], count=count, digest=digest,
                                    prev_digest=prev_digest, at=timezone.now())
                transaction.on_commit(functools.partial(
                    anchors.seal_anchor, seq=seq, first_id=ids[0], last_id=ids[-1], count=count, digest=digest,
                    prev_digest=prev_digest))
        except IntegrityError:
            return written  # another worker sealed this range first
        written += 1


def witness_compact(*, now: datetime | None = None) -> int:
    """Fold away witness files no process writes any more whose events are
    all sealed: each line is checked against the database first, and any
    event missing or changed is recorded in the anchors' breaks.log, where
    verification reports it for ever. Returns the files folded."""
    now = now or timezone.now()
    last = Seal.objects.order_by("-seq").values_list("last_id", flat=True).first() or 0
    current = {now.astimezone(UTC).strftime("%Y%m%d%H"),
               (now - anchors.WITNESS_ROTATE).astimezone(UTC).strftime("%Y%m%d%H")}
    folded = 0
    for path in anchors.witness_files():
        if path.stem.rsplit("-", 1)[-1] in current:
            continue  # still written to, or only just closed
        lines = [line for line in anchors.read_lines(path) if "id" in line]
        breaks = _witness_breaks(lines)
        broken = {b["event"] for b in breaks}
        if any(int(line["id"] or 0) > last and line["id"] not in broken for line in lines):
            continue  # some of its events are not sealed yet
        if breaks:
            anchors.record_breaks({**b, "file": path.name, "found_at": now.isoformat()} for b in breaks)
        try:
            path.unlink()
            folded += 1
        except FileNotFoundError:
            pass  # another worker folded it first
    return folded


def _witness_breaks(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Witness lines whose event is not in the database as witnessed."""
    out = []
    for start in range(0, len(lines), 1000):
        chunk = lines[start:start + 1000]
        found = {pk: (t, s, q, h) for pk, t, s, q, h in Event.objects.filter(
            pk__in=[int(line["id"]) for line in chunk]).values_list("id", "subject_type", "subject_id", "seq",
                                                                     "hash")}
        for line in chunk:
            row = found.get(int(line["id"]))
            expected = (line["type"], line["sid"], line["seq"], line["hash"])
            if row != expected:
                out.append({"event": line["id"], "subject": f"{line['type']}#{line['sid']}", "seq": line["seq"],
                            "reason": "deleted" if row is None else "rewritten"})
    return out


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
    keyed_check = keyed()
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
                    if keyed_check and stored_hash == _plain_digest(stored_prev, _aware(at), actor, behalf, verb,
                                                                   subject_type, subject_id, seq, before, after,
                                                                   note):
                        reason = ("hashed without the audit key: forged by someone without the key, or written "
                                  "before the key was set (then run `xietong audit rekey`)")
                else:
                    expected_seq, prev_hash = seq + 1, stored_hash
                    continue
                broken = True
                yield ChainBreak(subject_type, subject_id, seq, reason)


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


@dataclass(frozen=True)
class AnchorBreak:
    what: str
    reason: str

    def __str__(self) -> str:
        return f"{self.what}: {self.reason}"


def verify_anchors() -> Iterator[AnchorBreak]:
    """The database against what was anchored outside it: every anchored
    seal still there and the same, every seal anchored, every witnessed
    event still there as witnessed, and every break found earlier."""
    if anchors.anchor_root() is None:
        return
    anchored = anchors.anchored_seals()
    stored = {s.seq: s for s in Seal.objects.all()}
    for seq, line in sorted(anchored.items()):
        seal = stored.get(seq)
        if seal is None:
            yield AnchorBreak(f"seal {seq}", "anchored outside the database but gone from it")
        elif (seal.digest, seal.first_id, seal.last_id, seal.count) != (
                line.get("digest"), line.get("first_id"), line.get("last_id"), line.get("count")):
            yield AnchorBreak(f"seal {seq}", "differs from its anchor: rewritten in the database")
    for seq in sorted(set(stored) - set(anchored)):
        yield AnchorBreak(f"seal {seq}", "not anchored outside the database (inserted, or its anchor was lost)")
    for path in anchors.witness_files():
        lines = [line for line in anchors.read_lines(path) if "id" in line]
        for b in _witness_breaks(lines):
            yield AnchorBreak(f"event {b['subject']} #{b['seq']}", f"{b['reason']} after it was committed "
                              f"(witness {path.name})")
    seen = set()
    for b in anchors.recorded_breaks():
        key = (b.get("event"), b.get("reason"))
        if key not in seen:
            seen.add(key)
            yield AnchorBreak(f"event {b.get('subject')} #{b.get('seq')}",
                              f"{b.get('reason')} before it was sealed (found {b.get('found_at', '')[:19]})")


def audit_verify() -> Iterator[ChainBreak | SealBreak | AnchorBreak]:
    yield from verify_chains()
    yield from verify_seals()
    yield from verify_anchors()


def history_for(subject: Subject) -> models.QuerySet[Event]:
    subject_type, subject_id = subject_key(subject)
    return Event.objects.filter(subject_type=subject_type, subject_id=subject_id).select_related(
        "actor", "on_behalf_of").order_by("seq")


# --- the key, set on an existing trail ---------------------------------------------

def _fields(event: Event) -> tuple:
    return (event.at, event.actor_id, event.on_behalf_of_id, event.verb, event.subject_type, event.subject_id,
            event.seq, event.before_json, event.after_json, event.note)


def audit_needs_rekey() -> bool:
    """A key is set but the trail was hashed without one (a deployment that
    had no XIETONG_AUDIT_KEY before): its newest event tells."""
    if not keyed():
        return False
    newest = Event.objects.order_by("-id").first()
    if newest is None:
        return False
    return newest.hash == _plain_digest(newest.prev_hash, *_fields(newest)) and newest.hash != _digest(
        newest.prev_hash, *_fields(newest))


@transaction.atomic
def audit_rekey() -> int:
    """Hash the whole trail again with the audit key, once, when the key is
    first set. The trail is verified as it stands (unkeyed) first and
    nothing changes if a single event is out of place; then every chain and
    every seal is recomputed with the key and the seals anchored anew (the
    superseded anchors are kept beside, renamed). Returns the events
    re-hashed."""
    if not keyed():
        raise Conflict(_("Set XIETONG_AUDIT_KEY first."), code="no_key")
    rows: list[tuple[int, str, str]] = []
    current: tuple[str, str] | None = None
    plain_prev = keyed_prev = ""
    expected = 1
    for event in Event.objects.order_by("subject_type", "subject_id", "seq").iterator(chunk_size=5000):
        if (event.subject_type, event.subject_id) != current:
            current, plain_prev, keyed_prev, expected = (event.subject_type, event.subject_id), "", "", 1
        if event.seq != expected or event.prev_hash != plain_prev or event.hash != _plain_digest(
                plain_prev, *_fields(event)):
            raise Conflict(_("The trail is broken at %(subject)s event %(seq)s: run `xietong audit verify`; nothing "
                             "was re-keyed.") % {"subject": f"{event.subject_type}#{event.subject_id}",
                                                 "seq": event.seq}, code="trail_broken")
        keyed_hash = _digest(keyed_prev, *_fields(event))
        rows.append((event.pk, keyed_prev, keyed_hash))
        plain_prev, keyed_prev, expected = event.hash, keyed_hash, expected + 1
    for start in range(0, len(rows), 5000):
        update_rows(Event, "id", ["prev_hash", "hash"], rows[start:start + 5000])
    Seal.objects.all().delete()
    anchors.supersede()
    transaction.on_commit(lambda: audit_seal())
    return len(rows)
