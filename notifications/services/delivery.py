"""Delivering the outbox: claim what is due, send it outside any
transaction, record the outcome; retry with exponential backoff.

A delivery is first *claimed* (attempt counted, next attempt pushed past a
lease) in a short transaction, then sent, then its outcome recorded. Two
runners never claim the same row; a runner that dies mid-send leaves the row
to be retried when the lease ends (at least once, never twice while alive).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import smtplib
import socket
from collections.abc import Callable, Sequence

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F, Q

from config.clock import now as clock_now
from notifications import selectors, sms
from notifications.models import Channel, Delivery, DeliveryState, Notification, RecipientKind
from notifications.text import one_line

log = logging.getLogger(__name__)

#: A delivery is given up (``failed``) after this many attempts.
MAX_ATTEMPTS = 8
BACKOFF_BASE = dt.timedelta(seconds=15)
BACKOFF_CAP = dt.timedelta(hours=1)
#: While a claimed delivery is being sent no other runner may take it.
LEASE = dt.timedelta(minutes=5)
#: Rows claimed per transaction by ``deliveries_run``.
CHUNK = 50
#: A group_send that has not finished after this long counts as failed.
WEB_SEND_TIMEOUT = 5.0


def backoff(attempts: int) -> dt.timedelta:
    """Wait after the ``attempts``-th failed attempt: 15 s, 30 s, 1 min, … ≤ 1 h."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


class ChannelDown(Exception):
    """The channel itself (layer, SMTP server, SMS gateway) is unreachable:
    the rest of the run does not try it again."""


def deliveries_run(*, now: dt.datetime, limit: int = 500) -> dict[str, int]:
    """Send what is due (pending and ``next_attempt_at`` ≤ ``now``), oldest
    first, at most ``limit``. Safe with several runners at once."""
    totals = {"sent": 0, "retrying": 0, "failed": 0}
    down: dict[str, str] = {}
    remaining = limit
    while remaining > 0:
        batch = _claim(now=now, limit=min(CHUNK, remaining))
        if not batch:
            break
        remaining -= len(batch)
        for key, value in _send_and_record(batch, now=now, down=down).items():
            totals[key] += value
    return totals


def deliver(ids: Sequence[int], *, now: dt.datetime | None = None) -> dict[str, int]:
    """Attempt these deliveries now (those still pending and due): the fast
    path after commit and the Celery task."""
    now = now or clock_now()
    batch = _claim(now=now, limit=len(ids), ids=list(ids)) if ids else []
    if not batch:
        return {"sent": 0, "retrying": 0, "failed": 0}
    return _send_and_record(batch, now=now, down={})


def send_fresh(
    batch: list[Delivery],
    *,
    now: dt.datetime | None = None,
    broadcasts: Sequence[tuple[str, dict]] = (),
) -> dict[str, int]:
    """The fast path right after commit: these deliveries were just written
    by this process and the retry sweep leaves them alone for a grace period,
    so they are sent from memory without claiming, then recorded in one
    UPDATE per outcome (only rows still pending: never twice)."""
    now = now or clock_now()
    outcome = _send(batch, down={}, broadcasts=broadcasts)
    sent = [pk for pk, error in outcome.items() if error is None]
    failed = {pk: error for pk, error in outcome.items() if error is not None}
    if sent:
        Delivery.objects.filter(pk__in=sent, state=DeliveryState.PENDING).update(
            state=DeliveryState.SENT, sent_at=now, last_error="", attempts=F("attempts") + 1
        )
    for pk, error in failed.items():
        # Counted as the first attempt; the retry sweep takes it from here.
        Delivery.objects.filter(pk=pk, state=DeliveryState.PENDING).update(
            attempts=F("attempts") + 1,
            last_error=(error or "")[:2000],
            next_attempt_at=now + backoff(1),
        )
    return {"sent": len(sent), "retrying": len(failed), "failed": 0}


def deliveries_retry(*, ids: Sequence[int], now: dt.datetime) -> dict[str, int]:
    """Admin "retry now": make these (unsent) deliveries due and attempt them."""
    Delivery.objects.filter(pk__in=list(ids)).exclude(state=DeliveryState.SENT).update(
        state=DeliveryState.PENDING, next_attempt_at=now
    )
    return deliver(ids, now=now)


def _claim(*, now: dt.datetime, limit: int, ids: list[int] | None = None) -> list[Delivery]:
    with transaction.atomic():
        due = Q(next_attempt_at__lte=now)
        if ids is not None:
            # Named deliveries never attempted yet (the Celery task queued right
            # after commit) need not wait out the fast-path grace period.
            due |= Q(attempts=0)
        qs = Delivery.objects.filter(due, state=DeliveryState.PENDING)
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        batch = list(qs.select_related("notification").order_by("id")[:limit])
        if batch:
            Delivery.objects.filter(pk__in=[d.pk for d in batch]).update(
                attempts=F("attempts") + 1, next_attempt_at=now + LEASE
            )
            for d in batch:
                d.attempts += 1
    return batch


def _send_and_record(
    batch: list[Delivery], *, now: dt.datetime, down: dict[str, str]
) -> dict[str, int]:
    return _record(batch, _send(batch, down=down), now=now)


