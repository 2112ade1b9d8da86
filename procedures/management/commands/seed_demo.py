from django.core.management.base import BaseCommand

from config.errors import DomainError
from procedures.services import demo_seed
from procedures.services.demo import DEFAULT_PASSWORD

from ._base import domain_error_to_command_error


class Command(BaseCommand):
    help = "Nạp dữ liệu mẫu (Thanh Hóa, ba trung tâm, cán bộ mỗi vai trò). Chạy lại không nhân đôi."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD)
        parser.add_argument("--quiet", action="store_true", help="Không in danh sách tài khoản.")

    def handle(self, *args, password: str, quiet: bool = False, **options):
        try:
            result = demo_seed(password=password)
        except DomainError as e:
            raise domain_error_to_command_error(e) from None
        if quiet:
            return
        self.stdout.write("Trung tâm mẫu:")
        for line in result.centres:
            self.stdout.write(f"  {line}")
        self.stdout.write(f"Tài khoản mẫu (mật khẩu: {result.password}):")
        for a in result.accounts:
            where = f"trung tâm {a.centre}" if a.centre != "*" else "toàn hệ thống"
            unit = f", {a.unit}" if a.unit else ""
            self.stdout.write(f"  {a.username:<24} {a.role:<14} {a.full_name} ({where}{unit})")
