"""`tanfang seed_demo`: the demo county, its accounts and synthetic elders."""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tanfang.devtools.demo import DEMO_COUNTY, seed_demo
from tanfang.devtools.factories import DEFAULT_PASSWORD


class Command(BaseCommand):
    help = "生成演示数据：武陟县的乡镇和村、各级账号、合成的老年人（可重复运行）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--elders", type=int, default=2000, help="县内老年人总数（默认 2000）")
        parser.add_argument("--seed", type=int, default=2023, help="随机种子，相同种子生成相同数据")
        parser.add_argument("--county", default=DEMO_COUNTY, help="演示县的区划代码（默认 410823 武陟县）")

    def handle(self, *args: Any, **options: Any) -> None:
        result = seed_demo(elders=options["elders"], seed=options["seed"], county_code=options["county"])
        rate = result.elders_created / result.elder_seconds if result.elder_seconds else 0
        self.stdout.write(
            f"新增老年人 {result.elders_created} 名，用时 {result.elder_seconds:.1f} 秒（{rate:,.0f} 行/秒）"
        )
        self.stdout.write("")
        self.stdout.write(f"演示账号（密码均为 {DEFAULT_PASSWORD}）：")
        named = [login for login in result.logins if not re.fullmatch(r"township\d+", login.username)]
        for login in named:
            self.stdout.write(f"  {login.username:<11} {login.role.label:<12} {login.region}  {login.display_name}")
        others = [login for login in result.logins if login not in named]
        if others:
            self.stdout.write(f"  …另有 {len(others)} 个乡镇干部账号 {others[0].username}–{others[-1].username}")
