"""`tanfang run_demo`: web server, background worker and scheduler together, no server to install.

Stops all three when any one stops or on Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "启动演示：网页服务 + 后台任务进程 + 定时调度（SQLite，无需安装任何服务器）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="监听地址（默认 127.0.0.1:8000）")
        parser.add_argument("--web-workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        bin_dir = Path(sys.executable).parent
        var = Path(settings.VAR_DIR)
        for folder in ("broker/queue", "broker/control"):
            (var / folder).mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings")}
        commands = {
            "web": [
                str(bin_dir / "gunicorn"),
                "config.wsgi:application",
                "--bind",
                options["bind"],
                "--workers",
                str(options["web_workers"]),
                "--access-logfile",
                "-",
            ],
            "worker": [str(bin_dir / "celery"), "-A", "config", "worker", "--pool=solo", "--loglevel=WARNING"],
            "scheduler": [
                str(bin_dir / "celery"),
                "-A",
                "config",
                "beat",
                "--loglevel=WARNING",
                "--schedule",
                str(var / "celerybeat-schedule"),
            ],
        }
        processes = {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}
        self.stdout.write(f"演示已启动：http://{options['bind']}/  （按 Ctrl-C 停止）")
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(f"{name} 进程已退出（代码 {process.returncode}），正在停止演示")
                        stopping = True
                time.sleep(0.5)
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()
            for process in processes.values():
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