def _send(
    batch: list[Delivery], *, down: dict[str, str], broadcasts: Sequence[tuple[str, dict]] = ()
) -> dict[int, str | None]:
    """Send a batch: the web ones (and any broadcasts) in one hop into the
    event loop, then e-mail and SMS one by one. Returns each delivery's error
    (None when sent). A channel found down is not tried again in this run."""
    outcome: dict[int, str | None] = {}
    web = [d for d in batch if d.channel == Channel.WEB]
    if web or broadcasts:
        outcome.update(_send_web(web, down=down, extra=broadcasts))
    for d in batch:
        if d.channel == Channel.WEB:
            continue
        if d.channel in down:
            outcome[d.pk] = down[d.channel]
            continue
        try:
            SENDERS[d.channel](d)
        except ChannelDown as e:
            down[d.channel] = f"Không gửi: kênh {d.channel} đang lỗi ({e})"
            outcome[d.pk] = str(e)
        except Exception as e:
            outcome[d.pk] = f"{type(e).__name__}: {e}"
        else:
            outcome[d.pk] = None
    return outcome


def _record(
    batch: list[Delivery], outcome: dict[int, str | None], *, now: dt.datetime
) -> dict[str, int]:
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    sent = [d.pk for d in batch if outcome.get(d.pk) is None]
    with transaction.atomic():
        if sent:
            Delivery.objects.filter(pk__in=sent).update(
                state=DeliveryState.SENT, sent_at=now, last_error=""
            )
            counts["sent"] = len(sent)
        for d in batch:
            error = outcome.get(d.pk)
            if error is None:
                continue
            error = error[:2000]
            if d.attempts >= MAX_ATTEMPTS:
                Delivery.objects.filter(pk=d.pk).update(
                    state=DeliveryState.FAILED, last_error=error
                )
                counts["failed"] += 1
                log.error("notifications: delivery %s given up: %s", d.pk, error)
            else:
                Delivery.objects.filter(pk=d.pk).update(
                    last_error=error, next_attempt_at=now + backoff(d.attempts)
                )
                counts["retrying"] += 1
    return counts


# --- senders ------------------------------------------------------------------------


def web_group(n: Notification) -> str:
    if n.recipient_kind == RecipientKind.OFFICER:
        return selectors.group_for_user(n.recipient_user_id)
    if n.recipient_kind == RecipientKind.UNIT:
        return selectors.group_for_unit(n.recipient_unit_id)
    if n.recipient_kind == RecipientKind.CENTRE:
        return selectors.group_for_centre(n.recipient_centre_id)
    return selectors.group_for_dossier(n.dossier)


def _send_web(
    batch: list[Delivery],
    *,
    down: dict[str, str],
    extra: Sequence[tuple[str, dict]] = (),
) -> dict[int, str | None]:
    """group_send each, in id order, in one event loop; the first failure
    marks the layer down for the rest of the run. ``extra`` are best-effort
    broadcasts (no outbox row) sent in the same hop, after the deliveries."""
    if "web" in down:
        return {d.pk: down["web"] for d in batch}
    layer = get_channel_layer()
    if layer is None:
        return {d.pk: "Chưa cấu hình channel layer." for d in batch}
    messages = [
        (
            d.pk,
            web_group(d.notification),
            {
                "type": "notification.message",
                "notification": selectors.notification_payload(d.notification),
            },
        )
        for d in sorted(batch, key=lambda d: d.pk)
    ]

    async def send_all() -> dict[int, str | None]:
        results: dict[int, str | None] = {}
        failure: str | None = None
        for pk, group, message in messages:
            if failure is not None:
                results[pk] = failure
                continue
            try:
                await asyncio.wait_for(layer.group_send(group, message), WEB_SEND_TIMEOUT)
            except Exception as e:
                error = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
                results[pk] = error
                failure = f"Không gửi: channel layer đang lỗi ({error})"
            else:
                results[pk] = None
        if failure is not None:
            down["web"] = failure
        else:
            for group, message in extra:
                try:
                    await asyncio.wait_for(layer.group_send(group, message), WEB_SEND_TIMEOUT)
                except Exception:
                    log.warning("notifications: broadcast to %s failed", group, exc_info=True)
                    break
        return results

    return async_to_sync(send_all)()


def _send_email(d: Delivery) -> None:
    n = d.notification
    lines = [n.body.strip()]
    if n.dossier:
        lines.append(f"Mã hồ sơ: {n.dossier}")
    lines.append("--\nThư tự động từ hệ thống một cửa motcua; vui lòng không trả lời thư này.")
    try:
        send_mail(
            subject=one_line(n.title),
            message="\n\n".join(line for line in lines if line),
            from_email=None,
            recipient_list=[d.address],
            fail_silently=False,
        )
    except (
        ConnectionError,
        TimeoutError,
        socket.gaierror,
        smtplib.SMTPConnectError,
        smtplib.SMTPServerDisconnected,
    ) as e:
        raise ChannelDown(f"{type(e).__name__}: {e}") from e


def _send_sms(d: Delivery) -> None:
    try:
        sms.get_sms_gateway().send(d.address, d.text)
    except sms.SMSUnavailable as e:
        raise ChannelDown(str(e)) from e


SENDERS: dict[str, Callable[[Delivery], None]] = {
    Channel.EMAIL: _send_email,
    Channel.SMS: _send_sms,
}
