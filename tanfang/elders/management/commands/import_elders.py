"""tanfang import_elders FILE --source civil_affairs --user NAME [--mapping JSON] [--commit]"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tanfang.accounts.models import User
from tanfang.accounts.selectors import importing_user_unscoped
from tanfang.core.errors import DomainError, ValidationFailed
from tanfang.elders.import_presets import Source
from tanfang.elders.importing import MAX_FILE_BYTES, ImportBatch, commit_import, preview_import


class Command(BaseCommand):
    help = (
        "导入老年人名单（.xlsx 或 CSV，UTF-8 或 GBK）。默认只检查整个文件，--commit 才写入；"
        "有任何错误的行都不会导入任何数据，并逐行打印“第N行 列名: 原因”。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="名单文件")
        parser.add_argument("--source", required=True, choices=Source.values, help="数据来源（列预设）")
        parser.add_argument("--mapping", default="", help='自定义列对应，JSON：{"文件列名": "字段"}')
        parser.add_argument(
            "--user", required=True, help="以哪个用户的身份和辖区导入（须有导入权限，例如县级民政干部）"
        )
        parser.add_argument("--commit", action="store_true", help="检查通过后写入数据库")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        actor = self._actor(options["user"])
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"找不到文件 {path}")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CommandError(f"文件超过 {MAX_FILE_BYTES // (1024 * 1024)} MB，请拆分后再导入")
        mapping = None
        if options["mapping"]:
            try:
                mapping = {str(k): str(v) for k, v in json.loads(options["mapping"]).items()}
            except (ValueError, AttributeError) as error:
                raise CommandError("--mapping 应为 JSON 对象") from error
        try:
            batch = preview_import(
                actor=actor,
                content=path.read_bytes(),
                file_name=path.name,
                source=options["source"],
                custom_mapping=mapping,
            )
        except ValidationFailed as error:
            raise CommandError("；".join(e.message for e in error.errors) or error.message) from error
        except DomainError as error:
            raise CommandError(error.message) from error
        if batch.state == ImportBatch.State.INVALID:
            for problem in batch.errors:
                self.stderr.write(f"第{problem['line']}行 {problem['column']}: {problem['message']}")
            if batch.error_count > len(batch.errors):
                self.stderr.write(f"……另有 {batch.error_count - len(batch.errors)} 处错误")
            raise CommandError(f"文件 {path.name} 有 {batch.error_count} 处错误，未导入任何数据。")
        summary = batch.summary
        self.stdout.write(
            f"检查通过：{batch.row_count} 行，新登记 {summary['new']} 人，已有记录 {summary['matched']} 人，"
            f"值不一致 {summary['conflicts']} 处。"
        )
        if options["commit"]:
            try:
                result = commit_import(actor=actor, batch=batch)
            except DomainError as error:
                raise CommandError(error.message) from error
            self.stdout.write(
                f"导入完成（批次 {batch.pk}）：新登记 {result.created} 人，已有记录 {result.matched} 人，"
                f"新增类别 {result.groups_added} 条，待处理冲突 {result.conflicts} 条。"
            )
        else:
            self.stdout.write("未写入数据库；确认无误后加 --commit 导入。")
        self.stdout.write(f"用时 {time.monotonic() - started:.1f} 秒")

    def _actor(self, username: str) -> User:
        user = importing_user_unscoped(username)
        if user is None:
            raise CommandError(f"找不到可用的用户 {username}")
        return user
