from django.core.management.base import BaseCommand

from workflows.services.history_keys import public_key_pem, signing_key


class Command(BaseCommand):
    help = (
        "In khóa công khai Ed25519 (PEM) của các mốc neo lịch sử, để bên thứ ba kiểm tra "
        "bằng: manage.py verify_history --public-key TỆP --anchors THƯ_MỤC."
    )

    def handle(self, *args, **options):
        self.stdout.write(public_key_pem(signing_key().public_key()), ending="")
