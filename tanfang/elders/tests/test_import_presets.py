"""Matching roster headers to elder fields: the presets of each source and a custom mapping."""

from __future__ import annotations

import pytest

from tanfang.core.tabular import TableRow
from tanfang.elders.import_presets import (
    PRESETS,
    ColumnMapError,
    ImportField,
    MappedColumn,
    Source,
    header_key,
    map_columns,
    row_values,
)

CIVIL_AFFAIRS_HEADERS = [
    "序号",
    "姓名",
    "性别",
    "公民身份号码",
    "联系电话",
    "现居住地区划代码",
    "现居住地址",
    "特殊困难类别",
    "紧急联系人姓名",
    "紧急联系人电话",
    "紧急联系人关系",
    "户籍地区划代码",
    "是否人户一致",
    "残疾证号",
    "残疾等级",
    "残疾类别",
    "低保特困",
    "能力评估得分",
    "能力等级",
    "认定日期",
    "备注",
]


def mapped(column_map) -> dict[str, int]:
    return {str(field): column.index for field, column in column_map.columns.items()}


def problems_of(headers: list[str], source: Source, custom: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ColumnMapError) as caught:
        map_columns(headers, source, custom)
    return caught.value.messages


# --- presets ------------------------------------------------------------------------------


def test_civil_affairs_roster_maps_every_field() -> None:
    # Given the full civil-affairs roster header, with a 序号 column no field wants
    # When mapping it
    column_map = map_columns(CIVIL_AFFAIRS_HEADERS, Source.CIVIL_AFFAIRS)

    # Then each field has its column, and 序号 is listed as ignored
    assert mapped(column_map) == {
        "name": 1,
        "sex": 2,
        "id_number": 3,
        "phone": 4,
        "village_code": 5,
        "address": 6,
        "groups": 7,
        "emergency_name": 8,
        "emergency_phone": 9,
        "emergency_relation": 10,
        "registered_village_code": 11,
        "lives_at_registration": 12,
        "disability_certificate": 13,
        "disability_grade": 14,
        "disability_type": 15,
        "subsistence": 16,
        "ability_score": 17,
        "ability_level": 18,
        "group_since": 19,
        "note": 20,
    }
    assert column_map.unknown_headers == ("序号",)


def test_civil_affairs_aliases_with_brackets_spaces_and_marks_are_matched() -> None:
    # Given the short and bracketed header names village staff write
    headers = ["* 姓名", "身份证号", "手机号", "村(居)代码", "家庭住址", "紧急联系人", "低保/特困", "ＩＤ"]

    # When mapping them
    column_map = map_columns(headers, Source.CIVIL_AFFAIRS)

    # Then they are recognised; an unknown header is ignored
    assert mapped(column_map) == {
        "name": 0,
        "id_number": 1,
        "phone": 2,
        "village_code": 3,
        "address": 4,
        "emergency_name": 5,
        "subsistence": 6,
    }
    assert column_map.unknown_headers == ("ＩＤ",)


def test_header_key_ignores_spaces_brackets_width_and_case() -> None:
    assert header_key(" 村（居） 代码 ") == header_key("村(居)代码") == "村居代码"
    assert header_key("Ｎａｍｅ") == header_key("NAME") == "name"


def test_health_commission_list_is_mapped() -> None:
    # Given the health commission's special-family list
    headers = ["姓名", "性别", "身份证号码", "联系电话", "村（居）代码", "家庭住址", "特扶类型", "认定日期"]

    # When mapping it
    column_map = map_columns(headers, Source.HEALTH_COMMISSION)

    # Then 特扶类型 is the special family type
    assert mapped(column_map) == {
        "name": 0,
        "sex": 1,
        "id_number": 2,
        "phone": 3,
        "village_code": 4,
        "address": 5,
        "special_family_type": 6,
        "group_since": 7,
    }
    assert column_map.unknown_headers == ()


def test_disabled_federation_list_is_mapped() -> None:
    # Given the disabled persons' federation list
    headers = [
        "姓名",
        "性别",
        "身份证号",
        "联系电话",
        "区划代码",
        "地址",
        "残疾证号",
        "残疾等级",
        "残疾类别",
        "认定日期",
    ]

    # When mapping it
    column_map = map_columns(headers, Source.DISABLED_FEDERATION)

    # Then the disability columns are found
    assert mapped(column_map) == {
        "name": 0,
        "sex": 1,
        "id_number": 2,
        "phone": 3,
        "village_code": 4,
        "address": 5,
        "disability_certificate": 6,
        "disability_grade": 7,
        "disability_type": 8,
        "group_since": 9,
    }


def test_disabled_federation_preset_ignores_civil_affairs_only_columns() -> None:
    # Given a federation list that also has a 特殊困难类别 column
    headers = ["姓名", "身份证号", "区划代码", "特殊困难类别"]

    # When mapping it; then that column is not read
    column_map = map_columns(headers, Source.DISABLED_FEDERATION)
    assert ImportField.GROUPS not in column_map.columns
    assert column_map.unknown_headers == ("特殊困难类别",)


