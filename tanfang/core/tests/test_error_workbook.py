"""The workbook of rows and their errors, handed back after a failed import, read back with openpyxl."""

from __future__ import annotations

import io
from collections.abc import Iterator

from openpyxl import load_workbook

from tanfang.core.error_workbook import write_error_workbook
from tanfang.core.tabular import TableRow

HEADERS = ["姓名", "公民身份号码", "联系电话"]
LIGHT_RED = "FFFFC7CE"


def read_back(data: bytes):
    return load_workbook(io.BytesIO(data)).worksheets[0]


def test_rows_come_back_with_their_errors_in_the_first_column() -> None:
    # Given two rows, the second with two errors
    rows = [
        TableRow(3, ["张三", "410823195001011234", "13800138000"]),
        TableRow(5, ["李四", "41082319500101", ""]),
    ]
    errors = {5: [("公民身份号码", "应为18位"), ("联系电话", "不能为空")]}

    # When writing the workbook and reading it back
    sheet = read_back(write_error_workbook(HEADERS, rows, errors))

    # Then the header has 错误说明 and the original line first, and every row keeps its cells
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["错误说明", "原行号", "姓名", "公民身份号码", "联系电话"],
        [None, 3, "张三", "410823195001011234", "13800138000"],
        ["公民身份号码: 应为18位；联系电话: 不能为空", 5, "李四", "41082319500101", None],
    ]


def test_bad_rows_are_light_red_and_good_rows_are_not() -> None:
    # Given a good row and a bad one
    rows = [TableRow(2, ["张三", "410823195001011234", "13800138000"]), TableRow(3, ["李四", "", ""])]

    # When writing the workbook
    sheet = read_back(write_error_workbook(HEADERS, rows, {3: [("公民身份号码", "不能为空")]}))

    # Then every cell of the bad row, empty ones included, is filled light red
    assert [cell.fill.fgColor.rgb for cell in sheet[3]] == [LIGHT_RED] * 5
    assert [cell.fill.fill_type for cell in sheet[2]] == [None] * 5


def test_header_is_bold_and_frozen() -> None:
    # When writing a workbook
    sheet = read_back(write_error_workbook(HEADERS, [], {}))

    # Then the header row is bold and stays in view when scrolling
    assert [cell.font.b for cell in sheet[1]] == [True] * 5
    assert sheet.freeze_panes == "A2"


def test_cells_stay_text_even_when_they_look_like_formulas_or_hold_control_characters() -> None:
    # Given cells a spreadsheet would take for a formula, and a stray control character
    rows = [
        TableRow(2, ['=HYPERLINK("http://example.com")', "41082319500101123X", "138\x0000138000"]),
        TableRow(3, ["=1+1", "41082319500101123X", ""]),
    ]

    # When writing the workbook, the second row being bad
    sheet = read_back(write_error_workbook(HEADERS, rows, {3: [("姓名", "格式不对")]}))

    # Then the formula texts are text, and the control character is dropped
    assert list(sheet.iter_rows(min_row=2, values_only=True)) == [
        (None, 2, '=HYPERLINK("http://example.com")', "41082319500101123X", "13800138000"),
        ("姓名: 格式不对", 3, "=1+1", "41082319500101123X", None),
    ]
    assert (sheet["C2"].data_type, sheet["C3"].data_type) == ("s", "s")


def test_rows_longer_than_the_header_keep_their_extra_cells() -> None:
    rows = [TableRow(2, ["张三", "410823195001011234", "13800138000", "多出的一格"])]

    sheet = read_back(write_error_workbook(HEADERS, rows, {}))

    assert list(sheet.iter_rows(min_row=2, values_only=True)) == [
        (None, 2, "张三", "410823195001011234", "13800138000", "多出的一格")
    ]


def test_errors_for_lines_not_among_the_rows_are_left_out() -> None:
    # Given an error about a line that is not a data row (the header, say)
    rows = [TableRow(2, ["张三", "410823195001011234", "13800138000"])]

    # When writing the workbook
    sheet = read_back(write_error_workbook(HEADERS, rows, {1: [("姓名", "表头有误")]}))

    # Then only the header and the one row are there
    assert sheet.max_row == 2
    assert sheet["A2"].value is None


def test_rows_are_taken_from_a_generator_one_at_a_time() -> None:
    # Given 5,000 rows coming from a generator, every 10th with an error
    def generate() -> Iterator[TableRow]:
        for line in range(2, 5002):
            yield TableRow(line, [f"老人{line}", f"4108231950{line:08d}", ""])

    errors = {line: [("联系电话", "不能为空")] for line in range(2, 5002, 10)}

    # When writing the workbook
    sheet = read_back(write_error_workbook(HEADERS, generate(), errors))

    # Then every row is there, in order, with its error where it had one
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(values) == 5000
    assert values[0] == ("联系电话: 不能为空", 2, "老人2", "410823195000000002", None)
    assert values[1] == (None, 3, "老人3", "410823195000000003", None)
    assert values[-1] == (None, 5001, "老人5001", "410823195000005001", None)
