"""Everything in ``notifications`` that reads: who is addressed how, what a
notification looks like on the wire, what a user may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Max, Q, QuerySet

from config.clock import LOCAL_TZ
from notifications.models import Notification
from procedures.models import Officer


def group_for_user(user_id: int) -> str:
    return f"user.{user_id}"


def group_for_unit(unit_id: int) -> str:
    return f"unit.{unit_id}"


def group_for_centre(centre_id: int) -> str:
    return f"centre.{centre_id}"


def group_for_dossier(code: str) -> str:
    return f"track.{code}"


@dataclass(frozen=True)
class Audience:
    """Whom a user hears as: themselves, their unit, their centres."""

    user_id: int
    unit_id: int | None = None
    centre_ids: tuple[int, ...] = ()
    #: an officer (or a superuser): may open the notification socket
    staff: bool = False

    @property
    def groups(self) -> list[str]:
        groups = [group_for_user(self.user_id)]
        if self.unit_id is not None:
            groups.append(group_for_unit(self.unit_id))
        groups.extend(group_for_centre(c) for c in self.centre_ids)
        return groups

    def q(self) -> Q:
        q = Q(recipient_user_id=self.user_id)
        if self.unit_id is not None:
            q |= Q(recipient_unit_id=self.unit_id)
        if self.centre_ids:
            q |= Q(recipient_centre_id__in=self.centre_ids)
        return q


def audience_for(user: Any) -> Audience | None:
    """``None`` for an anonymous user. An officer hears as themselves, their
    unit and their centres; a superuser without an officer profile, or any
    other user, as themselves only."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    officer = Officer.objects.filter(user_id=user.pk).only("id", "unit_id").first()
    if officer is None:
        return Audience(user_id=user.pk, staff=bool(user.is_superuser))
    centres = tuple(sorted(officer.centres.values_list("id", flat=True)))
    return Audience(user_id=user.pk, unit_id=officer.unit_id, centre_ids=centres, staff=True)


def local_iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(LOCAL_TZ).isoformat() if moment else None


def notification_payload(n: Notification, *, with_read_at: bool = False) -> dict[str, Any]:
    """What a client receives, on the socket and (with ``read_at``) from the API."""
    payload: dict[str, Any] = {
        "type": "notification",
        "id": n.pk,
        "kind": n.kind,
        "dossier": n.dossier,
        "title": n.title,
        "body": n.body,
        "created_at": local_iso(n.created_at),
        "data": n.data,
    }
    if with_read_at:
        payload["read_at"] = local_iso(n.read_at)
    return payload


_PAYLOAD_FIELDS = ("id", "kind", "dossier", "title", "body", "created_at", "data", "read_at")


def notifications_visible(audience: Audience) -> QuerySet[Notification]:
    """The user's notifications (personal, their unit's, their centres'), newest first."""
    return Notification.objects.filter(audience.q()).order_by("-id")


def notifications_list(
    *, audience: Audience, after: int | None = None, unread: bool = False
) -> QuerySet[Notification]:
    qs = notifications_visible(audience).only(*_PAYLOAD_FIELDS)
    if after is not None:
        qs = qs.filter(id__gt=after)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs


def notifications_after(*, audience: Audience, after: int, limit: int) -> list[dict[str, Any]]:
    """Payloads of the notifications addressed to ``audience`` with id >
    ``after``, oldest first, at most ``limit``."""
    rows = (
        Notification.objects.filter(audience.q(), id__gt=after)
        .only(*_PAYLOAD_FIELDS)
        .order_by("id")[:limit]
    )
    return [notification_payload(n) for n in rows]


def notification_last_id(audience: Audience) -> int:
    return Notification.objects.filter(audience.q()).aggregate(m=Max("id"))["m"] or 0


def notifications_unread_count(audience: Audience, *, up_to: int | None = None) -> int:
    qs = Notification.objects.filter(audience.q(), read_at__isnull=True)
    if up_to is not None:
        qs = qs.filter(id__lte=up_to)
    return qs.count()
