from typing import Any

from django.core.management.base import BaseCommand, CommandError

from xietong.errors import DomainError
from xietong.platform.manifest import load, modules


class Command(BaseCommand):
    help = ("Load the demo company (only with XIETONG_DEMO=1): every module's demo data, in INSTALLED_APPS "
            "order (the organization first). Safe to run again.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            for module in modules():
                if module.demo:
                    self.stdout.write(load(module.demo)())
        except DomainError as exc:  # org.demo.DemoRefused: not a demo installation
            raise CommandError(str(exc.message)) from None
