"""Roster files for import tests, built in memory."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook

CIVIL_AFFAIRS_HEADER = (
    "姓名",
    "性别",
    "公民身份号码",
    "联系电话",
    "现居住地区划代码",
    "现居住地址",
    "特殊困难类别",
    "紧急联系人",
    "紧急联系人电话",
)


def roster_rows(rows: Sequence[Sequence[str]]) -> list[list[str]]:
    """Short rows (name, ID number, village[, groups]) padded into the civil-affairs columns."""
    full = []
    for row in rows:
        name, number, village, *rest = row
        groups = rest[0] if rest else "独居"
        full.append([name, "", number, "13800138000", village, "1组5号", groups, "王小明", "13912345678"])
    return full


def roster_csv(
    rows: Sequence[Sequence[str]], *, encoding: str = "utf-8", header: Sequence[str] = CIVIL_AFFAIRS_HEADER
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(roster_rows(rows))
    return buffer.getvalue().encode(encoding)


def roster_xlsx(rows: Sequence[Sequence[object]], *, header: Sequence[str] = CIVIL_AFFAIRS_HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
