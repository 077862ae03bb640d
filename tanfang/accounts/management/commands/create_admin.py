"""`tanfang create_admin`: the first administrator of an installation."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tanfang.accounts.services import create_first_admin
from tanfang.core.errors import ValidationFailed


class Command(BaseCommand):
    help = "创建系统管理员（安装后第一个账号）。密码从终端输入，或由 --password-env 指定的环境变量提供。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--region", required=True, help="省级区划代码，例如 410000")
        parser.add_argument("--display-name", default="系统管理员")
        parser.add_argument("--password-env", help="从该环境变量读取密码（用于自动化部署）")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["password_env"]:
            password = os.environ.get(options["password_env"], "")
        else:
            password = getpass.getpass("密码：")
            if password != getpass.getpass("再次输入密码："):
                raise CommandError("两次输入的密码不一致")
        try:
            user = create_first_admin(
                username=options["username"],
                password=password,
                region_code=options["region"],
                display_name=options["display_name"],
            )
        except ValidationFailed as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"已创建系统管理员 {user.username}")
