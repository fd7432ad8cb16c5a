"""The workers' heartbeats (KER-3, KER-5): what each did last, for the
administrators' page and for `xietong health`."""

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from .models import WorkerHeartbeat

# A worker that has not looped for this long is not working.
STALE_AFTER = timedelta(minutes=3)


def heartbeat_beat(*, worker_id: str, started_at: datetime, now: datetime, loops: int, errors: list[str]) -> None:
    """One loop done (with the errors it met, if any)."""
    values: dict = {"last_loop_at": now, "loops": loops, "stopped_at": None}
    if errors:
        values.update(last_error="\n".join(errors)[:4000], last_error_at=now, errors=F("errors") + len(errors))
    if WorkerHeartbeat.objects.filter(worker_id=worker_id).update(**values):
        return
    WorkerHeartbeat.objects.create(worker_id=worker_id, host=socket.gethostname()[:100], pid=os.getpid(),
                                   started_at=started_at, last_loop_at=now, loops=loops,
                                   errors=len(errors), last_error="\n".join(errors)[:4000],
                                   last_error_at=now if errors else None)


def heartbeat_stop(*, worker_id: str) -> None:
    WorkerHeartbeat.objects.filter(worker_id=worker_id).update(stopped_at=timezone.now())


@dataclass(frozen=True)
class WorkerState:
    beat: WorkerHeartbeat
    alive: bool  # looped recently and not stopped
    failing: bool  # its last loop had errors


def worker_states(*, now: datetime | None = None, keep: timedelta = timedelta(days=7)) -> list[WorkerState]:
    """Every worker seen in the last `keep`, newest first."""
    now = now or timezone.now()
    beats = WorkerHeartbeat.objects.filter(last_loop_at__gte=now - keep).order_by("-last_loop_at")
    return [WorkerState(beat=b, alive=b.stopped_at is None and now - b.last_loop_at <= STALE_AFTER,
                        failing=b.last_error_at is not None and b.last_error_at >= b.last_loop_at)
            for b in beats]
