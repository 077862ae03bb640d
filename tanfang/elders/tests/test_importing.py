"""Importing rosters: whole-file validation, all-or-nothing commit, matching, conflicts, provenance."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from tanfang.core.errors import ValidationFailed
from tanfang.core.id_numbers import make_citizen_id, mask_phone
from tanfang.devtools.factories import make_elder
from tanfang.elders.importing import commit_import, error_workbook, preview_import
from tanfang.elders.models import Elder, ElderGroup, ImportBatch, ImportConflict, ImportedRow
from tanfang.elders.tests.files import CIVIL_AFFAIRS_HEADER, roster_csv, roster_rows, roster_xlsx

JIANSHE = "410823001001"
HEPING = "410823001002"


def number(day: int, sequence: int = 21) -> str:
    return make_citizen_id("410823", dt.date(1950, 5, day), sequence)


def everything() -> list[object]:
    return [
        list(Elder.objects.order_by("pk").values()),
        list(ElderGroup.objects.order_by("pk").values()),
        list(ImportedRow.objects.order_by("pk").values()),
        list(ImportConflict.objects.order_by("pk").values()),
    ]


def preview(actor, content: bytes, name: str = "台账.csv", source: str = "civil_affairs") -> ImportBatch:
    return preview_import(actor=actor, content=content, file_name=name, source=source)


def test_a_clean_file_previews_then_commits_every_row(tree, officer_county_north):
    # given a roster of two elders
    content = roster_csv([("王一", number(1), JIANSHE, "独居、失能"), ("王二", number(2), HEPING, "空巢")])

    # when previewed, nothing is written yet
    batch = preview(officer_county_north, content)
    assert batch.state == ImportBatch.State.PREVIEWED
    assert batch.summary == {"new": 2, "matched": 0, "conflicts": 0}
    assert Elder.objects.count() == 0

    # and when committed, both are registered with groups, source and provenance
    result = commit_import(actor=officer_county_north, batch=batch)
    assert (result.created, result.matched) == (2, 0)
    first = Elder.objects.get(name="王一")
    assert first.region_id == JIANSHE and first.phone_masked == mask_phone("13800138000")
    assert set(first.groups.values_list("group", "source", "import_line")) == {
        ("living_alone", "civil_affairs", 2),
        ("disabled", "civil_affairs", 2),
    }
    assert first.contacts.get().name == "王小明"
    row = ImportedRow.objects.get(elder=first)
    assert (row.batch_id, row.line, row.created) == (batch.pk, 2, True)
    assert "id_number" in row.fields and "groups" in row.fields


def test_importing_the_same_file_again_changes_nothing(tree, officer_county_north):
    content = roster_csv([("王一", number(1), JIANSHE)])
    commit_import(actor=officer_county_north, batch=preview(officer_county_north, content))
    elders = list(Elder.objects.values())
    groups = list(ElderGroup.objects.values())

    again = preview(officer_county_north, content)
    assert again.summary == {"new": 0, "matched": 1, "conflicts": 0}
    commit_import(actor=officer_county_north, batch=again)

    assert list(Elder.objects.values()) == elders
    assert list(ElderGroup.objects.values()) == groups
    assert ImportConflict.objects.count() == 0


def test_a_known_id_number_adds_the_group_and_source_instead_of_a_second_elder(tree, officer_county_north):
    # given the village registered her as empty-nest
    existing = make_elder(officer_county_north, "李秀英", JIANSHE, birth=dt.date(1950, 5, 3), sequence=22)
    identity = make_citizen_id("410823", dt.date(1950, 5, 3), 22)

    # when the health commission's list names her as a special family-planning family
    header = ("姓名", "性别", "身份证号码", "联系电话", "村（居）代码", "家庭住址", "特扶类型", "认定日期")
    content = "\n".join([",".join(header), f"李秀英,女,{identity},,{JIANSHE},,独生子女死亡,2020-06-01"]).encode("gbk")
    batch = preview(officer_county_north, content, "卫健委名单.csv", "health_commission")
    commit_import(actor=officer_county_north, batch=batch)

    # then she is still one elder, now with the group from that source
    assert Elder.objects.count() == 1
    membership = ElderGroup.objects.get(elder=existing, group="special_family")
    assert (membership.source, membership.since, membership.import_batch_id) == (
        "health_commission",
        dt.date(2020, 6, 1),
        batch.pk,
    )


def test_another_name_for_the_same_id_number_is_a_conflict_never_an_overwrite(tree, officer_county_north):
    make_elder(officer_county_north, "张桂兰", JIANSHE, birth=dt.date(1950, 5, 4), sequence=22)
    identity = make_citizen_id("410823", dt.date(1950, 5, 4), 22)

    batch = preview(officer_county_north, roster_csv([("张桂芝", identity, JIANSHE)]))
    commit_import(actor=officer_county_north, batch=batch)

    assert Elder.objects.get().name == "张桂兰"
    conflict = ImportConflict.objects.get()
    assert (conflict.field, conflict.current_value, conflict.incoming_value, conflict.line) == (
        "name",
        "张桂兰",
        "张桂芝",
        2,
    )


BAD_ROWS = [
    ("王一", "410823195005011234", JIANSHE, "第2行 公民身份号码: 公民身份号码的校验码应为"),
    ("王二", "410823195002300212", JIANSHE, "第2行 公民身份号码: 公民身份号码中的出生日期 1950-02-30 不存在"),
    ("王三", "410823195102290012", JIANSHE, "出生日期 1951-02-29 不存在"),
    ("王四", "4108231950050121", JIANSHE, "应为18位，实际为16位"),
    ("王五", "41082319500501002Y", JIANSHE, "最后一位必须是数字或 X"),
    ("王六", make_citizen_id("410823", dt.date(1990, 1, 1), 21), JIANSHE, "未满60周岁"),
    ("王七", number(7), "410823999999", "第2行 现居住地区划代码: 区划代码 410823999999 不是已知的村（社区）"),
    ("王八", number(8), "410822001001", "区划代码 410822001001 不在您的辖区内"),
    ("", number(9), JIANSHE, "第2行 姓名: 请填写姓名"),
    ("王十", number(10), JIANSHE, "“五保”不是特殊困难类别"),
]


@pytest.mark.parametrize(("name", "identity", "village", "expected"), BAD_ROWS)
def test_a_bad_row_is_reported_by_line_and_column_and_nothing_is_written(
    tree, officer_county_north, name, identity, village, expected
):
    groups = "五保" if name == "王十" else "独居"
    content = roster_csv([(name, identity, village, groups)])
    before = everything()

    batch = preview(officer_county_north, content)

    assert batch.state == ImportBatch.State.INVALID
    messages = [f"第{e['line']}行 {e['column']}: {e['message']}" for e in batch.errors]
    assert any(expected in m for m in messages), messages
    with pytest.raises(ValidationFailed):
        commit_import(actor=officer_county_north, batch=batch)
    assert everything() == before


def test_sex_disagreeing_with_the_id_number_is_reported(tree, officer_county_north):
    rows = roster_rows([("王一", number(1, 21), JIANSHE)])
    rows[0][1] = "女"  # sequence 21 is odd: a man
    content = roster_xlsx(rows)

    batch = preview(officer_county_north, content, "台账.xlsx")

    assert batch.errors == [{"line": 2, "column": "性别", "message": "性别与公民身份号码不符：号码显示为男"}]


def test_one_bad_row_among_good_ones_commits_nothing(tree, officer_county_north):
    content = roster_csv([("王一", number(1), JIANSHE), ("王二", "123", JIANSHE), ("王三", number(3), JIANSHE)])
    before = everything()

    batch = preview(officer_county_north, content)

    assert batch.error_count == 1 and batch.row_count == 3
    assert everything() == before


def test_the_same_id_number_twice_in_a_file_names_the_first_line(tree, officer_county_north):
    content = roster_csv([("王一", number(1), JIANSHE), ("王一", number(1), JIANSHE)])

    batch = preview(officer_county_north, content)

    assert batch.errors == [{"line": 3, "column": "公民身份号码", "message": "与第2行的公民身份号码重复"}]


def test_a_missing_column_is_refused_before_any_row(tree, officer_county_north):
    header = tuple(h for h in CIVIL_AFFAIRS_HEADER if h != "公民身份号码")
    content = "\n".join([",".join(header), "王一,男,,,410823001001,,,,"]).encode()

    with pytest.raises(ValidationFailed) as excinfo:
        preview(officer_county_north, content)

    assert "缺少必需的列：公民身份号码" in excinfo.value.message
    assert ImportBatch.objects.count() == 0


def test_a_text_file_renamed_xlsx_gets_a_clear_error(tree, officer_county_north):
    with pytest.raises(ValidationFailed) as excinfo:
        preview(officer_county_north, "姓名,公民身份号码\n".encode(), "台账.xlsx")

    assert "不是有效的 Excel" in excinfo.value.message


def test_a_file_over_the_limit_is_refused_naming_the_limit(tree, officer_county_north, monkeypatch):
    from tanfang.elders import importing

    monkeypatch.setattr(importing, "MAX_FILE_BYTES", 1024)
    content = roster_csv([("王一", number(1), JIANSHE)] * 40)

    with pytest.raises(ValidationFailed) as excinfo:
        preview(officer_county_north, content)

    assert "MB" in excinfo.value.message


def test_a_gbk_csv_with_blank_rows_keeps_true_line_numbers(tree, officer_county_north):
    lines = [",".join(CIVIL_AFFAIRS_HEADER), ",".join(roster_rows([("王一", number(1), JIANSHE)])[0]), "", ""]
    lines.append(",".join(roster_rows([("王二", "bad", JIANSHE)])[0]))
    content = "\r\n".join(lines).encode("gbk")

    batch = preview(officer_county_north, content)

    assert [e["line"] for e in batch.errors] == [5]


def test_excel_numbers_for_id_and_codes_are_read_as_text(tree, officer_county_north):
    identity = make_citizen_id("410823", dt.date(1950, 5, 11), 21)
    row = ["王一", "男", identity, 13800138000, int(JIANSHE), "1组", "独居", "王小明", 13912345678]

    batch = preview(officer_county_north, roster_xlsx([row]), "台账.xlsx")

    assert batch.state == ImportBatch.State.PREVIEWED, batch.errors


def test_the_error_workbook_marks_the_bad_rows(tree, officer_county_north):
    content = roster_csv([("王一", number(1), JIANSHE), ("王二", "123", JIANSHE)])
    batch = preview(officer_county_north, content)

    book = load_workbook(io.BytesIO(error_workbook(batch)))
    sheet = book.worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]

    assert values[0][0] == "错误说明"
    assert values[1][0] in (None, "")
    assert "公民身份号码" in values[2][0]


def test_a_committed_batch_cannot_be_committed_twice(tree, officer_county_north):
    batch = preview(officer_county_north, roster_csv([("王一", number(1), JIANSHE)]))
    commit_import(actor=officer_county_north, batch=batch)

    with pytest.raises(ValidationFailed):
        commit_import(actor=officer_county_north, batch=batch)
    assert Elder.objects.count() == 1


def test_the_command_validates_by_default_and_prints_each_bad_row(tree, officer_county_north, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(roster_csv([("王一", number(1), JIANSHE), ("王二", "410823195002300212", JIANSHE)]))

    with pytest.raises(CommandError, match="有 1 处错误，未导入任何数据"):
        call_command("import_elders", str(bad), "--source", "civil_affairs", "--user", "officer_wuzhi", "--commit")

    err = capsys.readouterr().err
    assert "第3行 公民身份号码: 公民身份号码中的出生日期 1950-02-30 不存在" in err
    assert Elder.objects.count() == 0


def test_the_command_commits_only_when_asked(tree, officer_county_north, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_bytes(roster_csv([("王一", number(1), JIANSHE)]))

    call_command("import_elders", str(good), "--source", "civil_affairs", "--user", "officer_wuzhi")
    assert Elder.objects.count() == 0
    assert "未写入数据库" in capsys.readouterr().out

    call_command("import_elders", str(good), "--source", "civil_affairs", "--user", "officer_wuzhi", "--commit")
    assert Elder.objects.count() == 1


def test_a_custom_mapping_reads_other_headers(tree, officer_county_north):
    content = "\n".join(["老人,证件号,村代码", f"王一,{number(1)},{JIANSHE}"]).encode()

    batch = preview_import(
        actor=officer_county_north,
        content=content,
        file_name="其他.csv",
        source="custom",
        custom_mapping={"老人": "name", "证件号": "id_number", "村代码": "village_code"},
    )
    commit_import(actor=officer_county_north, batch=batch)

    assert Elder.objects.get().name == "王一"


def test_the_command_names_a_user_who_may_import_or_says_why_not(tmp_path, admin_province):
    good = tmp_path / "good.csv"
    good.write_bytes(roster_csv([("王建国", make_citizen_id("410823", dt.date(1948, 5, 1), 11), "410823001001")]))

    with pytest.raises(CommandError, match="您没有"):
        call_command("import_elders", str(good), "--source", "civil_affairs", "--user", "admin_henan")
    with pytest.raises(CommandError, match="找不到可用的用户 nobody"):
        call_command("import_elders", str(good), "--source", "civil_affairs", "--user", "nobody")
