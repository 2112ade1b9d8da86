"""Data for 0002: the expiry and centre of the rows written before, and the
deliveries given up as ``failed`` pending again."""

import datetime as dt

from django.db import migrations
from django.db.models import F, OuterRef, Subquery


def forward(apps, schema_editor):
    """Rows written before expiry existed matter for the default 7 days;
    deliveries given up as ``failed`` after 8 attempts are pending again and
    due at once (their next attempt is in the past): sent if they still
    matter, marked expired otherwise. The centre is known for rows addressed
    to a centre or to a unit of one."""
    Notification = apps.get_model("notifications", "Notification")
    Delivery = apps.get_model("notifications", "Delivery")
    Unit = apps.get_model("procedures", "Unit")
    Notification.objects.filter(expires_at__isnull=True).update(
        expires_at=F("created_at") + dt.timedelta(days=7)
    )
    Delivery.objects.filter(state="failed").update(state="pending")
    Notification.objects.filter(recipient_centre__isnull=False).update(
        centre_id=F("recipient_centre_id")
    )
    Notification.objects.filter(recipient_unit__isnull=False).update(
        centre_id=Subquery(
            Unit.objects.filter(pk=OuterRef("recipient_unit_id")).values("centre_id")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_outbox_expiry"),
    ]

    operations = [
        migrations.RunPython(forward, migrations.RunPython.noop, elidable=True),
    ]
