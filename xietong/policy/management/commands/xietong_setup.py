from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate the database, seed the working calendar, install built-in templates (safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("database migrated")
        call_command("calendar", "seed", stdout=self.stdout)
        call_command("approvals", "install", stdout=self.stdout)
