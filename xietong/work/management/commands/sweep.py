from typing import Any

from django.core.management.base import BaseCommand

from xietong.work.sweep import sweep_run


class Command(BaseCommand):
    help = "Run the periodic sweeps now: delegation, reminders, escalation, digest, audit seals, outbox."

    def handle(self, *args: Any, **options: Any) -> None:
        result = sweep_run()
        self.stdout.write(" ".join(f"{k}={v}" for k, v in result.items()))
