"""Reading uploaded tables (CSV and Excel .xlsx) row by row, whatever the rows mean.

`read_table` finds the header row — past title rows, across a two-row header with
merged cells — and `Table.rows()` streams the data rows from the bytes each time it
is called, so a 100,000-row file is never held as a list of rows. Cells come back as
the text a person sees in Excel: numbers Excel stored as floats (410823001001.0,
4.10823001001E+11) as their digits, dates as YYYY-MM-DD, empty cells as "". Line
numbers are the ones Excel shows, so error messages can point at them.

Only the first worksheet of a workbook is read. Old binary Excel (.xls) is refused
with a request to save the file as .xlsx.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import PurePath
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string
from openpyxl.utils.exceptions import InvalidFileException

MEGABYTE = 1024 * 1024
DEFAULT_MAX_BYTES = 50 * MEGABYTE

# How many non-empty rows at the top are looked at to find the header.
_HEAD_ROWS = 30
_CHUNK = MEGABYTE
_ZIP_MAGIC = b"PK\x03\x04"
# The compound-file container of .xls files, and of password-protected .xlsx files.
_OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
_XLSX_SUFFIXES = (".xlsx", ".xlsm")
_WHITESPACE = re.compile(r"\s+")
# A number saved as text by a spreadsheet or a script: "13800138000.0".
_WHOLE_NUMBER_TEXT = re.compile(r"\d+\.0+")
# <mergeCell ref="A1:I1"/>, with or without a namespace prefix. A "<" inside cell text
# is written as &lt;, so this cannot match the text of a cell.
_MERGE_CELL = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref=[\"']([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?[\"']"
)

# Every record of the file as (line number, cell texts), empty records included.
RecordReader = Callable[[], Generator[tuple[int, list[str]], None, None]]


class TableFileError(ValueError):
    """A file cannot be read at all (as opposed to rows with errors); `message` says why, in Chinese."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class TableRow:
    """A non-empty data row: `line` is the row number Excel shows, `cells` the trimmed texts.

    `cells` has at least one entry per header; cells past the last header are kept
    when they hold something.
    """

    line: int
    cells: list[str]


class Table:
    """The header of an uploaded table and a way to read its data rows, as often as needed.

    `header_line` is the line of the (upper) header row; `header_height` is 2 for a
    two-row header, whose names are combined ("紧急联系人" over "姓名" gives
    "紧急联系人姓名"). Data rows start on the line after the header.
    """

    def __init__(self, *, headers: list[str], header_line: int, header_height: int, records: RecordReader) -> None:
        self.headers = headers
        self.header_line = header_line
        self.header_height = header_height
        self._records = records

    def __repr__(self) -> str:
        return f"Table(headers={self.headers!r}, header_line={self.header_line}, header_height={self.header_height})"

    def rows(self) -> Iterator[TableRow]:
        """Yield the non-empty rows below the header, reading the file again from its bytes.

        Raises TableFileError when the file turns out to be damaged further down.
        """
        first_line = self.header_line + self.header_height
        width = len(self.headers)
        with closing(self._records()) as records:
            for line, cells in records:
                if line < first_line or not any(cells):
                    continue
                if len(cells) < width:
                    cells.extend([""] * (width - len(cells)))
                elif len(cells) > width:
                    while len(cells) > width and not cells[-1]:
                        cells.pop()
                yield TableRow(line, cells)


