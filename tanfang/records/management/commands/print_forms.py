"""Print visit record forms to a PDF: one visit, or a village's month.

tanfang print_forms --visit 123 -o form.pdf
tanfang print_forms --village 410823001001 --month 2026-11 -o forms.pdf
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tanfang.core.errors import DomainError, NotFound
from tanfang.records import printing
from tanfang.records.selectors import get_visit_unscoped
from tanfang.regions.selectors import get_region_unscoped


class Command(BaseCommand):
    help = "打印探访关爱服务记录表（PDF，一式两份）"

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--visit", type=int, help="探访记录编号")
        which.add_argument("--village", help="村（社区）区划代码，与 --month 一起使用")
        parser.add_argument("--month", help="YYYY-MM")
        parser.add_argument("-o", "--output", required=True, help="输出的 PDF 文件")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["visit"] is not None:
            try:
                visits = [get_visit_unscoped(options["visit"])]
            except NotFound:
                raise CommandError(f"探访记录 {options['visit']} 不存在") from None
        else:
            try:
                region = get_region_unscoped(options["village"])
            except NotFound as error:
                raise CommandError(error.message) from None
            match = re.fullmatch(r"(\d{4})-(\d{2})", options["month"] or "")
            if match is None or not 1 <= int(match[2]) <= 12:
                raise CommandError("请用 --month YYYY-MM 指定月份")
            try:
                visits = printing.visits_of_village_month(region, int(match[1]), int(match[2]))
            except DomainError as error:  # a county, or a township past the bound: say why
                raise CommandError(error.message) from None
            if not visits:
                raise CommandError(f"{region.name} {options['month']} 没有探访记录")
        content = printing.print_visits(actor=None, visits=visits, attempts_listed=options["village"] is not None)
        Path(options["output"]).write_bytes(content)
        self.stdout.write(f"已写入 {options['output']}：{len(visits)} 份记录表，每份一式两联")
