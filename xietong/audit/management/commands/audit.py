"""`xietong audit verify | seal | rekey` (KER-4)."""

import os
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from xietong.audit import anchors
from xietong.audit.models import Event
from xietong.audit.parallel import verify_parallel
from xietong.audit.trail import audit_rekey, audit_seal, keyed
from xietong.errors import DomainError


class Command(BaseCommand):
    help = ("Verify the audit trail (hash chains, seals and the anchors outside the database), seal what is "
            "new, or re-hash it with the audit key once that is first set.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["verify", "seal", "rekey"])
        parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                            help="processes that share the chain check on PostgreSQL (default: the core count)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "seal":
            self.stdout.write(f"{audit_seal()} seal(s) written")
            return
        if options["action"] == "rekey":
            try:
                n = audit_rekey()
            except DomainError as error:
                raise CommandError(str(error.message)) from None
            self.stdout.write(f"{n} events re-hashed with the audit key; seals anchored anew")
            return
        started = time.perf_counter()
        breaks = verify_parallel(jobs=options["jobs"])
        elapsed = time.perf_counter() - started
        for b in breaks:
            self.stdout.write(f"BROKEN {b}")
        count = Event.objects.count()
        if not keyed():
            self.stdout.write("WARNING: XIETONG_AUDIT_KEY is not set: the hashes prove nothing against someone "
                              "who can write the database")
        if anchors.anchor_root() is None:
            self.stdout.write("WARNING: XIETONG_AUDIT_ANCHOR_DIR is not set: nothing outside the database to "
                              "check it against")
        if breaks:
            raise CommandError(f"{len(breaks)} break(s) in the audit trail")
        self.stdout.write(f"audit trail intact: {count} events verified in {elapsed:.1f}s")
