"""Migrations 0002–0004 on rows written before them: deliveries given up as
``failed`` are pending again, every notification gets its expiry and, where
the recipient says it, its centre."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("notifications", "0001_initial")]
AFTER = [("notifications", "0004_expires_at_required")]


@pytest.mark.django_db(transaction=True)
def test_old_rows_come_through(demo):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Notification = old.get_model("notifications", "Notification")
    Delivery = old.get_model("notifications", "Delivery")
    Unit = old.get_model("procedures", "Unit")
    desk = Unit.objects.filter(centre__isnull=False).first()
    at = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
    to_unit = Notification.objects.create(
        recipient_kind="unit", recipient_unit=desk, kind="queue.new", title="t", created_at=at
    )
    to_citizen = Notification.objects.create(
        recipient_kind="citizen", dossier="X-1", kind="result.ready", title="t", created_at=at
    )
    given_up = Delivery.objects.create(
        notification=to_citizen,
        channel="sms",
        address="0912345678",
        state="failed",
        attempts=8,
        next_attempt_at=at + dt.timedelta(minutes=40),
        last_error="SMSUnavailable: refused",
    )
    sent = Delivery.objects.create(
        notification=to_unit,
        channel="web",
        state="sent",
        attempts=1,
        next_attempt_at=at,
        sent_at=at,
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    from notifications.models import Delivery as NewDelivery
    from notifications.models import Notification as NewNotification

    rows = {n.pk: n for n in NewNotification.objects.all()}
    assert rows[to_unit.pk].expires_at == at + dt.timedelta(days=7)
    assert rows[to_unit.pk].centre_id == desk.centre_id
    assert rows[to_citizen.pk].centre_id is None
    d = NewDelivery.objects.get(pk=given_up.pk)
    assert (d.state, d.attempts, d.last_error) == ("pending", 8, "SMSUnavailable: refused")
    assert NewDelivery.objects.get(pk=sent.pk).state == "sent"
