"""``manage.py stats_verify``: recompute the per-day counts from the dossiers,
their control sheets and ratings, and report every difference (exit status 1
if there is one). ``--rebuild`` replaces the counts by the recomputed ones."""

import json
import time

from django.core.management.base import BaseCommand, CommandError

from reports import counters


class Command(BaseCommand):
    help = "Đối chiếu số liệu theo ngày với hồ sơ; báo mọi chênh lệch."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild", dest="do_rebuild", action="store_true", help="Tính lại toàn bộ."
        )
        parser.add_argument("--json", dest="as_json", action="store_true", help="In dạng JSON.")

    def handle(self, *args, do_rebuild: bool = False, as_json: bool = False, **options):
        started = time.perf_counter()
        if do_rebuild:
            rows = counters.rebuild()
            self.stdout.write(f"Đã tính lại {rows} dòng số liệu theo ngày.")
        found = counters.differences()
        seconds = round(time.perf_counter() - started, 1)
        if as_json:
            summary = {"differences": len(found), "seconds": seconds, "first": found[:20]}
            self.stdout.write(json.dumps(summary, ensure_ascii=False, default=str))
        elif not found:
            self.stdout.write(f"Số liệu theo ngày khớp với hồ sơ: 0 chênh lệch ({seconds} s).")
        else:
            for f in found[:50]:
                self.stdout.write(str(f))
        if found:
            raise CommandError(f"{len(found)} dòng số liệu theo ngày không khớp với hồ sơ.")