def read_table(data: bytes, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Table:
    """Read the header of an uploaded CSV or Excel (.xlsx, .xlsm) file; the rows are read on demand.

    The header is the first row with at least half as many filled cells as the fullest
    row near the top, so title rows ("武陟县特殊困难老年人台账" merged across the
    columns) and notes such as "填报单位：…" are skipped. When the row below it holds
    sub-headers under merged (or, in a CSV, empty) header cells, the two rows are
    combined. A header cell merged across columns names every one of them.

    CSV files may be UTF-8 (with or without BOM), GBK/GB18030 or UTF-16 with a BOM,
    comma- or tab-separated. Raises TableFileError for an empty or too large file, an
    unknown type, an old .xls file, a file that is not what its name says, or a table
    without anything in it.
    """
    if not data:
        raise TableFileError(_("文件是空的"))
    if len(data) > max_bytes:
        raise TableFileError(
            _("文件太大：超过 %(limit)s MB 的上限，请拆分成几个文件分批导入") % {"limit": _megabytes(max_bytes)}
        )
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".xls":
        raise TableFileError(_("不支持旧版 Excel (.xls) 文件，请在 Excel 中另存为“Excel 工作簿 (.xlsx)”后再导入"))
    if suffix in _XLSX_SUFFIXES or (suffix == ".csv" and data.startswith(_ZIP_MAGIC)):
        return _read_xlsx(data)
    if suffix == ".csv":
        if data.startswith(_OLE_MAGIC):
            raise TableFileError(
                _("文件内容是旧版 Excel (.xls) 文件而不是 CSV，请在 Excel 中另存为“Excel 工作簿 (.xlsx)”后再导入")
            )
        return _read_csv(data)
    raise TableFileError(
        _("不支持的文件类型“%(suffix)s”，请使用 Excel (.xlsx) 或 CSV (.csv) 文件") % {"suffix": suffix or _("无扩展名")}
    )


def _megabytes(size: int) -> str:
    return f"{size / MEGABYTE:.1f}".removesuffix(".0")


def cell_text(value: object) -> str:
    """Turn a cell value into the text a person sees: whole numbers without ".0", dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # repr gives the shortest text that reads back as the same float: the 15
        # digits Excel shows, not the binary expansion (4.10823195001011e17 must not
        # become 410823195001011008).
        number = Decimal(repr(value))
        if value.is_integer():
            number = number.to_integral_value()
        return format(number, "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    text = str(value).strip()
    if _WHOLE_NUMBER_TEXT.fullmatch(text):
        return text.split(".", 1)[0]
    return text


# --- finding the header -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Merge:
    """A merged range: rows 1-based as in Excel, columns 0-based as list indexes."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int

    def covers_rows(self, upper: int, lower: int) -> bool:
        return self.first_row <= upper and self.last_row >= lower


def _build_table(
    *,
    records: RecordReader,
    merges_up_to: Callable[[int], list[_Merge]],
    head_records: Generator[tuple[int, list[str]], None, None] | None = None,
) -> Table:
    """Find the header in the first rows (`head_records`, else a fresh read) and make the Table."""
    with closing(head_records if head_records is not None else records()) as rows:
        head: list[tuple[int, list[str]]] = []
        for line, cells in rows:
            if any(cells):
                head.append((line, cells))
                if len(head) >= _HEAD_ROWS:
                    break
    if not head:
        raise TableFileError(_("文件里没有内容：找不到表头"))
    merges = merges_up_to(head[-1][0])
    header_line, header_height, headers = _find_header(head, merges)
    while headers and not headers[-1]:
        headers.pop()
    return Table(headers=headers, header_line=header_line, header_height=header_height, records=records)


def _filled(cells: Sequence[str]) -> int:
    return sum(1 for cell in cells if cell)


def _find_header(head: list[tuple[int, list[str]]], merges: list[_Merge]) -> tuple[int, int, list[str]]:
    """Return the header's first line, its height (1 or 2) and its column names."""
    counts = [_filled(cells) for _line, cells in head]
    fullest = max(counts)
    needed = max(2, (fullest + 1) // 2) if fullest >= 2 else 1
    index = next(i for i, count in enumerate(counts) if count >= needed)
    line, cells = head[index]

    if index + 1 < len(head) and head[index + 1][0] == line + 1:
        below = head[index + 1][1]
        groups = _groups(line, cells, below, merges)
        if _is_sub_header(line, cells, below, groups, merges):
            return line, 2, _combine(cells, below, groups)
    if index > 0 and head[index - 1][0] == line - 1:
        # A sparse upper row ("基本情况" and "联系人" over many columns) was passed over;
        # only a merge running down through both rows proves it belongs to the header.
        above_line, above = head[index - 1]
        groups = _groups(above_line, above, cells, merges)
        if any(m.covers_rows(above_line, line) for m in merges) and _is_sub_header(
            above_line, above, cells, groups, merges
        ):
            return above_line, 2, _combine(above, cells, groups)
    names = _clean_all(cells)
    for merge in merges:
        if merge.first_row == line and merge.last_col > merge.first_col:
            _fill(names, merge.first_col, merge.last_col)
    return line, 1, names


def _groups(line: int, upper: list[str], lower: list[str], merges: list[_Merge]) -> list[tuple[int, int]]:
    """The column ranges that one upper header cell stands over.

    With merged cells in the upper row, those are the groups. Without (a CSV, or a
    sheet whose cells were unmerged), a filled cell followed by empty ones heads a
    group as far as the row below has sub-headers under the empty cells.
    """
    merged = [(m.first_col, m.last_col) for m in merges if m.first_row == line and m.last_col > m.first_col]
    if merged:
        return merged
    groups: list[tuple[int, int]] = []
    for start, text in enumerate(upper):
        if not text:
            continue
        end = start
        while end + 1 < len(lower) and not _at(upper, end + 1) and lower[end + 1]:
            end += 1
        if end > start:
            groups.append((start, end))
    return groups


def _is_sub_header(
    line: int, upper: list[str], lower: list[str], groups: list[tuple[int, int]], merges: list[_Merge]
) -> bool:
    """Whether `lower` names the columns under `upper`'s groups rather than being data.

    A data row has something under a single-column header such as 姓名; a sub-header
    row has text only under groups and under empty header cells.
    """
    if not any(lower):
        return False
    grouped = {column for start, end in groups for column in range(start, end + 1)}
    for column, text in enumerate(lower):
        if text and column not in grouped and _at(upper, column):
            return False
    return bool(grouped) or any(m.covers_rows(line, line + 1) for m in merges)


def _combine(upper: list[str], lower: list[str], groups: list[tuple[int, int]]) -> list[str]:
    width = max(len(upper), len(lower), *(end + 1 for _start, end in groups))
    uppers = _clean_all(upper) + [""] * (width - len(upper))
    lowers = _clean_all(lower) + [""] * (width - len(lower))
    for start, end in groups:
        _fill(uppers, start, end)
    names = []
    for top, bottom in zip(uppers, lowers, strict=True):
        names.append(top + bottom if top and bottom and top != bottom else top or bottom)
    return names


def _fill(names: list[str], start: int, end: int) -> None:
    if end >= len(names):
        names.extend([""] * (end + 1 - len(names)))
    for column in range(start + 1, end + 1):
        names[column] = names[start]


def _at(cells: Sequence[str], column: int) -> str:
    return cells[column] if column < len(cells) else ""


def _clean_all(cells: Sequence[str]) -> list[str]:
    return [_WHITESPACE.sub("", cell.lstrip("\ufeff")) for cell in cells]


# --- CSV --------------------------------------------------------------------------------


def _read_csv(data: bytes) -> Table:
    encoding = _detect_encoding(data)
    delimiter = _detect_delimiter(data[:65536].decode(encoding, errors="ignore"))

    def records() -> Generator[tuple[int, list[str]], None, None]:
        # Excel shows a quoted cell with a line break as one row, so the line is the
        # record's position, not csv's physical line count.
        text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
        reader = csv.reader(text, delimiter=delimiter)
        line = 0
        try:
            for line, record in enumerate(reader, start=1):
                yield line, [cell_text(value) for value in record]
        except csv.Error as error:
            raise TableFileError(
                _("CSV 文件第%(line)d行格式有误：%(error)s") % {"line": line + 1, "error": error}
            ) from None

    return _build_table(records=records, merges_up_to=lambda _last_line: [])


def _detect_encoding(data: bytes) -> str:
    # Excel's "Unicode 文本" export is UTF-16 with a byte order mark, tab-separated.
    candidates = ("utf-16",) if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else ()
    for encoding in (*candidates, "utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(data), _CHUNK):
                decoder.decode(data[start : start + _CHUNK])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise TableFileError(_("无法识别文件的字符编码，请另存为 UTF-8 或 GBK 编码的 CSV 文件"))


def _detect_delimiter(text: str) -> str:
    """Comma, unless the first line with a separator has more tabs than commas."""
    for line in text.splitlines()[:_HEAD_ROWS]:
        commas, tabs = line.count(","), line.count("\t")
        if commas or tabs:
            return "\t" if tabs > commas else ","
    return ","


# --- Excel ------------------------------------------------------------------------------


def _not_excel() -> TableFileError:
    return TableFileError(
        _(
            "文件不是有效的 Excel (.xlsx) 文件，可能是其他文件改了扩展名或文件已损坏；"
            "请用 Excel 打开后另存为“Excel 工作簿 (.xlsx)”再导入"
        )
    )


# What openpyxl and zipfile raise on a damaged or foreign file; ParseError is a SyntaxError.
_BROKEN_FILE = (
    zipfile.BadZipFile,
    zlib.error,
    InvalidFileException,
    KeyError,
    ValueError,
    TypeError,
    SyntaxError,
    OSError,
    EOFError,
)


def _read_xlsx(data: bytes) -> Table:
    if data.startswith(_OLE_MAGIC):
        raise TableFileError(
            _(
                "文件是旧版 Excel (.xls) 格式或设置了打开密码："
                "请去掉密码，并在 Excel 中另存为“Excel 工作簿 (.xlsx)”后再导入"
            )
        )
    if not data.startswith(_ZIP_MAGIC):
        raise _not_excel()
    workbook = _open_workbook(data)
    try:
        # openpyxl's read-only sheet knows where its XML lives in the zip; the merged
        # ranges are read from there.
        sheet_path: str = _first_sheet(workbook)._worksheet_path
    except TableFileError:
        workbook.close()
        raise
    # The header is read from the workbook already open: opening one parses the
    # whole sheet when it lacks a <dimension>, as files written by openpyxl do.
    return _build_table(
        records=partial(_sheet_records, data),
        merges_up_to=lambda last_line: _merged_ranges(data, sheet_path, last_line),
        head_records=_sheet_records(data, workbook),
    )


def _sheet_records(data: bytes, workbook: Any = None) -> Generator[tuple[int, list[str]], None, None]:
    """Yield every row of the first sheet; the workbook is opened unless given, and closed at the end."""
    if workbook is None:
        workbook = _open_workbook(data)
    try:
        sheet = _first_sheet(workbook)
        # Some programs write a wrong <dimension>; without it, every row is read.
        sheet.reset_dimensions()
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield line, [cell_text(value) for value in values]
    except TableFileError:
        raise
    except _BROKEN_FILE:
        raise _not_excel() from None
    finally:
        workbook.close()


def _open_workbook(data: bytes) -> Any:
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _BROKEN_FILE:
        raise _not_excel() from None


def _first_sheet(workbook: Any) -> Any:
    if not workbook.worksheets:
        raise TableFileError(_("Excel 文件里没有工作表"))
    return workbook.worksheets[0]


def _merged_ranges(data: bytes, sheet_path: str, last_line: int) -> list[_Merge]:
    """Read the merged ranges that start on or above `last_line` from the sheet's XML.

    A read-only worksheet does not load merged cells, and loading the whole sheet
    would hold every cell in memory. The <mergeCell> elements follow the rows in the
    XML, so the sheet is scanned as a byte stream, a megabyte at a time.
    """
    merges: list[_Merge] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(sheet_path.lstrip("/")) as stream:
            tail = b""
            while chunk := stream.read(_CHUNK):
                buffer = tail + chunk
                end = 0
                if b"mergeCell" in buffer:
                    for match in _MERGE_CELL.finditer(buffer):
                        end = match.end()
                        first_col, first_row, last_col, last_row = match.groups()
                        merge = _Merge(
                            first_row=int(first_row),
                            first_col=column_index_from_string(first_col.decode()) - 1,
                            last_row=int(last_row or first_row),
                            last_col=column_index_from_string((last_col or first_col).decode()) - 1,
                        )
                        if merge.first_row <= last_line:
                            merges.append(merge)
                # Keep the end of the buffer: an element may be cut between two chunks.
                tail = buffer[max(end, len(buffer) - 512) :]
    except _BROKEN_FILE:
        raise _not_excel() from None
    return merges
