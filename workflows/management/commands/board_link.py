"""Print the wall-screen link of a centre (its board key): the screen in the
centre's hall opens it without an account and sees counts only."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from procedures.models import ServiceCentre
from workflows.selectors.board import board_key


class Command(BaseCommand):
    help = "In đường dẫn màn hình theo dõi (kèm khóa) của một trung tâm."

    def add_arguments(self, parser):
        parser.add_argument("centre", help="Mã trung tâm, ví dụ 14797")

    def handle(self, *args, centre: str, **options):
        obj = ServiceCentre.objects.filter(code=centre).first()
        if obj is None:
            raise CommandError(f"Không có trung tâm mã {centre}.")
        base = settings.MOTCUA["PUBLIC_URL"].rstrip("/")
        self.stdout.write(f"{base}/board/{obj.code}/?key={board_key(obj)}")
