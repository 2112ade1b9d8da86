from django.core.management.base import BaseCommand

from procedures.services import divisions_load


class Command(BaseCommand):
    help = (
        "Nạp (hoặc cập nhật) 34 tỉnh, thành phố và 3.321 xã, phường, đặc khu từ vietnam-provinces."
    )

    def handle(self, *args, **options):
        result = divisions_load()
        self.stdout.write(
            f"Tỉnh, thành phố: {result.provinces} (mới {result.created_provinces}); "
            f"xã, phường, đặc khu: {result.communes} (mới {result.created_communes}); "
            f"cập nhật: {result.updated}."
        )
