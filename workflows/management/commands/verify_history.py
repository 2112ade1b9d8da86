from django.core.management.base import BaseCommand, CommandError

from workflows.models import Dossier
from workflows.services.history import history_errors, history_verify


class Command(BaseCommand):
    help = "Kiểm tra chuỗi băm lịch sử của một hồ sơ hoặc của tất cả hồ sơ."

    def add_arguments(self, parser):
        parser.add_argument("code", nargs="?", help="Mã hồ sơ; bỏ trống để kiểm tra tất cả.")

    def handle(self, *args, code: str | None = None, **options):
        qs = Dossier.objects.order_by("pk")
        if code:
            qs = qs.filter(code=code)
            if not qs.exists():
                raise CommandError(f"Không có hồ sơ mã {code}.")
        checked = broken = 0
        for dossier in qs.iterator(chunk_size=500):
            checked += 1
            problems = history_verify(dossier)
            if history_errors(problems):
                broken += 1
            for p in problems:
                self.stdout.write(f"{dossier.code}: [{p.code}] {p.message}")
        self.stdout.write(f"Đã kiểm tra {checked} hồ sơ; {broken} hồ sơ có lịch sử bị thay đổi.")
        if broken:
            raise CommandError(f"{broken} hồ sơ có chuỗi lịch sử không hợp lệ.")
