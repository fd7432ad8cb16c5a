from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Same as `xietong audit verify` (kept for scripts written against 0.1)."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("audit", "verify", stdout=self.stdout)
