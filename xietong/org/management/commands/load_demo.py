from typing import Any

from django.core.management.base import BaseCommand, CommandError

from xietong.org.demo import DemoRefused, load_demo


class Command(BaseCommand):
    help = "Load the demo company (only with XIETONG_DEMO=1). Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self.stdout.write(load_demo())
            from xietong.work.demo import load_demo_work

            self.stdout.write(load_demo_work())
            from xietong.approvals.demo import load_demo_approvals

            self.stdout.write(load_demo_approvals())
            from xietong.requests.demo import load_demo_requests

            self.stdout.write(load_demo_requests())
            from xietong.service.demo import load_demo_cases

            self.stdout.write(load_demo_cases())
        except DemoRefused as exc:
            raise CommandError(str(exc.message)) from None
