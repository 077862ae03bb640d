"""The workbook handed back after a failed import: the uploaded rows with their errors beside them.

People fix the rows in this file and upload it again, so it keeps the original
header and every row, adds an "错误说明" column in front, and fills the bad rows
light red. Every cell is written as text, so ID numbers keep their digits and a
cell starting with "=" stays text instead of becoming a formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from tanfang.core.tabular import TableRow
from tanfang.core.xlsx import text_cell

# Excel's own "light red fill" conditional format colours.
ERROR_FILL = PatternFill(fill_type="solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
ERROR_FONT = Font(color="FF9C0006")
HEADER_FONT = Font(bold=True)


def write_error_workbook(
    headers: list[str], rows: Iterable[TableRow], errors: Mapping[int, Sequence[tuple[str, str]]]
) -> bytes:
    """Write the rows as an .xlsx file with "错误说明" and "原行号" columns first; return the file's bytes.

    "原行号" is the row's line in the uploaded file, the N of the "第N行" messages, since title
    and blank rows of the upload are not copied.

    `errors` maps a row's line number to its (column name, reason) pairs; such a row
    gets "列名: 原因；列名: 原因" and a light red fill. Rows are streamed to the file
    (openpyxl write-only), so `rows` may be a generator over 100,000 rows. Errors for
    lines that are not among the rows are left out.
    """
    workbook = Workbook(write_only=True)
    sheet: Any = workbook.create_sheet(title=_("导入错误"))
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["A"].width = 48
    sheet.column_dimensions["B"].width = 8
    for column in range(3, len(headers) + 3):
        sheet.column_dimensions[get_column_letter(column)].width = 18

    sheet.append([text_cell(sheet, text, font=HEADER_FONT) for text in [_("错误说明"), _("原行号"), *headers]])
    for row in rows:
        problems = errors.get(row.line)
        if not problems:
            sheet.append([None, row.line, *(text_cell(sheet, text) for text in row.cells)])
            continue
        description = "；".join(f"{column}: {reason}" for column, reason in problems)
        width = max(len(headers), len(row.cells))
        cells = [*row.cells, *[""] * (width - len(row.cells))]
        sheet.append(
            [
                text_cell(sheet, description, fill=ERROR_FILL, font=ERROR_FONT),
                _number(sheet, row.line),
                *(text_cell(sheet, text, fill=ERROR_FILL) for text in cells),
            ]
        )

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _number(sheet: Any, value: int) -> Any:
    cell = WriteOnlyCell(sheet, value=value)
    cell.fill = ERROR_FILL
    return cell
