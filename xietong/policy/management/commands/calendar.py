from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xietong.policy.actions import calendar_seed_from_library
from xietong.policy.queries import calendar_days, calendar_years


class Command(BaseCommand):
    help = "Working calendar: 'seed' loads the statutory schedule; 'show YEAR' lists a year's exceptions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["seed", "show", "years"])
        parser.add_argument("year", nargs="?", type=int)
        parser.add_argument("--overwrite-admin-days", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "seed":
            years = calendar_seed_from_library(overwrite_admin_days=options["overwrite_admin_days"])
            self.stdout.write(f"calendar seeded for {years[0]}–{years[-1]} ({len(years)} years)")
        elif options["what"] == "years":
            for y in calendar_years():
                self.stdout.write(f"{y.year}  {y.source}  {y.note}")
        else:
            for day in calendar_days(options["year"]):
                self.stdout.write(f"{day.date}  {day.kind:8}  {day.name}  ({day.source})")
