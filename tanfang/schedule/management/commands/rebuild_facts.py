"""`tanfang rebuild_facts --month YYYY-MM [--region CODE]`: a month's figures rebuilt from the records."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tanfang.core.errors import ValidationFailed
from tanfang.core.time import local_today
from tanfang.schedule.figures import parse_month
from tanfang.schedule.rebuild import path_of, rebuild_month


class Command(BaseCommand):
    help = "从探访等记录重建某月的统计（全部或某区划），结果应与增量维护的完全一致"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--region", default="", help="区划代码，默认全部")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            month = parse_month(options["month"] or "-", local_today())
        except ValidationFailed as refused:
            raise CommandError("；".join(e.message for e in refused.errors)) from refused
        path = path_of(options["region"]) if options["region"] else ""
        if path is None:
            raise CommandError(f"没有区划 {options['region']}")
        started = time.perf_counter()
        result = rebuild_month(region_path=path, month=month)
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"{month:%Y-%m} {options['region'] or '全部'}：{result.elders} 位老人，"
            f"{result.rows} 行（改写 {result.rows_written} 行），"
            f"{result.cells_changed} 个统计格与增量结果不同，用时 {seconds:.1f} 秒"
        )
