"""The collaboration map as an Excel workbook (REQ-5)."""

from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook

from xietong.sheets import append_row, new_sheet

from .queries import CollaborationMap


def map_workbook(data: CollaborationMap, *, language: str) -> bytes:
    english = language.startswith("en")
    book = Workbook()
    sheet = new_sheet(book, _("Collaboration map"), first=True)
    append_row(sheet, [_("Period"), f"{data.start} – {data.end}"])
    append_row(sheet, [])
    append_row(sheet, [_("Asking department"), _("Asked department"), _("Requests"), _("Open"),
                       _("Median response (working hours)"), _("Completed"), _("On-time rate"), _("Average rating"),
                       _("Ratings")])

    def name(pk: int) -> str:
        d = data.departments[pk]
        return (d.name_en or d.name) if english else d.name

    for link in data.links:
        append_row(sheet, [name(link.source), name(link.target), link.count, link.open, link.median_response_hours,
                           link.completed, link.on_time_rate, link.rating, link.rated])
    for column, width in zip("ABCDEFGHI", (18, 18, 10, 8, 16, 10, 12, 12, 8), strict=True):
        sheet.column_dimensions[column].width = width
    out = BytesIO()
    book.save(out)
    return out.getvalue()
