from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xietong.org.importer import import_org
from xietong.org.models import Person


class Command(BaseCommand):
    help = "Import departments and people from .xlsx or .csv; nothing is imported if any row is bad."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--as", dest="actor", required=True, help="username of the administrator importing")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Person.objects.filter(username=options["actor"], is_active=True).first()
        if actor is None:
            raise CommandError(f"no active person {options['actor']!r}")
        path = Path(options["file"])
        report = import_org(actor=actor, filename=path.name, content=path.read_bytes())
        if not report.ok:
            for e in report.errors:
                self.stderr.write(f"{e.sheet} row {e.row}: {e.message}")
            raise CommandError(f"nothing imported: {len(report.errors)} bad row(s)")
        self.stdout.write(f"imported {report.departments} departments and {report.people} people")
