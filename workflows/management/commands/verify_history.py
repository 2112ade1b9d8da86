from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from workflows.models import Dossier
from workflows.services.anchors import history_audit
from workflows.services.history_keys import load_public_key


class Command(BaseCommand):
    help = (
        "Kiểm tra lịch sử hồ sơ: chuỗi băm, mã xác thực (HMAC) và các mốc neo có chữ ký. "
        "Với --public-key, bên thứ ba kiểm tra mốc neo và chuỗi băm công khai mà không cần "
        "khóa lịch sử."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", nargs="?", help="Mã hồ sơ; bỏ trống để kiểm tra tất cả.")
        parser.add_argument(
            "--public-key",
            metavar="TỆP",
            help="Khóa công khai Ed25519 (PEM hoặc base64) của các mốc neo; không dùng khóa "
            "lịch sử (HMAC).",
        )
        parser.add_argument(
            "--anchors",
            metavar="THƯ_MỤC",
            help="Thư mục các mốc neo (mặc định HISTORY_ANCHOR_DIR).",
        )

    def handle(self, *args, code=None, public_key=None, anchors=None, **options):
        key = None
        if public_key:
            try:
                key = load_public_key(Path(public_key).read_text(), name=public_key)
            except (OSError, ImproperlyConfigured) as e:
                raise CommandError(f"Không đọc được khóa công khai {public_key}: {e}") from None
        directory = Path(anchors) if anchors else None
        if anchors and not directory.is_dir():
            raise CommandError(f"Không có thư mục mốc neo {anchors}.")
        audit = history_audit(keyed=key is None, public_key=key, directory=directory, code=code)
        if code and audit.checked == 0 and not Dossier.objects.filter(code=code).exists():
            raise CommandError(f"Không có hồ sơ mã {code}.")
        if not audit.keyed:
            self.stdout.write(
                "Kiểm tra bằng khóa công khai: chữ ký các mốc neo và chuỗi băm công khai."
            )
        for where, problem, message, _severity in audit.lines:
            self.stdout.write(f"{where or 'lịch sử'}: [{problem}] {message}")
        if audit.anchors:
            self.stdout.write(
                f"Mốc neo: {audit.anchors} mốc trong {audit.directory}, mốc cuối lúc "
                f"{audit.last_anchor_at}."
            )
        self.stdout.write(
            f"Đã kiểm tra {audit.checked} hồ sơ; {len(audit.broken)} hồ sơ có lịch sử bị thay đổi."
        )
        if audit.errors:
            raise CommandError(f"Lịch sử không hợp lệ: {audit.errors} lỗi (xem ở trên).")
