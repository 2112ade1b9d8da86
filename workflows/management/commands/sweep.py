"""The embedded default's background worker: the deadline sweep and the
notification deliveries, every N seconds, and a signed history anchor every
HISTORY_ANCHOR_EVERY seconds. (In production Celery beat runs the same
services; see config/celery.py.)"""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from config.clock import now


class Command(BaseCommand):
    help = (
        "Quét thời hạn (cảnh báo, dừng hồ sơ quá hạn bổ sung) và gửi lại thông báo chưa gửi được."
    )

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=0, help="Lặp lại sau mỗi N giây.")
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args, every: float = 0, quiet: bool = False, **options):
        from notifications.services import deliveries_run
        from workflows.services.anchors import anchor_if_due
        from workflows.services.escalation import deadlines_sweep
        from workflows.services.tracking import counters_purge

        # SIGTERM (and Ctrl+C) end the wait between rounds at once; a round in
        # progress finishes its transaction first.
        stopping = threading.Event()

        def stop(*_):
            stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while True:
            close_old_connections()
            at = now()
            try:
                swept = deadlines_sweep(now=at)
                delivered = deliveries_run(now=at)
                counters_purge(at=at)
            except Exception as e:  # keep the loop alive; report and try next round
                if not every:
                    raise
                self.stderr.write(f"[sweep] lỗi: {type(e).__name__}: {e}")
            else:
                fired = {k: v for k, v in swept.items() if v and k != "scanned"}
                if not quiet and (fired or any(delivered.values()) or not every):
                    self.stdout.write(f"[sweep] {at.isoformat()} cảnh báo={fired} gửi={delivered}")
            # Its own try: a refused anchor (broken chain) must not stop the
            # deadlines, and is reported every round until someone looks.
            try:
                written = anchor_if_due(at=at)
            except Exception as e:
                self.stderr.write(f"[sweep] mốc neo lịch sử: {e}")
            else:
                if written is not None and not quiet:
                    self.stdout.write(
                        f"[sweep] mốc neo số {written.seq}: {written.changed} hồ sơ thay đổi"
                    )
            if not every or stopping.wait(every):
                return
