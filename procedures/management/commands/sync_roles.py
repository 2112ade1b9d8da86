from django.core.management.base import BaseCommand

from procedures.services import roles_sync


class Command(BaseCommand):
    help = "Tạo các nhóm quyền theo vai trò và gán quyền."

    def handle(self, *args, **options):
        for role, count in roles_sync().items():
            self.stdout.write(f"{role}: {count} quyền")
