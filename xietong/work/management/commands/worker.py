"""`xietong worker`: one background worker (KER-3, KER-5).

Runs the jobs queued through Django's tasks API (django-tasks-db), sends the
outbox, and runs the periodic sweeps. Start as many as you like against
PostgreSQL: every sweep and every delivery claims its rows, so each reminder,
escalation step and message happens once.

It never dies of a fault: each part of a loop (the outbox, the queued jobs,
each sweep) runs on its own, a failure is logged and counted in the
worker's heartbeat, and after a database error the connections are dropped
and the loop backs off (2 s doubling to 60 s) until the database answers
again. The outbox goes first in every loop, so a sweep that keeps failing
never holds back a notification.
"""

import contextlib
import functools
import os
import signal
import socket
import time
import traceback
from datetime import datetime
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker

from xietong.work.delivery import deliveries_send_due
from xietong.work.heartbeat import heartbeat_beat, heartbeat_stop
from xietong.work.sweep import sweep_run

BACKOFF_FIRST = 2.0
BACKOFF_MAX = 60.0


class Command(BaseCommand):
    help = "Run a background worker: queued jobs, the notification outbox and the periodic sweeps."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--poll", type=float, default=2.0, help="seconds between polls (default 2)")
        parser.add_argument("--sweep-every", type=float, default=60.0,
                            help="seconds between sweeps: reminders, escalation, digest, seals (default 60)")
        parser.add_argument("--once", action="store_true", help="one round of everything, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        self.running = True
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        self.worker_id = f"{socket.gethostname()}-{os.getpid()}-{int(time.time()) % 100000}"[:64]
        self.started = timezone.now()
        self.loops = 0
        next_sweep = 0.0
        backoff = 0.0
        self.stdout.write(f"worker {self.worker_id} started")
        while self.running:
            errors: list[str] = []
            self.loops += 1
            try:
                close_old_connections()
                self._part("outbox", self._outbox, errors)
                if time.monotonic() >= next_sweep:
                    sweep_errors: dict[str, str] = {}
                    result = self._part("sweep", functools.partial(sweep_run, errors=sweep_errors), errors) or {}
                    errors += [f"sweep {name}: {message}" for name, message in sweep_errors.items()]
                    busy = {k: v for k, v in result.items() if v}
                    if busy:
                        self.stdout.write(f"{timezone.now():%Y-%m-%d %H:%M:%S} sweep {busy}")
                    next_sweep = time.monotonic() + options["sweep_every"]
                self._part("jobs", self._jobs, errors)
            except Exception as exc:  # noqa: BLE001 — whatever it is, the worker stays up
                errors.append(f"loop: {type(exc).__name__}: {exc}")
            self._beat(errors)
            if errors:
                backoff = min(BACKOFF_MAX, backoff * 2 if backoff else BACKOFF_FIRST)
                self.stderr.write(f"{timezone.now():%Y-%m-%d %H:%M:%S} {len(errors)} error(s); "
                                  f"retrying in {backoff:.0f}s: {errors[0][:300]}")
            else:
                backoff = 0.0
            if options["once"]:
                break
            self._sleep(backoff or options["poll"])
        self._safely(lambda: heartbeat_stop(worker_id=self.worker_id))

    def _part(self, name: str, run: Any, errors: list[str]) -> Any:
        try:
            return run()
        except DatabaseError as exc:
            # The database is down, read-only or gone away: start again with fresh connections.
            errors.append(f"{name}: database: {type(exc).__name__}: {exc}")
            self._reset_connections()
        except Exception as exc:  # noqa: BLE001 — logged, counted, retried next loop
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
            self.stderr.write(traceback.format_exc(limit=8))
        return None

    def _outbox(self) -> None:
        sent = deliveries_send_due(limit=200, worker=self.worker_id)
        if any(sent.values()):
            self.stdout.write(f"{timezone.now():%Y-%m-%d %H:%M:%S} outbox {sent}")

    def _jobs(self) -> None:
        Worker(queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
               max_tasks=None, worker_id=self.worker_id, excluded_queue_names=[]).run()

    def _beat(self, errors: list[str]) -> None:
        # Errors of loops whose heartbeat could not be written (the database
        # was away) are reported with the first one that can.
        self.unreported = [*getattr(self, "unreported", []), *errors][-20:]
        now: datetime = timezone.now()
        if self._safely(lambda: heartbeat_beat(worker_id=self.worker_id, started_at=self.started, now=now,
                                               loops=self.loops, errors=self.unreported)):
            self.unreported = []

    def _safely(self, run: Any) -> bool:
        try:
            run()
        except Exception:  # noqa: BLE001 — a heartbeat that cannot be written is itself the sign
            self._reset_connections()
            return False
        return True

    def _reset_connections(self) -> None:
        for connection in connections.all():
            with contextlib.suppress(Exception):  # closing a broken connection may fail too
                connection.close()

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while self.running and time.monotonic() < end:
            time.sleep(min(0.2, end - time.monotonic()))

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        if not self.running:
            raise SystemExit(1)
        self.running = False
