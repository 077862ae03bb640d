"""Reading uploaded CSV and Excel tables: encodings, title rows, merged headers, Excel's numbers, bad files."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator, Sequence

import pytest
from openpyxl import Workbook

from tanfang.core.tabular import Table, TableFileError, TableRow, read_table


def xlsx(rows: Sequence[Sequence[object]], merges: Sequence[str] = (), workbook: Workbook | None = None) -> bytes:
    """An .xlsx file whose first sheet holds the rows, with the given ranges merged."""
    workbook = workbook or Workbook()
    sheet = workbook.worksheets[0]
    for row in rows:
        sheet.append(list(row))
    for cell_range in merges:
        sheet.merge_cells(cell_range)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def all_rows(table: Table) -> list[tuple[int, list[str]]]:
    return [(row.line, row.cells) for row in table.rows()]


# --- CSV --------------------------------------------------------------------------------


def test_csv_headers_lose_their_whitespace_and_lines_count_like_excel() -> None:
    # Given a UTF-8 CSV whose header has spaces and a line break inside a quoted cell
    data = csv_bytes(' 姓名 ,"联系\n电话",现居住 地址', "张三 , 13800138000 ,木城街道 建设路1号")

    # When reading it
    table = read_table(data, "名单.csv")

    # Then the header is clean, and the data row is line 2, as Excel shows it
    assert table.headers == ["姓名", "联系电话", "现居住地址"]
    assert table.header_line == 1
    assert table.header_height == 1
    assert all_rows(table) == [(2, ["张三", "13800138000", "木城街道 建设路1号"])]


def test_csv_with_utf8_bom_is_read() -> None:
    # Given a CSV saved by Excel as "CSV UTF-8", which starts with a BOM
    data = b"\xef\xbb\xbf" + csv_bytes("姓名,性别", "张三,男")

    # When reading it
    table = read_table(data, "名单.csv")

    # Then the BOM is not part of the first header
    assert table.headers == ["姓名", "性别"]
    assert all_rows(table) == [(2, ["张三", "男"])]


def test_gbk_csv_is_read() -> None:
    # Given a CSV saved by a Chinese Windows Excel, in GBK
    data = csv_bytes("姓名,现居住地址", "张三,武陟县木城街道", encoding="gbk")

    # When reading it
    table = read_table(data, "名单.CSV")

    # Then the Chinese text comes back
    assert table.headers == ["姓名", "现居住地址"]
    assert all_rows(table) == [(2, ["张三", "武陟县木城街道"])]


def test_tab_separated_csv_is_read() -> None:
    # Given a tab-separated file with no comma in its header, but one in an address
    data = csv_bytes("姓名\t现居住地址", "张三\t建设路1号,2单元")

    # When reading it
    table = read_table(data, "名单.csv")

    # Then the tabs separate the columns
    assert table.headers == ["姓名", "现居住地址"]
    assert all_rows(table) == [(2, ["张三", "建设路1号,2单元"])]


def test_excel_unicode_text_export_is_read() -> None:
    # Given Excel's "Unicode 文本" export: UTF-16 with a byte order mark, tab-separated
    data = "姓名\t性别\r\n张三\t男\r\n".encode("utf-16")

    # When reading it
    table = read_table(data, "名单.csv")

    # Then the text and the columns come back
    assert table.headers == ["姓名", "性别"]
    assert all_rows(table) == [(2, ["张三", "男"])]


def test_csv_blank_rows_are_skipped_but_keep_line_numbers() -> None:
    # Given a CSV with an empty line and a line of empty cells between its rows
    data = csv_bytes("姓名,性别", "张三,男", "", ",", "李四,女")

    # When reading its rows
    rows = all_rows(read_table(data, "名单.csv"))

    # Then the blank lines are gone and 李四 is still on line 5
    assert rows == [(2, ["张三", "男"]), (5, ["李四", "女"])]


def test_csv_number_text_loses_a_trailing_point_zero() -> None:
    # Given a CSV written by a script that saved the phone column as floats
    data = csv_bytes("姓名,联系电话,能力评估得分", "张三,13800138000.0,85.5")

    # When reading its rows
    rows = all_rows(read_table(data, "名单.csv"))

    # Then the phone is its digits and a real fraction is kept
    assert rows == [(2, ["张三", "13800138000", "85.5"])]


def test_csv_two_row_header_without_merges_combines_the_group() -> None:
    # Given a CSV exported from a sheet with a two-row header: the group name stands over empty cells
    data = csv_bytes("姓名,紧急联系人,,备注,,", ",姓名,电话,,,", "张三,李四,13900139000,,,")

    # When reading it
    table = read_table(data, "名单.csv")

    # Then the group's columns are named after it, and the data starts on line 3
    assert table.headers == ["姓名", "紧急联系人姓名", "紧急联系人电话", "备注"]
    assert (table.header_line, table.header_height) == (1, 2)
    assert all_rows(table) == [(3, ["张三", "李四", "13900139000", ""])]


def test_csv_first_data_row_is_not_taken_for_a_sub_header() -> None:
    # Given a header with an unnamed column, and a first data row that fills it
    data = csv_bytes("姓名,联系电话,,备注", "张三,13800138000,13900139000,")

    # When reading it
    table = read_table(data, "名单.csv")

    # Then the header is one row and 张三 is data
    assert table.headers == ["姓名", "联系电话", "", "备注"]
    assert table.header_height == 1
    assert all_rows(table) == [(2, ["张三", "13800138000", "13900139000", ""])]


def test_csv_with_excel_content_is_read_as_excel() -> None:
    # Given an Excel workbook someone named .csv
    data = xlsx([["姓名", "性别"], ["张三", "男"]])

    # When reading it
    table = read_table(data, "名单.csv")

    # Then its rows are read all the same
    assert table.headers == ["姓名", "性别"]
    assert all_rows(table) == [(2, ["张三", "男"])]


def test_csv_in_no_known_encoding_is_refused() -> None:
    # Given bytes that are neither UTF-8 nor GB18030
    data = b"\x80\xff,\x80\n"

    # When reading them; then the person is asked to save as UTF-8 or GBK
    with pytest.raises(TableFileError) as caught:
        read_table(data, "名单.csv")
    assert caught.value.message == "无法识别文件的字符编码，请另存为 UTF-8 或 GBK 编码的 CSV 文件"


# --- Excel: header ----------------------------------------------------------------------


def test_title_row_merged_above_the_header_is_skipped() -> None:
    # Given a roster with its title merged across the columns in row 1
    data = xlsx(
        [["武陟县特殊困难老年人台账"], ["姓名", "性别", "公民身份号码"], ["张三", "男", "410823195001011234"]],
        merges=["A1:C1"],
    )

    # When reading it
    table = read_table(data, "台账.xlsx")

    # Then row 2 is the header and row 3 the first data row
    assert table.headers == ["姓名", "性别", "公民身份号码"]
    assert (table.header_line, table.header_height) == (2, 1)
    assert all_rows(table) == [(3, ["张三", "男", "410823195001011234"])]


def test_notes_row_with_two_cells_above_the_header_is_skipped() -> None:
    # Given a title, then "填报单位" and "填报日期" in two merged cells, then the header
    data = xlsx(
        [
            ["武陟县特殊困难老年人台账"],
            ["填报单位：木城街道", None, None, "填报日期：2024-05-01"],
            ["姓名", "性别", "公民身份号码", "联系电话", "现居住地址"],
            ["张三", "男", "410823195001011234", "13800138000", "建设路1号"],
        ],
        merges=["A1:E1", "A2:C2", "D2:E2"],
    )

    # When reading it
    table = read_table(data, "台账.xlsx")

    # Then row 3 is the header
    assert table.headers == ["姓名", "性别", "公民身份号码", "联系电话", "现居住地址"]
    assert (table.header_line, table.header_height) == (3, 1)
    assert [row.line for row in table.rows()] == [4]


def test_two_row_header_combines_merged_group_with_its_sub_headers() -> None:
    # Given a title, then a two-row header: single columns merged down, 紧急联系人 merged over 姓名 and 电话
    data = xlsx(
        [
            ["武陟县特殊困难老年人台账"],
            ["姓名", "公民身份号码", "紧急联系人", None, "备注"],
            [None, None, "姓名", "电话", None],
            ["张三", "410823195001011234", "李四", "13900139000", "独居"],
        ],
        merges=["A1:E1", "A2:A3", "B2:B3", "C2:D2", "E2:E3"],
    )

    # When reading it
    table = read_table(data, "台账.xlsx")

    # Then the group and sub-header names are joined, and data starts on line 4
    assert table.headers == ["姓名", "公民身份号码", "紧急联系人姓名", "紧急联系人电话", "备注"]
    assert (table.header_line, table.header_height) == (2, 2)
    assert all_rows(table) == [(4, ["张三", "410823195001011234", "李四", "13900139000", "独居"])]


def test_sparse_upper_header_row_joined_through_a_merge_running_down() -> None:
    # Given an upper header row with only broad groups, tied to the row below by 序号 merged down
    data = xlsx(
        [
            ["序号", "基本情况", None, None, "紧急联系人", None],
            [None, "姓名", "性别", "公民身份号码", "姓名", "电话"],
            [1, "张三", "男", "410823195001011234", "李四", "13900139000"],
        ],
        merges=["A1:A2", "B1:D1", "E1:F1"],
    )

    # When reading it
    table = read_table(data, "台账.xlsx")

    # Then both rows form the header
    assert table.headers == [
        "序号",
        "基本情况姓名",
        "基本情况性别",
        "基本情况公民身份号码",
        "紧急联系人姓名",
        "紧急联系人电话",
    ]
    assert (table.header_line, table.header_height) == (1, 2)
    assert [row.line for row in table.rows()] == [3]


def test_two_row_header_block_merged_over_two_columns_names_both() -> None:
    # Given a two-row header whose 现居住地址 is one block merged over two columns and both rows
    data = xlsx(
        [
            ["姓名", "紧急联系人", None, "现居住地址", None],
            [None, "姓名", "电话", None, None],
            ["张三", "李四", "13900139000", "木城街道", "建设路1号"],
        ],
        merges=["A1:A2", "B1:C1", "D1:E2"],
    )

    # When reading it
    table = read_table(data, "台账.xlsx")

    # Then both address columns carry the name, though the row below names neither
    assert table.headers == ["姓名", "紧急联系人姓名", "紧急联系人电话", "现居住地址", "现居住地址"]
    assert (table.header_line, table.header_height) == (1, 2)


def test_merged_header_cell_without_sub_headers_names_every_column() -> None:
    # Given a header whose 现居住地址 is merged over two columns, followed straight by data
    data = xlsx(
        [["姓名", "现居住地址", None, "备注"], ["张三", "木城街道", "建设路1号", ""]],
        merges=["B1:C1"],
    )

    # When reading it
    table = read_table(data, "台账.xlsx")

    # Then both columns carry the name and the data row stays data
    assert table.headers == ["姓名", "现居住地址", "现居住地址", "备注"]
    assert table.header_height == 1
    assert all_rows(table) == [(2, ["张三", "木城街道", "建设路1号", ""])]


def test_only_the_first_worksheet_is_read() -> None:
    # Given a workbook whose second sheet, the active one, holds other data
    workbook = Workbook()
    other = workbook.create_sheet("说明")
    other.append(["填表说明", "不要读"])
    workbook.active = 1
    data = xlsx([["姓名", "性别"], ["张三", "男"]], workbook=workbook)

    # When reading it
    table = read_table(data, "台账.xlsx")

    # Then the first sheet is the one read
    assert table.headers == ["姓名", "性别"]
    assert all_rows(table) == [(2, ["张三", "男"])]


# --- Excel: cells and rows --------------------------------------------------------------


def test_excel_numbers_dates_and_empty_cells_come_back_as_text() -> None:
    # Given numbers as Excel stores them: an old 15-digit ID as a number, a code and a phone as
    # floats the way other programs write them ("4.10823001001E+11", "13800138000.0"), dates
    data = xlsx(
        [
            ["公民身份号码", "区划代码", "联系电话", "认定日期", "登记时间", "能力评估得分", "备注"],
            [410823500101123, 410823001001, 13800138000, dt.date(2024, 3, 1), dt.datetime(2024, 3, 2, 9, 30), 85.5],
        ]
    )
    data = _rewrite_member(
        data,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"<v>410823001001</v>", b"<v>4.10823001001E+11</v>").replace(
            b"<v>13800138000</v>", b"<v>13800138000.0</v>"
        ),
    )

    # When reading the row
    rows = all_rows(read_table(data, "台账.xlsx"))

    # Then every value is the text a person sees in Excel
    assert rows == [(2, ["410823500101123", "410823001001", "13800138000", "2024-03-01", "2024-03-02", "85.5", ""])]


def test_18_digit_id_stored_as_a_number_keeps_excels_15_digits() -> None:
    # Given an 18-digit ID number Excel turned into a number, its last digits lost
    data = xlsx([["姓名", "公民身份号码"], ["张三", 4.10823195001011e17]])

    # When reading the row
    rows = all_rows(read_table(data, "台账.xlsx"))

    # Then the digits are the ones Excel shows, not the float's binary expansion (…011008)
    assert rows == [(2, ["张三", "410823195001011000"])]


def test_excel_blank_rows_are_skipped_but_keep_line_numbers() -> None:
    # Given a sheet with an empty row and a row of spaces between the data
    data = xlsx([["姓名", "性别"], ["张三", "男"], [], ["  ", None], ["李四", "女"]])

    # When reading its rows
    rows = all_rows(read_table(data, "台账.xlsx"))

    # Then 李四 is still on line 5
    assert rows == [(2, ["张三", "男"]), (5, ["李四", "女"])]


def test_short_rows_are_padded_to_the_header() -> None:
    # Given a row that stops before the last columns
    data = xlsx([["姓名", "性别", "备注"], ["张三"]])

    # When reading its rows; then every header has a cell
    assert all_rows(read_table(data, "台账.xlsx")) == [(2, ["张三", "", ""])]


def test_rows_can_be_read_again_and_are_streamed() -> None:
    # Given a table
    table = read_table(xlsx([["姓名"], ["张三"], ["李四"]]), "台账.xlsx")

    # When reading its rows twice
    first = table.rows()
    second = list(table.rows())

    # Then the rows come from a generator, and the same both times
    assert isinstance(first, Iterator)
    assert not isinstance(first, list)
    assert list(first) == second == [TableRow(2, ["张三"]), TableRow(3, ["李四"])]


def test_a_wrong_sheet_dimension_does_not_cut_the_rows() -> None:
    # Given a workbook whose sheet claims to be only the cell A1, as some programs write it
    data = xlsx([["姓名", "性别"], ["张三", "男"], ["李四", "女"]])
    data = _rewrite_member(
        data, "xl/worksheets/sheet1.xml", lambda xml: re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1"', xml)
    )

    # When reading it
    table = read_table(data, "台账.xlsx")

    # Then every column and row is read
    assert table.headers == ["姓名", "性别"]
    assert all_rows(table) == [(2, ["张三", "男"]), (3, ["李四", "女"])]


def _rewrite_member(data: bytes, name: str, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            target.writestr(item, change(content) if item.filename == name else content)
    return buffer.getvalue()


# --- files that cannot be read ------------------------------------------------------------


def test_text_file_renamed_xlsx_is_refused() -> None:
    with pytest.raises(TableFileError) as caught:
        read_table(csv_bytes("姓名,性别", "张三,男"), "台账.xlsx")

    assert caught.value.message.startswith("文件不是有效的 Excel (.xlsx) 文件")


def test_damaged_zip_named_xlsx_is_refused() -> None:
    with pytest.raises(TableFileError) as caught:
        read_table(b"PK\x03\x04 broken", "台账.xlsx")

    assert caught.value.message.startswith("文件不是有效的 Excel (.xlsx) 文件")


def test_old_xls_file_is_refused_with_a_request_to_save_as_xlsx() -> None:
    with pytest.raises(TableFileError) as caught:
        read_table(bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 504, "台账.xls")

    assert caught.value.message == "不支持旧版 Excel (.xls) 文件，请在 Excel 中另存为“Excel 工作簿 (.xlsx)”后再导入"


def test_xls_content_named_xlsx_is_refused_with_a_request_to_save_as_xlsx() -> None:
    with pytest.raises(TableFileError) as caught:
        read_table(bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 504, "台账.xlsx")

    assert caught.value.message == (
        "文件是旧版 Excel (.xls) 格式或设置了打开密码：请去掉密码，并在 Excel 中另存为“Excel 工作簿 (.xlsx)”后再导入"
    )


def test_empty_file_is_refused() -> None:
    with pytest.raises(TableFileError) as caught:
        read_table(b"", "台账.xlsx")

    assert caught.value.message == "文件是空的"


@pytest.mark.parametrize(
    ("data", "filename"),
    [(csv_bytes("", " , ", ""), "台账.csv"), (xlsx([[None], [" "]]), "台账.xlsx")],
    ids=["csv", "xlsx"],  # generated bytes differ between runs; xdist needs stable ids
)
def test_file_without_any_text_is_refused(data: bytes, filename: str) -> None:
    with pytest.raises(TableFileError) as caught:
        read_table(data, filename)

    assert caught.value.message == "文件里没有内容：找不到表头"


def test_file_over_the_size_limit_is_refused_naming_the_limit() -> None:
    # Given a file one byte over a 1 MB limit
    data = b"x" * (1024 * 1024 + 1)

    # When reading it; then the message names the limit in MB
    with pytest.raises(TableFileError) as caught:
        read_table(data, "台账.csv", max_bytes=1024 * 1024)
    assert caught.value.message == "文件太大：超过 1 MB 的上限，请拆分成几个文件分批导入"


def test_file_at_the_size_limit_is_read() -> None:
    data = csv_bytes("姓名", "张三")

    table = read_table(data, "台账.csv", max_bytes=len(data))

    assert table.headers == ["姓名"]


@pytest.mark.parametrize(("filename", "shown"), [("台账.docx", ".docx"), ("台账", "无扩展名")])
def test_unknown_file_type_is_refused(filename: str, shown: str) -> None:
    with pytest.raises(TableFileError) as caught:
        read_table(csv_bytes("姓名"), filename)

    assert caught.value.message == f"不支持的文件类型“{shown}”，请使用 Excel (.xlsx) 或 CSV (.csv) 文件"
