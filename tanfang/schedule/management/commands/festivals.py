"""tanfang festivals --year YYYY [--region CODE]: one line per festival, "YYYY-MM-DD 名称"."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tanfang.core.errors import NotFound
from tanfang.regions.selectors import get_region_unscoped
from tanfang.schedule.festivals import YearOutOfRange, festivals_for


class Command(BaseCommand):
    help = "列出某年的传统节日（春节、元宵、清明、端午、中秋、重阳）的公历日期，可加上某区划添加的节日。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True, help="公历年份，如 2026")
        parser.add_argument("--region", default="", help="区划代码：同时列出该区划及上级添加的节日")

    def handle(self, *args: Any, **options: Any) -> None:
        path = None
        if options["region"]:
            try:
                path = get_region_unscoped(options["region"]).path
            except NotFound as error:
                raise CommandError(error.message) from None
        try:
            festivals = festivals_for(options["year"], path)
        except YearOutOfRange as error:
            raise CommandError(error.message) from error
        for festival in festivals:
            self.stdout.write(f"{festival.day.isoformat()} {festival.name}")
