"""Excel workbooks the product writes (INT-4), with text kept as text.

A spreadsheet reads a cell that starts with `=`, `+`, `-` or `@` as a
formula: a department called `=HYPERLINK("http://…","点击")` would become a
live link in every export (CSV/formula injection). Every string written
through `append_row` is stored as a string cell, whatever it starts with,
so Excel, WPS and LibreOffice show it and never evaluate it.

    sheet = new_sheet(book, _("Collaboration map"))
    append_row(sheet, [department.name, count, rate])
"""

from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import TYPE_STRING
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet


def append_row(sheet: Worksheet, values: Iterable[Any]) -> None:
    values = list(values)
    sheet.append(values)
    row = sheet.max_row
    for column, value in enumerate(values, start=1):
        if isinstance(value, str):
            cell = sheet.cell(row=row, column=column)
            cell.value = value
            cell.data_type = TYPE_STRING  # never a formula


def new_sheet(book: Workbook, title: str, *, first: bool = False) -> Worksheet:
    """A sheet with a title Excel accepts (at most 31 characters, no []:*?/\\)."""
    clean = "".join(c for c in title if c not in "[]:*?/\\")[:31] or "Sheet"
    sheet = book.active
    if first and len(book.worksheets) == 1 and isinstance(sheet, Worksheet) and sheet.max_row == 1 \
            and sheet.max_column == 1:  # the empty sheet a new workbook comes with (not touched: no cell made)
        sheet.title = clean
        return sheet
    return book.create_sheet(clean)
