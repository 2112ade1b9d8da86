"""After 0003 every notification has its expiry, and no delivery is ``failed``."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_outbox_expiry_data"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="expires_at",
            field=models.DateTimeField(
                help_text="Sau thời điểm này thông báo không còn ý nghĩa và không được gửi nữa.",
                verbose_name="hết hiệu lực lúc",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="delivery",
            name="delivery_state_known",
        ),
        migrations.AddConstraint(
            model_name="delivery",
            constraint=models.CheckConstraint(
                condition=models.Q(("state__in", ["pending", "sent", "expired"])),
                name="delivery_state_known",
            ),
        ),
    ]
