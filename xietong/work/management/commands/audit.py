"""`xietong audit verify` / `xietong audit seal` (KER-4)."""

import os
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from xietong.work.audit import audit_seal, verify_parallel
from xietong.work.models import Event


class Command(BaseCommand):
    help = "Verify the audit trail (hash chains and seals), or seal what is new."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["verify", "seal"])
        parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                            help="processes that share the chain check on PostgreSQL (default: the core count)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "seal":
            self.stdout.write(f"{audit_seal()} seal(s) written")
            return
        started = time.perf_counter()
        breaks = verify_parallel(jobs=options["jobs"])
        elapsed = time.perf_counter() - started
        for b in breaks:
            self.stdout.write(f"BROKEN {b}")
        count = Event.objects.count()
        if breaks:
            raise CommandError(f"{len(breaks)} break(s) in the audit trail")
        self.stdout.write(f"audit trail intact: {count} events verified in {elapsed:.1f}s")
