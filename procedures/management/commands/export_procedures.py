import json
from pathlib import Path

from django.core.management.base import BaseCommand

from procedures.services import catalogue_export


class Command(BaseCommand):
    help = "Xuất danh mục thủ tục ra JSON (định dạng motcua.procedures/1)."

    def add_arguments(self, parser):
        parser.add_argument(
            "file", nargs="?", type=Path, help="Tệp đích; bỏ trống để in ra màn hình."
        )

    def handle(self, *args, file: Path | None = None, **options):
        text = json.dumps(catalogue_export(), ensure_ascii=False, indent=2) + "\n"
        if file:
            file.write_text(text, encoding="utf-8")
            self.stderr.write(f"Đã ghi {file}.")
        else:
            self.stdout.write(text, ending="")
