from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Approvals: `install` creates the built-in templates that are missing (safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["install"])

    def handle(self, *args: Any, **options: Any) -> None:
        from xietong.approvals.builtin import builtin_install

        created = builtin_install()
        self.stdout.write(f"built-in approval templates: {', '.join(created) if created else 'all present'}")
