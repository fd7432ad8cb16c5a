from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from xietong.audit.trail import audit_needs_rekey, audit_rekey


class Command(BaseCommand):
    help = "Migrate the database, seed the working calendar, install built-in templates (safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("database migrated")
        call_command("calendar", "seed", stdout=self.stdout)
        call_command("approvals", "install", stdout=self.stdout)
        if audit_needs_rekey():
            # An existing trail meets its first audit key (KER-4): hash it again, once.
            self.stdout.write(f"audit trail re-keyed: {audit_rekey()} events")
