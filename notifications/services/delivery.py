"""Delivering the outbox: claim what is due, send it outside any
transaction, record the outcome; retry until sent or no longer worth sending.

A delivery is first *claimed* (pushed past a lease) in a short transaction,
then sent, then its outcome recorded. Two runners never claim the same row; a
runner that dies mid-send leaves the row to be retried when the lease ends
(at least once, never twice while alive).

Nothing is given up because of an outage:

* a delivery is retried until it is sent or its notification expires
  (``Notification.expires_at``, from ``notifications.lifetimes``); then it
  is marked ``expired`` and never sent;
* a message the channel refuses (a bad number, an SMTP refusal) is retried
  with an exponential backoff capped at ``BACKOFF_CAP`` (15 min);
* a channel found down as a whole (``ChannelDown``: the layer, the SMTP
  server, the SMS gateway unreachable) is recorded in ``ChannelHealth``; the
  runs then leave its deliveries alone, due, and probe the channel with one
  of them once per ``PROBE_EVERY`` (only the deliveries actually tried count
  an attempt). The first success marks the channel up and sends all the
  waiting ones at once (the ones in a backoff are pulled forward to now).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import smtplib
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q

from config.clock import now as clock_now
from notifications import selectors, sms
from notifications.models import (
    Channel,
    ChannelHealth,
    Delivery,
    DeliveryState,
    Notification,
    RecipientKind,
)
from notifications.services.breaker import BREAKERS, layer_reachable
from notifications.text import one_line

log = logging.getLogger(__name__)

BACKOFF_BASE = dt.timedelta(seconds=15)
BACKOFF_CAP = dt.timedelta(minutes=15)
#: A channel known down is probed (one delivery tried) at most this often.
PROBE_EVERY = dt.timedelta(seconds=60)
#: While a claimed delivery is being sent no other runner may take it.
LEASE = dt.timedelta(minutes=5)
#: Rows claimed per transaction by ``deliveries_run``.
CHUNK = 50
#: A group_send that has not finished after this long counts as failed.
WEB_SEND_TIMEOUT = 5.0


@dataclass(frozen=True)
class Failure:
    """A delivery that was tried and not sent; ``channel_down``: because the
    channel as a whole is unreachable (not this message's fault)."""

    error: str
    channel_down: bool = False


class _NotTried:
    """A delivery left alone because its channel is down (no attempt counted)."""

    def __repr__(self) -> str:
        return "NOT_TRIED"


NOT_TRIED = _NotTried()
#: None: sent.
Outcome = Failure | _NotTried | None


def backoff(attempts: int) -> dt.timedelta:
    """Wait after the ``attempts``-th refused attempt: 15 s, 30 s, 1 min, … ≤ 15 min."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def _counts() -> dict[str, int]:
    return {"sent": 0, "retrying": 0, "expired": 0}


class ChannelDown(Exception):
    """The channel itself (layer, SMTP server, SMS gateway) is unreachable:
    the rest of the run does not try it again."""


def deliveries_run(*, now: dt.datetime, limit: int = 500) -> dict[str, int]:
    """Send what is due (pending and ``next_attempt_at`` ≤ ``now``), oldest
    first, at most ``limit``; mark what expired. Safe with several runners."""
    totals = _counts()
    totals["expired"] = _expire(now=now)
    health = _channels_down()
    # A channel known down waits for its probe time; its deliveries stay due.
    resting = {c for c, h in health.items() if h.checked_at and h.checked_at > now - PROBE_EVERY}
    down: dict[str, str] = {}
    remaining = limit
    while remaining > 0:
        batch = _claim(now=now, limit=min(CHUNK, remaining), skip=resting | set(down))
        if not batch:
            break
        remaining -= len(batch)
        outcome = _send(batch, down=down)
        for key, value in _record(batch, outcome, now=now).items():
            totals[key] += value
        _follow_health(batch, outcome, now=now, health=health)
    return totals


def deliver(ids: Sequence[int], *, now: dt.datetime | None = None) -> dict[str, int]:
    """Attempt these deliveries now (those still pending and due, or never
    tried), whatever is known about their channels: the admin's "retry now"
    and the Celery task."""
    now = now or clock_now()
    batch = _claim(now=now, limit=len(ids), ids=list(ids)) if ids else []
    if not batch:
        return _counts()
    outcome = _send(batch, down={})
    counts = _record(batch, outcome, now=now)
    _follow_health(batch, outcome, now=now, health=_channels_down())
    return counts


def send_fresh(
    batch: list[Delivery],
    *,
    now: dt.datetime | None = None,
    broadcasts: Sequence[tuple[str, dict]] = (),
    budget: float | None = None,
) -> dict[str, int]:
    """The fast path right after commit: these deliveries were just written
    by this process and the runs leave them alone for a grace period, so they
    are sent from memory without claiming, then recorded in one UPDATE per
    outcome (only rows still pending: never twice).

    A channel whose breaker is open is skipped (its deliveries are left to the
    runs, no attempt counted); the channel layer gets at most ``budget``
    seconds in all. A channel that is back after a failure has its waiting
    deliveries pulled forward."""
    now = now or clock_now()
    recovered: set[str] = set()
    outcome = _send(
        batch, down={}, broadcasts=broadcasts, fast=True, budget=budget, recovered=recovered
    )
    sent = [pk for pk, result in outcome.items() if result is None]
    failed = {pk: result for pk, result in outcome.items() if isinstance(result, Failure)}
    if sent:
        Delivery.objects.filter(pk__in=sent, state=DeliveryState.PENDING).update(
            state=DeliveryState.SENT,
            sent_at=now,
            last_error="",
            waiting_for_channel=False,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
        )
    for pk, result in failed.items():
        # Counted as the first attempt; the runs take it from here.
        Delivery.objects.filter(pk=pk, state=DeliveryState.PENDING).update(
            attempts=F("attempts") + 1,
            last_error=result.error[:2000],
            waiting_for_channel=result.channel_down,
            last_attempt_at=now,
            next_attempt_at=now + backoff(1),
        )
    for channel in recovered:
        _pull_forward(channel, now=now)
    return {"sent": len(sent), "retrying": len(outcome) - len(sent), "expired": 0}


def deliveries_retry(*, ids: Sequence[int], now: dt.datetime) -> dict[str, int]:
    """Admin "retry now": make these pending deliveries due and attempt them
    (sent ones are never sent twice, expired ones never sent)."""
    Delivery.objects.filter(pk__in=list(ids), state=DeliveryState.PENDING).update(
        next_attempt_at=now
    )
    return deliver(ids, now=now)


# --- the outbox's rows ----------------------------------------------------------------


def _live(now: dt.datetime) -> Q:
    return Q(notification__expires_at__gt=now)


def _expire(*, now: dt.datetime) -> int:
    """Pending deliveries of notifications that stopped mattering: ``expired``."""
    expired = Delivery.objects.filter(
        state=DeliveryState.PENDING, notification__expires_at__lte=now
    ).update(state=DeliveryState.EXPIRED)
    if expired:
        log.warning("notifications: %d deliveries expired unsent", expired)
    return expired


def _claim(
    *,
    now: dt.datetime,
    limit: int,
    ids: list[int] | None = None,
    skip: set[str] | frozenset[str] = frozenset(),
) -> list[Delivery]:
    with transaction.atomic():
        due = Q(next_attempt_at__lte=now)
        if ids is not None:
            # Named deliveries never attempted yet (the Celery task queued right
            # after commit) need not wait out the fast-path grace period.
            due |= Q(attempts=0)
        qs = Delivery.objects.filter(due, _live(now), state=DeliveryState.PENDING)
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        if skip:
            qs = qs.exclude(channel__in=sorted(skip))
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        batch = list(qs.select_related("notification").order_by("id")[:limit])
        if batch:
            Delivery.objects.filter(pk__in=[d.pk for d in batch]).update(
                next_attempt_at=now + LEASE
            )
    return batch


def _record(
    batch: list[Delivery], outcome: dict[int, Outcome], *, now: dt.datetime
) -> dict[str, int]:
    """Sent, refused (backoff), failed because the channel is down (due again,
    the runs wait for the probe), not tried (released, no attempt counted)."""
    counts = _counts()
    sent = [d.pk for d in batch if outcome.get(d.pk, NOT_TRIED) is None]
    not_tried = [d.pk for d in batch if outcome.get(d.pk, NOT_TRIED) is NOT_TRIED]
    with transaction.atomic():
        if sent:
            Delivery.objects.filter(pk__in=sent).update(
                state=DeliveryState.SENT,
                sent_at=now,
                last_error="",
                waiting_for_channel=False,
                attempts=F("attempts") + 1,
                last_attempt_at=now,
            )
            counts["sent"] = len(sent)
        if not_tried:
            Delivery.objects.filter(pk__in=not_tried).update(
                next_attempt_at=now, waiting_for_channel=True
            )
            Delivery.objects.filter(pk__in=not_tried, last_error="").update(
                last_error="Chưa gửi: kênh đang lỗi, chờ kênh hoạt động lại."
            )
            counts["retrying"] += len(not_tried)
        for d in batch:
            result = outcome.get(d.pk, NOT_TRIED)
            if not isinstance(result, Failure):
                continue
            Delivery.objects.filter(pk=d.pk).update(
                attempts=F("attempts") + 1,
                last_attempt_at=now,
                last_error=result.error[:2000],
                waiting_for_channel=result.channel_down,
                # A refusal backs off; a channel outage waits for the probe.
                next_attempt_at=now if result.channel_down else now + backoff(d.attempts + 1),
            )
            counts["retrying"] += 1
    return counts


def _follow_health(
    batch: list[Delivery],
    outcome: dict[int, Outcome],
    *,
    now: dt.datetime,
    health: dict[str, ChannelHealth],
) -> None:
    """Record channels found down; on a channel that works again, mark it up
    and pull its waiting deliveries forward (the loop sends them next)."""
    failed: dict[str, str] = {}
    working: set[str] = set()
    for d in batch:
        result = outcome.get(d.pk, NOT_TRIED)
        if result is None:
            working.add(d.channel)
        elif isinstance(result, Failure) and result.channel_down:
            failed.setdefault(d.channel, result.error)
    for channel, error in failed.items():
        health[channel] = _mark_down(channel, error=error, now=now)
    for channel in working - failed.keys():
        if health.pop(channel, None) is not None:
            ChannelHealth.objects.filter(channel=channel).update(
                down_since=None, checked_at=now, last_error=""
            )
            log.warning("notifications: channel %s works again", channel)
        # One UPDATE over the channel's waiting rows (few, and indexed): a
        # failure somewhere else (the fast path, another runner) may have left
        # some in a backoff.
        _pull_forward(channel, now=now)


def _channels_down() -> dict[str, ChannelHealth]:
    return {h.channel: h for h in ChannelHealth.objects.filter(down_since__isnull=False)}


def _mark_down(channel: str, *, error: str, now: dt.datetime) -> ChannelHealth:
    updated = ChannelHealth.objects.filter(channel=channel, down_since__isnull=False).update(
        checked_at=now, last_error=error[:2000]
    )
    if not updated:
        try:
            with transaction.atomic():
                ChannelHealth.objects.update_or_create(
                    channel=channel,
                    defaults={"down_since": now, "checked_at": now, "last_error": error[:2000]},
                )
        except IntegrityError:  # another runner created it at the same moment
            pass
        log.error("notifications: channel %s is down: %s", channel, error)
    return ChannelHealth(channel=channel, down_since=now, checked_at=now, last_error=error)


def _pull_forward(channel: str, *, now: dt.datetime) -> int:
    """The channel works: its deliveries that failed because it was down are
    due now (a message it refused keeps its own backoff)."""
    moved = Delivery.objects.filter(
        state=DeliveryState.PENDING,
        channel=channel,
        next_attempt_at__gt=now,
        waiting_for_channel=True,
    ).update(next_attempt_at=now)
    if moved:
        log.info("notifications: %d %s deliveries re-sent now", moved, channel)
    return moved


# --- sending ----------------------------------------------------------------------------


def _send(
    batch: list[Delivery],
    *,
    down: dict[str, str],
    broadcasts: Sequence[tuple[str, dict]] = (),
    fast: bool = False,
    budget: float | None = None,
    recovered: set[str] | None = None,
) -> dict[int, Outcome]:
    """Send a batch: the web ones (and any broadcasts) in one hop into the
    event loop, then e-mail and SMS one by one. Returns each delivery's
    outcome: None when sent, a ``Failure``, or ``NOT_TRIED``. A channel found
    down is not tried again in this run.

    ``fast``: the after-commit path, which also skips the channels whose
    breaker is open, and adds to ``recovered`` those whose breaker closes
    again after a failure."""
    outcome: dict[int, Outcome] = {}
    recovered = recovered if recovered is not None else set()
    web = [d for d in batch if d.channel == Channel.WEB]
    if web or broadcasts:
        outcome.update(
            _send_web(
                web, down=down, extra=broadcasts, fast=fast, budget=budget, recovered=recovered
            )
        )
    for d in batch:
        if d.channel == Channel.WEB:
            continue
        breaker = BREAKERS[d.channel]
        if d.channel in down or (fast and not breaker.allow()):
            outcome[d.pk] = NOT_TRIED
            continue
        try:
            SENDERS[d.channel](d)
        except ChannelDown as e:
            down[d.channel] = str(e)
            if fast:
                breaker.failure()
            outcome[d.pk] = Failure(str(e), channel_down=True)
        except Exception as e:
            outcome[d.pk] = Failure(f"{type(e).__name__}: {e}")
        else:
            outcome[d.pk] = None
            if fast and breaker.success():
                recovered.add(d.channel)
    return outcome


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
    fast: bool = False,
    budget: float | None = None,
    recovered: set[str],
) -> dict[int, Outcome]:
    """group_send each, in id order, in one event loop; the first failure
    marks the layer down for the rest of the run. ``extra`` are best-effort
    broadcasts (no outbox row) sent in the same hop, after the deliveries.

    ``fast`` (after commit): nothing is sent while the layer's breaker is
    open; when it is half-open a TCP connect to Redis comes first; the whole
    hop takes at most ``budget`` seconds."""
    if "web" in down:
        return dict.fromkeys((d.pk for d in batch), NOT_TRIED)
    layer = get_channel_layer()
    if layer is None:
        return {d.pk: Failure("Chưa cấu hình channel layer.") for d in batch}
    breaker = BREAKERS["web"]
    if fast:
        if not breaker.allow():
            return dict.fromkeys((d.pk for d in batch), NOT_TRIED)
        if breaker.half_open() and not layer_reachable(layer):
            breaker.failure()
            return dict.fromkeys((d.pk for d in batch), NOT_TRIED)
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
    deadline = time.monotonic() + budget if budget is not None else None

    def timeout() -> float:
        if deadline is None:
            return WEB_SEND_TIMEOUT
        return max(0.0, min(WEB_SEND_TIMEOUT, deadline - time.monotonic()))

    async def send_all() -> dict[int, Outcome]:
        results: dict[int, Outcome] = {}
        failure: str | None = None
        for pk, group, message in messages:
            if failure is not None:
                results[pk] = NOT_TRIED
                continue
            try:
                await asyncio.wait_for(layer.group_send(group, message), timeout())
            except Exception as e:
                error = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
                failure = f"Không gửi: channel layer đang lỗi ({error})"
                results[pk] = Failure(failure, channel_down=True)
            else:
                results[pk] = None
        if failure is None:
            for group, message in extra:
                try:
                    await asyncio.wait_for(layer.group_send(group, message), timeout())
                except Exception as e:
                    log.warning("notifications: broadcast to %s failed", group, exc_info=True)
                    failure = f"{type(e).__name__}: {e}"
                    break
        if failure is not None:
            down["web"] = failure
        return results

    results = async_to_sync(send_all)()
    if fast and "web" in down:
        breaker.failure()
    elif fast and breaker.success():
        recovered.add("web")
    return results


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
