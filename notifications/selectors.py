"""Everything in ``notifications`` that reads: who is addressed how, what a
notification looks like on the wire, what a user may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from config.clock import LOCAL_TZ
from config.errors import NotFound
from notifications.models import ChannelHealth, Delivery, DeliveryState, Notification
from procedures.models import Officer, Role
from procedures.selectors import officer_of, scope_centre_ids, sees_everything


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


# ---------------------------------------------------------------------------
# What could not be delivered (the managers' page and the admin)
# ---------------------------------------------------------------------------

#: Waiting after a failure (still retried) or expired unsent (never will be).
UNDELIVERED = Q(state=DeliveryState.EXPIRED) | (Q(state=DeliveryState.PENDING) & ~Q(last_error=""))
UNDELIVERED_STATES = {"waiting": DeliveryState.PENDING, "expired": DeliveryState.EXPIRED}


def may_see_undelivered(user: Any) -> bool:
    """Managers and administrators (of their centres), and the superuser."""
    if sees_everything(user):
        return True
    officer = officer_of(user)
    return officer is not None and officer.role in (Role.MANAGER, Role.ADMINISTRATOR)


def _in_scope(qs: QuerySet, user: Any, *, field: str) -> QuerySet:
    if not may_see_undelivered(user):
        return qs.none()
    ids = scope_centre_ids(user)
    return qs if ids is None else qs.filter(**{f"{field}__in": ids})


def undelivered_list(*, user: Any, state: str = "") -> QuerySet[Delivery]:
    """Deliveries not sent, newest first, of the notifications of the centres
    in the user's scope (``Notification.centre``); ``state``: ``waiting`` or
    ``expired``, else both. Empty for anyone else."""
    qs = _in_scope(Delivery.objects.filter(UNDELIVERED), user, field="notification__centre_id")
    if state in UNDELIVERED_STATES:
        qs = qs.filter(state=UNDELIVERED_STATES[state])
    return qs.select_related(
        "notification__centre", "notification__recipient_unit", "notification__recipient_user"
    ).order_by("-id")


def undelivered_counts(*, user: Any) -> dict[str, int]:
    rows = (
        _in_scope(Delivery.objects.filter(UNDELIVERED), user, field="notification__centre_id")
        .values("state")
        .annotate(n=Count("id"))
    )
    by_state = {row["state"]: row["n"] for row in rows}
    return {key: by_state.get(state, 0) for key, state in UNDELIVERED_STATES.items()}


def undelivered_get(*, user: Any, pk: int) -> Notification:
    """A notification of the user's scope that has an undelivered delivery,
    with all its deliveries; ``NotFound`` otherwise (out of scope is 404)."""
    qs = _in_scope(Notification.objects.all(), user, field="centre_id")
    n = (
        qs.filter(pk=pk, deliveries__in=Delivery.objects.filter(UNDELIVERED))
        .select_related("centre", "recipient_unit", "recipient_user")
        .prefetch_related("deliveries")
        .first()
    )
    if n is None:
        raise NotFound("Không tìm thấy thông báo này.", code="unknown_notification")
    return n


def channels_down() -> list[ChannelHealth]:
    """Channels the delivery runs last found down (a banner on the page)."""
    return list(ChannelHealth.objects.filter(down_since__isnull=False).order_by("channel"))
