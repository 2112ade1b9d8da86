from django.core.management.base import BaseCommand, CommandError

from config.clock import now
from workflows.services.anchors import AnchorRefused, anchor_write


class Command(BaseCommand):
    help = (
        "Ghi một mốc neo lịch sử có chữ ký (Ed25519) ra ngoài cơ sở dữ liệu: đầu chuỗi "
        "của mọi hồ sơ đã thay đổi kể từ mốc neo trước (HISTORY_ANCHOR_DIR)."
    )

    def handle(self, *args, **options):
        try:
            written = anchor_write(at=now())
        except AnchorRefused as e:
            raise CommandError(e.message) from None
        self.stdout.write(
            f"Đã ghi mốc neo số {written.seq} ({written.path}): {written.changed} hồ sơ thay "
            f"đổi; tổng {written.dossiers} hồ sơ, {written.events} sự kiện."
        )
        if written.disputed:
            for code, problems in written.disputed:
                self.stdout.write(
                    f"{code}: giữ đầu chuỗi cũ, lịch sử có vấn đề ({', '.join(problems)})"
                )
            raise CommandError(
                f"{len(written.disputed)} hồ sơ có lịch sử không hợp lệ, không được neo tiếp; "
                "chạy manage.py verify_history."
            )
