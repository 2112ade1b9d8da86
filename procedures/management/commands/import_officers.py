from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from config.errors import DomainError
from procedures.services import officers_import

from ._base import domain_error_to_command_error


class Command(BaseCommand):
    help = (
        "Nhập cán bộ từ CSV với các cột username,full_name,email,phone,centre,role[,unit,password]: "
        "tất cả hoặc không; nhập lại cùng tệp không thay đổi gì."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CommandError(f"Không tìm thấy tệp {file}.") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file}: tệp phải được mã hóa UTF-8.") from None
        try:
            result = officers_import(text=text)
        except DomainError as e:
            raise domain_error_to_command_error(e) from None
        self.stdout.write(
            f"Cán bộ: mới {result.created}, cập nhật {result.updated}, không đổi {result.unchanged}."
        )
        if result.without_password:
            self.stdout.write(
                "Chưa có mật khẩu (đặt trong trang quản trị): " + ", ".join(result.without_password)
            )