def test_missing_required_column_is_named() -> None:
    # Given a roster without an ID number column
    # When mapping it; then the message names the column and how it may be written
    assert problems_of(["姓名", "现居住地区划代码"], Source.CIVIL_AFFAIRS) == [
        "缺少必需的列：公民身份号码（可用的列名：公民身份号码、身份证号、身份证号码、身份证、"
        "公民身份证号码、公民身份证号、身份证件号码）"
    ]


def test_every_missing_required_column_is_reported() -> None:
    messages = problems_of(["性别", "备注"], Source.HEALTH_COMMISSION)

    assert [message.split("（")[0] for message in messages] == [
        "缺少必需的列：姓名",
        "缺少必需的列：公民身份号码",
        "缺少必需的列：现居住地区划代码",
    ]
    assert messages[1].startswith("缺少必需的列：公民身份号码（可用的列名：身份证号码、")


def test_two_columns_for_one_field_are_refused() -> None:
    # Given a roster with both 身份证号 and 公民身份号码
    headers = ["姓名", "身份证号", "公民身份号码", "区划代码"]

    # When mapping it; then both columns are named
    assert problems_of(headers, Source.CIVIL_AFFAIRS) == [
        "第B列“身份证号”、第C列“公民身份号码”都对应“公民身份号码”，请只保留其中一列"
    ]


def test_every_preset_requires_name_id_number_and_village_code() -> None:
    expected = {ImportField.NAME, ImportField.ID_NUMBER, ImportField.VILLAGE_CODE}

    assert {source: preset.required for source, preset in PRESETS.items()} == {
        Source.CIVIL_AFFAIRS: expected,
        Source.HEALTH_COMMISSION: expected,
        Source.DISABLED_FEDERATION: expected,
    }


def test_sources_and_fields_have_chinese_labels() -> None:
    assert [str(source.label) for source in Source] == [
        "民政台账",
        "卫健委计划生育特殊家庭名单",
        "残联残疾人名单",
        "自定义映射",
    ]
    assert str(ImportField.VILLAGE_CODE.label) == "现居住地区划代码"


# --- custom mapping -----------------------------------------------------------------------


def test_custom_mapping_maps_only_what_it_names() -> None:
    # Given a file with its own header names, and the user's mapping
    headers = ["老人", "证件", "村代码", "手机"]
    custom = {"老人": "name", "证件 ": "id_number", "村代码": "village_code", "手机": ""}

    # When mapping it
    column_map = map_columns(headers, Source.CUSTOM, custom)

    # Then the named columns are mapped, a header left empty is ignored
    assert mapped(column_map) == {"name": 0, "id_number": 1, "village_code": 2}
    assert column_map.unknown_headers == ("手机",)


def test_custom_mapping_without_a_required_field_is_refused() -> None:
    problems = problems_of(["老人", "证件"], Source.CUSTOM, {"老人": "name", "证件": "id_number"})

    assert problems == ["缺少必需的列：现居住地区划代码（请在列对应关系中指定）"]


def test_custom_mapping_naming_a_missing_header_or_unknown_field_is_refused() -> None:
    custom = {"老人": "name", "证件": "id_number", "村代码": "village_code", "生日": "birthday", "电话": "phone"}

    problems = problems_of(["老人", "证件", "村代码"], Source.CUSTOM, custom)

    assert problems == ["列对应关系里的字段“birthday”不存在", "列对应关系里的列“电话”在文件表头中找不到"]


def test_custom_mapping_of_two_columns_to_one_field_is_refused() -> None:
    custom = {"老人": "name", "姓名": "name", "证件": "id_number", "村代码": "village_code"}

    problems = problems_of(["老人", "姓名", "证件", "村代码"], Source.CUSTOM, custom)

    assert problems == ["第A列“老人”、第B列“姓名”都对应“姓名”，请只保留其中一列"]


# --- values -------------------------------------------------------------------------------


def test_row_values_gives_each_mapped_field_its_raw_text() -> None:
    # Given a mapping and a row shorter than the header
    column_map = map_columns(["姓名", "身份证号", "区划代码", "备注"], Source.CIVIL_AFFAIRS)
    row = TableRow(4, ["张三", "410823195001011234", "410823001001"])

    # When taking the row's values
    values = row_values(column_map, row)

    # Then each field has its text, "" for the missing cell
    assert values == {"name": "张三", "id_number": "410823195001011234", "village_code": "410823001001", "note": ""}


def test_column_name_is_the_files_header_or_else_the_fields_label() -> None:
    column_map = map_columns(["姓名", "身份证号", "区划代码"], Source.DISABLED_FEDERATION)

    assert column_map.columns[ImportField.ID_NUMBER] == MappedColumn(1, "身份证号")
    assert column_map.column_name(ImportField.ID_NUMBER) == "身份证号"
    assert column_map.column_name(ImportField.DISABILITY_GRADE) == "残疾等级"
