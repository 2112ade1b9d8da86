"""``manage.py seed_dossiers``: the demo centres' last weeks of dossiers
(``workflows.services.demo``). Runs once: nothing is added while the demo
centres already hold dossiers."""

import logging
import time

from django.core.management.base import BaseCommand

from procedures.services.demo import DEMO_CENTRES
from workflows.models import Dossier
from workflows.services.demo import demo_dossiers


class Command(BaseCommand):
    help = "Nạp hồ sơ mẫu cho ba trung tâm mẫu (chỉ khi các trung tâm này chưa có hồ sơ)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=40)
        parser.add_argument("--per-day", type=int, default=2)

    def handle(self, *args, days: int, per_day: int, **options):
        from reports.counters import rebuild
        from reports.models import DayCount

        communes = [c for c, _, _ in DEMO_CENTRES]
        if Dossier.objects.filter(centre__commune_id__in=communes).exists():
            if not DayCount.objects.exists():  # dossiers from before the counts were kept
                self.stdout.write(f"Số liệu theo ngày: tính lại {rebuild()} dòng.")
            self.stdout.write("Hồ sơ mẫu: đã có, không nạp thêm.")
            return
        started = time.perf_counter()
        console_sms = logging.getLogger("notifications.sms")
        level = console_sms.level
        console_sms.setLevel(logging.WARNING)  # the demo's past SMS are not news
        try:
            result = demo_dossiers(days=days, per_day=per_day)
        finally:
            console_sms.setLevel(level)
        self.stdout.write(
            f"Hồ sơ mẫu: {result.created} hồ sơ, {result.actions} thao tác "
            f"({time.perf_counter() - started:.0f} s)."
        )
