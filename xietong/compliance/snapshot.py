"""Daily compliance snapshots (SUP-2): every clause check run over one
company day, after it ended, its findings stored and sealed.

    snapshot_day(date(2026, 11, 30))     # computes and seals that day (once)
    snapshots_due(now=now)               # the sweep: every day not yet computed, up to yesterday
    verify(snapshot)                     # its stored findings still give the sealed digest

A day is computed once. Two workers that reach the same day race on the
snapshot's unique day: one computes it, the other finds it taken and moves
on. The seal is an audit event (`compliance.snapshot`, in the hash chain)
carrying the digest of every finding, so a stored figure that is edited
later no longer verifies.
"""

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from xietong.audit.models import Event
from xietong.audit.trail import canonical_json, event_record
from xietong.platform.manifest import CHECKS
from xietong.platform.owed import Finding
from xietong.policy.queries import day_bounds

from .catalogue import clauses
from .models import Record, Result, Snapshot

logger = logging.getLogger(__name__)
SUBJECT = "compliance.snapshot"
# How far back a new installation (or a worker that was down) computes, and how many days one sweep takes on.
BACKFILL_DAYS = 92
DAYS_PER_SWEEP = 7


def _row(clause: str, finding: Finding) -> dict[str, Any]:
    return {"clause": clause, "department": finding.department_id, "type": finding.subject_type,
            "id": finding.subject_id, "passed": finding.passed, "at": finding.at.astimezone(UTC).isoformat(),
            "evidence": finding.evidence}


def digest_of(rows: Iterable[dict[str, Any]]) -> str:
    """The seal's digest: every finding in a fixed order, as canonical JSON."""
    h = hashlib.sha256()
    for row in sorted(rows, key=lambda r: (r["clause"], r["type"], r["id"], r["at"])):
        h.update(canonical_json(row).encode())
        h.update(b"\n")
    return h.hexdigest()


def findings_of(day: date) -> dict[str, list[Finding]]:
    """Every check's findings for the records decided on `day`."""
    start, end = day_bounds(day)
    out: dict[str, list[Finding]] = {}
    for clause_id, check in CHECKS.items():
        out[clause_id] = list(check.run(start, end))
    return out


def snapshot_day(day: date, *, now: datetime | None = None) -> Snapshot | None:
    """Compute and seal `day` (a day that has ended), or None when another
    worker has it already."""
    now = now or timezone.now()
    if day_bounds(day)[1] > now:
        raise ValueError(f"{day} has not ended yet")
    try:
        with transaction.atomic():
            snapshot = Snapshot.objects.create(day=day, computed_at=now, automated=len(CHECKS),
                                               catalogue=len(clauses()))
            found = findings_of(day)
            rows, records, counts = [], [], Counter[tuple[str, int | None, bool]]()
            for clause_id, findings in found.items():
                for f in findings:
                    rows.append(_row(clause_id, f))
                    records.append(Record(snapshot=snapshot, day=day, clause=clause_id, department_id=f.department_id,
                                          subject_type=f.subject_type, subject_id=f.subject_id, passed=f.passed,
                                          at=f.at, evidence=f.evidence))
                    counts[(clause_id, f.department_id, f.passed)] += 1
            Record.objects.bulk_create(records, batch_size=2000)
            keys = {(clause, dept) for clause, dept, _ok in counts}
            Result.objects.bulk_create([
                Result(snapshot=snapshot, day=day, clause=clause, department_id=dept,
                       applies=counts[(clause, dept, True)] + counts[(clause, dept, False)],
                       passed=counts[(clause, dept, True)]) for clause, dept in sorted(keys, key=str)])
            snapshot.records, snapshot.digest = len(rows), digest_of(rows)
            snapshot.save(update_fields=["records", "digest"])
            event_record(actor=None, verb="compliance.snapshot", subject=snapshot, at=now, first=True, after={
                "day": day.isoformat(), "digest": snapshot.digest, "records": snapshot.records,
                "automated": snapshot.automated, "catalogue": snapshot.catalogue})
            return snapshot
    except IntegrityError:
        if Snapshot.objects.filter(day=day).exists():
            return None  # another worker computed it
        raise


def snapshots_due(*, now: datetime | None = None, limit: int = DAYS_PER_SWEEP) -> int:
    """The sweep's part: compute the days not yet computed, oldest first, up
    to yesterday, at most `limit` a run."""
    now = now or timezone.now()
    yesterday = timezone.localtime(now).date() - timedelta(days=1)
    first = yesterday - timedelta(days=BACKFILL_DAYS - 1)
    done = set(Snapshot.objects.filter(day__gte=first, day__lte=yesterday).values_list("day", flat=True))
    made = 0
    day = first
    while day <= yesterday and made < limit:
        if day not in done and snapshot_day(day, now=now) is not None:
            made += 1
        day += timedelta(days=1)
    return made


def verify(snapshot: Snapshot) -> bool:
    """Whether the snapshot's stored findings still give the digest its seal recorded."""
    seal = (Event.objects.filter(verb="compliance.snapshot", subject_type=SUBJECT, subject_id=str(snapshot.pk))
            .order_by("seq").values_list("after_json", flat=True).first())
    if seal is None:
        return False
    sealed = json.loads(seal).get("digest")
    rows = [{"clause": r.clause, "department": r.department_id, "type": r.subject_type, "id": r.subject_id,
             "passed": r.passed, "at": r.at.astimezone(UTC).isoformat(), "evidence": r.evidence}
            for r in snapshot.findings.all()]
    return bool(sealed) and sealed == snapshot.digest == digest_of(rows)
