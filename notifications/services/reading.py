"""Read state of notifications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from config.clock import now as clock_now
from config.errors import NotFound
from notifications import selectors
from notifications.models import Notification


def notification_mark_read(
    *, user: Any, notification_id: int, at: dt.datetime | None = None
) -> Notification:
    """Mark one of the user's notifications read (idempotent: the first
    reading time is kept). Read state is shared: a unit's notification read by
    one officer of the unit is read for the unit."""
    audience = selectors.audience_for(user)
    found = (
        selectors.notifications_visible(audience).filter(pk=notification_id).first()
        if audience is not None
        else None
    )
    if found is None:
        raise NotFound("Không có thông báo này.", code="notification_not_found")
    if found.read_at is None:
        at = at or clock_now()
        Notification.objects.filter(pk=found.pk, read_at__isnull=True).update(read_at=at)
        found.refresh_from_db(fields=["read_at"])
    return found


def notification_mark_all_read(
    *, user: Any, up_to: int | None = None, at: dt.datetime | None = None
) -> int:
    """Mark the user's unread notifications read (those with id ≤ ``up_to``
    if given, so what arrived after the user looked stays unread)."""
    audience = selectors.audience_for(user)
    if audience is None:
        return 0
    qs = Notification.objects.filter(audience.q(), read_at__isnull=True)
    if up_to is not None:
        qs = qs.filter(id__lte=up_to)
    return qs.update(read_at=at or clock_now())
