"""List visit form templates, or load a province's own from a JSON file.

tanfang form_templates list
tanfang form_templates load hubei.json --region 42
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tanfang.core.errors import NotFound, ValidationFailed
from tanfang.records.selectors import all_templates
from tanfang.records.services import load_template
from tanfang.regions.selectors import get_region_unscoped


class Command(BaseCommand):
    help = "探访表单模板：列出，或从 JSON 文件加载（同一编码再次加载即为新版本）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "load"])
        parser.add_argument("file", nargs="?", help="模板 JSON 文件（load 时）")
        parser.add_argument("--region", help="适用区划代码（不填则为全国默认）")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            for t in all_templates():
                where = t.region_id or "全国"
                self.stdout.write(f"{t.code} v{t.version} {where} {'启用' if t.active else '停用'} {t.name}")
            return
        if not options["file"]:
            raise CommandError("请给出模板 JSON 文件")
        try:
            document = json.loads(Path(options["file"]).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"无法读取模板文件：{error}") from None
        region = None
        if options["region"]:
            try:
                region = get_region_unscoped(options["region"])
            except NotFound as error:
                raise CommandError(error.message) from None
        try:
            template = load_template(actor=None, document=document, region=region)
        except ValidationFailed as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"已加载 {template.code} v{template.version}：{template.name}")
