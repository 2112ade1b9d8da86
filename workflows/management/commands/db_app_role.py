from django.core.management.base import BaseCommand, CommandError

from workflows.services.db_role import RoleRefused, app_role_apply, app_role_plan


class Command(BaseCommand):
    help = (
        "Tạo hoặc cập nhật vai trò PostgreSQL cho ứng dụng: đọc/ghi bình thường, nhưng với "
        "lịch sử hồ sơ và sổ thời hạn chỉ SELECT/INSERT (không UPDATE/DELETE/TRUNCATE), "
        "không sở hữu bảng hay trigger. Chạy bằng vai trò sở hữu bảng (vai trò chạy migrate)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--role", default="motcua_app", help="Tên vai trò (motcua_app).")
        parser.add_argument("--password", help="Đặt mật khẩu đăng nhập cho vai trò.")
        parser.add_argument(
            "--print",
            action="store_true",
            dest="print_only",
            help="Chỉ in các câu lệnh SQL, không thực hiện.",
        )

    def handle(self, *args, role: str, password=None, print_only=False, **options):
        try:
            plan = app_role_plan(role=role, password=password)
        except RoleRefused as e:
            raise CommandError(e.message) from None
        if print_only:
            self.stdout.write("BEGIN;")
            for statement in plan.statements:
                self.stdout.write(f"{statement};")
            self.stdout.write("COMMIT;")
            return
        rights = app_role_apply(plan)
        for table, allowed in rights.items():
            granted = ", ".join(p for p, ok in allowed.items() if ok) or "không"
            self.stdout.write(f"{table}: {role} được {granted}.")
        bad = [t for t, a in rights.items() if a["UPDATE"] or a["DELETE"] or a["TRUNCATE"]]
        if bad:
            raise CommandError(
                f"{role} vẫn có quyền sửa/xóa trên {', '.join(bad)} (qua PUBLIC hoặc vai trò "
                "khác): thu hồi các quyền đó."
            )
        self.stdout.write(
            f"Vai trò {role} đã sẵn sàng; bảng và trigger thuộc {plan.owner}. Ứng dụng kết nối "
            f"bằng {role}, migrate bằng {plan.owner}."
        )
