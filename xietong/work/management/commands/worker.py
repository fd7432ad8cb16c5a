"""`xietong worker`: one background worker (KER-3, KER-5).

Runs the jobs queued through Django's tasks API (django-tasks-db), sends the
outbox, and runs the periodic sweeps. Start as many as you like against
PostgreSQL: every sweep and every delivery claims its rows, so each reminder,
escalation step and message happens once.
"""

import signal
import socket
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker

from xietong.work.delivery import deliveries_send_due
from xietong.work.sweep import sweep_run


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
        worker_id = f"{socket.gethostname()}-{id(self):x}"[:64]
        next_sweep = 0.0
        self.stdout.write(f"worker {worker_id} started")
        while self.running:
            close_old_connections()
            if time.monotonic() >= next_sweep:
                result = sweep_run()
                busy = {k: v for k, v in result.items() if v}
                if busy:
                    self.stdout.write(f"{timezone.now():%Y-%m-%d %H:%M:%S} sweep {busy}")
                next_sweep = time.monotonic() + options["sweep_every"]
            Worker(queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
                   max_tasks=None, worker_id=worker_id, excluded_queue_names=[]).run()
            sent = deliveries_send_due(limit=200)
            if any(sent.values()):
                self.stdout.write(f"{timezone.now():%Y-%m-%d %H:%M:%S} outbox {sent}")
            if options["once"]:
                return
            time.sleep(options["poll"])

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        if not self.running:
            raise SystemExit(1)
        self.running = False
