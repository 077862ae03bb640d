"""Writing .xlsx files people download: THE one writer, so every export is safe the same way.

Every text cell is written as text: a value starting with "=" (or "+", "-", "@", which spreadsheet
programs may also read as a formula) stays the words it was, never a formula that runs when the file
is opened; characters Excel cannot store are dropped; over-long texts are cut to Excel's limit. Rows
are streamed (openpyxl's write-only mode), so an export of 200,000 rows never holds them as objects.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill

MAX_CELL_LENGTH = 32767  # Excel refuses longer cell texts
FORMULA_STARTS = ("=", "+", "-", "@")
HEADER_FONT = Font(bold=True)
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Value = str | int | float | Decimal | dt.date | dt.datetime | None


def text_cell(sheet: Any, text: str, *, fill: PatternFill | None = None, font: Font | None = None) -> Any:
    """A cell that holds `text` as text, whatever it starts with. An empty unstyled cell is None."""
    if not (text or fill or font):
        return None
    if ILLEGAL_CHARACTERS_RE.search(text):
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    text = text[:MAX_CELL_LENGTH]
    if not (fill or font or text.startswith(FORMULA_STARTS)):
        return text
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # openpyxl would otherwise store "=…" as a formula
    if fill is not None:
        cell.fill = fill
    if font is not None:
        cell.font = font
    return cell


class XlsxWriter:
    """One workbook: add sheets with a header row, append rows, take the bytes."""

    def __init__(self) -> None:
        self._book = Workbook(write_only=True)
        self._sheet: Any = None

    def sheet(self, title: str, headers: Iterable[str]) -> None:
        """Start a sheet (Excel allows 31 characters of title) with a bold header row."""
        self._sheet = self._book.create_sheet(title=title[:31])
        self._sheet.append([text_cell(self._sheet, str(h), font=HEADER_FONT) for h in headers])

    def row(self, values: Iterable[Value]) -> None:
        """Append a row: texts as text, numbers and dates as they are."""
        if self._sheet is None:
            raise RuntimeError("call sheet() first")
        self._sheet.append([self._value(v) for v in values])

    def _value(self, value: Value) -> Any:
        if isinstance(value, str):
            return text_cell(self._sheet, value)
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return value.replace(tzinfo=None)  # Excel has no time zones; callers pass local times
        return value

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self._book.save(buffer)
        return buffer.getvalue()
