"""Start the ASGI server (Daphne, so WebSockets work) and, beside it, the
deadline sweep of the embedded default. Ctrl+C stops both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.core.management import get_commands
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Chạy máy chủ ASGI (Daphne) và tiến trình quét thời hạn nền."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--sweep-every",
            type=int,
            default=30,
            help="Giây giữa hai lần quét thời hạn; 0 để không chạy tiến trình quét.",
        )

    def handle(self, *args, host: str, port: int, sweep_every: int, **options):
        children: list[subprocess.Popen] = []
        if sweep_every > 0 and "sweep" in get_commands():
            children.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "sweep", "--every", str(sweep_every)]
                )
            )
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "config.server",
                "-b",
                host,
                "-p",
                str(port),
                "config.asgi:application",
            ]
        )
        children.append(server)

        def stop(*_):
            for child in children:
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            server.wait()
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
        if server.returncode not in (0, -signal.SIGTERM, -signal.SIGINT, None):
            raise SystemExit(server.returncode)
