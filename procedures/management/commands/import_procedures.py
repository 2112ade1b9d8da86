import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from config.errors import DomainError
from procedures.services import catalogue_import

from ._base import domain_error_to_command_error


class Command(BaseCommand):
    help = "Nhập danh mục thủ tục từ tệp JSON (định dạng motcua.procedures/1): tất cả hoặc không."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CommandError(f"Không tìm thấy tệp {file}.") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise CommandError(f"{file}: không phải JSON UTF-8 hợp lệ ({e}).") from None
        try:
            result = catalogue_import(data=data)
        except DomainError as e:
            raise domain_error_to_command_error(e) from None
        self.stdout.write(
            f"Lĩnh vực: {result.sectors}; thủ tục mới {result.procedures_created}, "
            f"cập nhật {result.procedures_updated}; phiên bản mới {result.versions_created}, "
            f"cập nhật {result.versions_updated}, không đổi {result.versions_unchanged}."
        )
