"""`xietong health`: is the product able to work? For a process supervisor,
a container probe or a monitoring check (exit 0: healthy, 1: not).

Healthy: the database answers, and — unless `--no-workers` — at least one
background worker looped in the last `--max-age` seconds and its last loop
met no error.
"""

import json
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from xietong.work.heartbeat import worker_states


class Command(BaseCommand):
    help = "Check the database and the background workers; exit 1 when something is wrong."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--max-age", type=int, default=180, help="seconds since a worker's last loop (180)")
        parser.add_argument("--no-workers", action="store_true", help="check the database only (an app server)")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        report: dict[str, Any] = {"database": "ok", "workers": []}
        healthy = True
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as exc:  # noqa: BLE001 — a probe reports, it does not crash
            report["database"] = f"{type(exc).__name__}: {exc}"
            healthy = False
        if healthy and not options["no_workers"]:
            now = timezone.now()
            fresh = timedelta(seconds=options["max_age"])
            states = worker_states(now=now)
            report["workers"] = [{
                "worker": s.beat.worker_id, "last_loop": s.beat.last_loop_at.isoformat(),
                "alive": s.beat.stopped_at is None and now - s.beat.last_loop_at <= fresh,
                "failing": s.failing, "errors": s.beat.errors, "last_error": s.beat.last_error[:300]}
                for s in states]
            healthy = any(w["alive"] and not w["failing"] for w in report["workers"])
        report["healthy"] = healthy
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
        else:
            self.stdout.write(f"database: {report['database']}")
            for w in report["workers"]:
                state = "alive" if w["alive"] else "stale"
                self.stdout.write(f"worker {w['worker']}: {state}, last loop {w['last_loop']}"
                                  + (f", FAILING: {w['last_error']}" if w["failing"] else ""))
            if not report["workers"] and not options["no_workers"] and report["database"] == "ok":
                self.stdout.write("no worker has run: start `xietong worker`")
            self.stdout.write("healthy" if healthy else "NOT HEALTHY")
        if not healthy:
            raise SystemExit(1)
