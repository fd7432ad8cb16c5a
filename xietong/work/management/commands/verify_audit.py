from typing import Any

from django.core.management.base import BaseCommand, CommandError

from xietong.work.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chains; exits non-zero on any break."

    def handle(self, *args: Any, **options: Any) -> None:
        breaks = list(audit_verify())
        for b in breaks:
            self.stdout.write(f"BROKEN {b.subject_type}#{b.subject_id} at event {b.seq}: {b.reason}")
        if breaks:
            raise CommandError(f"{len(breaks)} broken chain(s)")
        self.stdout.write("audit trail intact")
