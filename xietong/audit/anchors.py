"""What the audit trail (KER-4) keeps outside the database it proves.

Someone with write access to the database can rewrite any row, so a trail
that lives only there proves nothing against them. Two things live
elsewhere, in XIETONG_AUDIT_ANCHOR_DIR (another volume or host; a bucket
with object lock mounted as a folder; whatever the database's
administrators cannot write):

- `seals.log`: every seal, appended by the worker that wrote it. A seal is
  an HMAC (XIETONG_AUDIT_KEY) over every event in an id range, so a seal
  rewritten in the database no longer matches its anchored line.
- `witness/<host>-<pid>-<hour>.log`: each process appends, when a
  transaction commits, one line per event it wrote (subject, position,
  hash). An event deleted or rewritten before the next seal covers it no
  longer matches its witness line. Once a file's events are all sealed and
  checked, the sealer folds it away (`witness_compact`); anything it finds
  missing goes to `breaks.log`, which verification reports for ever.

Lines are JSON, one per line, written with O_APPEND: several processes and
hosts may share the folder. Each database has its own sub-folder (its
engine and name), so test databases never mix with the company's trail.
"""

import functools
import json
import logging
import os
import socket
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

logger = logging.getLogger(__name__)
WITNESS_ROTATE = timedelta(hours=1)


def anchor_root() -> Path | None:
    folder = getattr(settings, "XIETONG_AUDIT_ANCHOR_DIR", "")
    if not folder:
        return None
    return _root(str(folder), connection.vendor, str(connection.settings_dict.get("NAME") or "db"))


@functools.cache
def _root(folder: str, vendor: str, database: str) -> Path:
    # Asked on every commit that wrote events: worked out once per folder and database.
    trail = "".join(c if c.isalnum() or c in "._-" else "_" for c in f"{vendor}-{Path(database).name}")[:100]
    return Path(folder) / trail


# One encoder for every line (json.dumps builds a new one per call): the same text.
_LINE = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def _append(path: Path, lines: Iterable[dict[str, Any]]) -> None:
    text = "".join(_LINE(line) + "\n" for line in lines)
    if not text:
        return
    # One write() on a file opened for appending: lines from several writers never interleave.
    # The folder is made the first time it is missing, not looked for on every commit.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def read_lines(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8") as handle:
            for raw in handle:
                raw = raw.strip()
                if raw:
                    try:
                        yield json.loads(raw)
                    except ValueError:
                        yield {"unreadable": raw[:200]}
    except FileNotFoundError:
        return


# --- seals -------------------------------------------------------------------

def seal_anchor(*, seq: int, first_id: int, last_id: int, count: int, digest: str, prev_digest: str) -> None:
    root = anchor_root()
    if root is not None:
        _append(root / "seals.log", [{"seq": seq, "first_id": first_id, "last_id": last_id, "count": count,
                                      "digest": digest, "prev_digest": prev_digest,
                                      "at": datetime.now(UTC).isoformat()}])


def anchored_seals() -> dict[int, dict[str, Any]]:
    root = anchor_root()
    if root is None:
        return {}
    return {int(line["seq"]): line for line in read_lines(root / "seals.log") if "seq" in line}


# --- witnesses of committed events -------------------------------------------

def _witness_file(root: Path, now: datetime) -> Path:
    hour = now.strftime("%Y%m%d%H")
    return root / "witness" / f"{_host()}-{os.getpid()}-{hour}.log"


@functools.cache
def _host() -> str:
    return socket.gethostname()


def witness(events: list[tuple[int | None, str, str, int, str]]) -> None:
    """Record events (id, subject type, subject id, seq, hash) written in the
    current transaction: appended to this process's witness file when it
    commits. Registered per call, so that events of a savepoint rolled back
    (a caught Conflict) are never witnessed."""
    if not events or anchor_root() is None:
        return
    transaction.on_commit(lambda: _flush(events))


def _flush(events: list[tuple[int | None, str, str, int, str]]) -> None:
    root = anchor_root()
    if root is None:
        return
    try:
        _append(_witness_file(root, datetime.now(UTC)),
                [{"id": pk, "type": t, "sid": s, "seq": q, "hash": h} for pk, t, s, q, h in events])
    except OSError:
        # The change is committed; a witness that cannot be written leaves
        # these events to the next seal alone (docs/kernel.md says so).
        logger.exception("audit witness not written (%s events)", len(events))


def witness_files() -> list[Path]:
    root = anchor_root()
    return sorted((root / "witness").glob("*.log")) if root is not None else []


def record_breaks(breaks: Iterable[dict[str, Any]]) -> None:
    root = anchor_root()
    if root is not None:
        _append(root / "breaks.log", breaks)


def recorded_breaks() -> list[dict[str, Any]]:
    root = anchor_root()
    return list(read_lines(root / "breaks.log")) if root is not None else []


def supersede() -> None:
    """The trail was re-keyed (audit_rekey): the anchors of the old hashes
    are kept beside, renamed, and new ones start."""
    root = anchor_root()
    if root is None or not root.exists():
        return
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    for name in ("seals.log", "witness", "breaks.log"):
        path = root / name
        if path.exists():
            path.rename(root / f"{name}.superseded-{stamp}")
