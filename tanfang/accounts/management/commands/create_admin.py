"""`tanfang create_admin`: the three administrators of an installation (三员: system, security, audit)."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tanfang.accounts.services import create_admin
from tanfang.core.errors import ValidationFailed
from tanfang.core.roles import Role


class Command(BaseCommand):
    help = (
        "创建管理员（三员：系统管理员、安全管理员、审计管理员）。"
        "密码从终端输入，或由 --password-env 指定的环境变量提供。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--region", required=True, help="省级区划代码，例如 410000")
        parser.add_argument(
            "--kind",
            choices=["system", "security", "audit"],
            default="system",
            help="system：系统管理员；security：安全管理员；audit：审计管理员",
        )
        parser.add_argument("--display-name", default="")
        parser.add_argument("--password-env", help="从该环境变量读取密码（用于自动化部署）")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["password_env"]:
            password = os.environ.get(options["password_env"], "")
        else:
            password = getpass.getpass("密码：")
            if password != getpass.getpass("再次输入密码："):
                raise CommandError("两次输入的密码不一致")
        role = Role(f"{options['kind']}_admin")
        try:
            user = create_admin(
                username=options["username"],
                password=password,
                region_code=options["region"],
                display_name=options["display_name"] or str(role.label),
                role=role,
            )
        except ValidationFailed as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"已创建{role.label} {user.username}")
