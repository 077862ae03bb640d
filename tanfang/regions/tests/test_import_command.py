"""The import_regions command: thin over the services, Chinese output, non-zero exit on errors."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from tanfang.audit.models import AuditEvent
from tanfang.regions.models import Region

pytestmark = pytest.mark.django_db

HEADER = "区划代码,名称,级别,上级代码"


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_regions", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def without_timing(text: str) -> str:
    return re.sub(r"用时 [\d.]+ 秒\n", "", text)


def write_csv(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "regions.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_county_import_prints_counts() -> None:
    # Given the base regions; when importing 武陟县 twice
    first, _ = run("--county", "410823")
    second, _ = run("--county", "410823")

    # Then the counts are printed in Chinese, with the time taken
    assert without_timing(first) == "导入完成：新增 382 个区划，更名 0 个，未变 0 个。\n"
    assert without_timing(second) == "导入完成：新增 0 个区划，更名 0 个，未变 382 个。\n"
    assert re.search(r"用时 [\d.]+ 秒", first)


def test_file_import_prints_counts(tmp_path: Path) -> None:
    out, err = run(str(write_csv(tmp_path, "410823100000,新镇,乡镇,410823")))

    assert without_timing(out) == "导入完成：新增 1 个区划，更名 0 个，未变 0 个。\n"
    assert err == ""
    assert Region.objects.get(code="410823100000").full_name == "河南省焦作市武陟县新镇"


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    before = Region.objects.count()

    out, _ = run(str(write_csv(tmp_path, "410823100000,新镇,乡镇,410823")), "--dry-run")

    assert without_timing(out) == "检查通过（未写入数据库）：导入后将新增 1 个区划，更名 0 个，未变 0 个。\n"
    assert Region.objects.count() == before


def test_bad_file_prints_each_error_and_fails(tmp_path: Path) -> None:
    # Given a file with two bad rows among good ones
    path = write_csv(
        tmp_path,
        "410823100000,新镇,乡镇,410823",
        "4108231,坏代码,村,410823100000",
        "410823100202,,村,410823100000",
    )
    before = (Region.objects.count(), AuditEvent.objects.count())
    out, err = StringIO(), StringIO()

    # When the command runs; then it fails (exit status 1 on the command line)
    with pytest.raises(CommandError) as caught:
        call_command("import_regions", str(path), stdout=out, stderr=err)

    # And every error is printed as 第N行 列名: 原因, and nothing changed
    assert caught.value.returncode == 1
    assert str(caught.value) == "文件 regions.csv 有 2 处错误，未导入任何数据。"
    assert err.getvalue() == ("第3行 区划代码: 村（居）级区划代码应为12位数字\n第4行 名称: 名称不能为空\n")
    assert (Region.objects.count(), AuditEvent.objects.count()) == before


def test_unreadable_file_fails_with_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("not excel", encoding="utf-8")

    with pytest.raises(CommandError, match=r"^文件不是有效的 Excel \(\.xlsx\) 文件$"):
        run(str(path))


def test_missing_package_fails_with_instructions(tmp_path: Path) -> None:
    with override_settings(DIVISION_DATA_DIR=tmp_path), pytest.raises(CommandError, match="make setup"):
        run("--province", "41")


def test_a_source_is_required() -> None:
    with pytest.raises(CommandError, match="one of the arguments"):
        run()


def test_dry_run_needs_a_file() -> None:
    with pytest.raises(CommandError, match=r"^--dry-run 只能与区划文件一起使用$"):
        run("--county", "410823", "--dry-run")
