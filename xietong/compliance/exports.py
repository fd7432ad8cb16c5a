"""The compliance view as an Excel workbook (SUP-2): the period's clauses
with their pass rates and trend, and the clauses not automated yet."""

from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook

from xietong.sheets import append_row, new_sheet

from .queries import Overview, Scope


def workbook(view: Overview, scope: Scope, *, language: str) -> bytes:
    english = language.startswith("en")
    book = Workbook()
    sheet = new_sheet(book, _("Compliance"), first=True)
    append_row(sheet, [_("Period"), view.period.key, f"{view.period.start} – {view.period.end}"])
    append_row(sheet, [_("Scope"), _("The whole company.") if scope.company else _("The departments you head.")])
    append_row(sheet, [_("Clauses automated"), view.automated, view.catalogue])
    append_row(sheet, [])
    keys = [key for key, _rate in view.rows[0].trend] if view.rows else []
    append_row(sheet, [_("Clause ID"), _("Clause"), _("Source"), _("Records"), _("Passed"), _("Failing"),
                       _("Pass rate"), *keys, _("The regulation says")])
    for row in view.rows:
        c = row.clause
        append_row(sheet, [c.id, c.title_en if english else c.title, f"{c.seed_name} {c.section}", row.applies,
                           row.passed, row.failed, row.rate, *[rate for _key, rate in row.trend], c.text])
    manual = new_sheet(book, _("Not automated yet"))
    append_row(manual, [_("Clause ID"), _("Clause"), _("Source"), _("SPEC"), _("The regulation says")])
    for c in view.not_automated:
        append_row(manual, [c.id, c.title_en if english else c.title, f"{c.seed_name} {c.section}", ", ".join(c.spec),
                            c.text])
    for s in (sheet, manual):
        s.column_dimensions["A"].width = 30
        s.column_dimensions["B"].width = 36
        s.column_dimensions["C"].width = 24
    out = BytesIO()
    book.save(out)
    return out.getvalue()
