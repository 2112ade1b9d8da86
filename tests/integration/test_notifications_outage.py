"""No notification is lost to an outage (issue 8, point 8).

Every channel really fails: the channel layer is Redis on a closed port, the
SMS gateway is the product's HTTP gateway client pointed at a closed port,
e-mail is Django's SMTP backend pointed at another. The frozen clock moves
through a 10-minute and a 2-hour outage, the delivery runs going every 30 s
(``manage.py sweep``'s default) while officers keep acting; then a real SMS
gateway and SMTP server start on those ports and the layer comes back.

Within 90 s of the recovery every message that still matters is delivered,
exactly once; those that stopped mattering during the outage (a step
reminder after the step's due time) are ``expired`` and never sent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import channel_layers, get_channel_layer
from django.contrib.auth.models import User

from notifications.models import ChannelHealth, Delivery, Notification
from notifications.services import Recipient, breaker, deliveries_run, notify
from procedures.models import Officer
from tests.support.gateways import SMSGatewayServer, SMTPServer, closed_port

CODE = "38.14797-261125-0001"
CLOSED_REDIS = "redis://127.0.0.1:6390/0"
STEP = dt.timedelta(seconds=30)  # the sweep's cadence
BATCH_EVERY = dt.timedelta(minutes=10)
#: A step reminder: worthless once the step is due, this long after it is sent.
REMINDER_LEAD = dt.timedelta(minutes=40)


def use_layer(settings, config: dict) -> None:
    settings.CHANNEL_LAYERS = config
    channel_layers.backends.clear()


@pytest.fixture
def channels_down(settings):
    """Layer, SMS gateway and SMTP server all down (refused connections)."""
    sms_server, smtp_server = SMSGatewayServer(closed_port()), SMTPServer(closed_port())
    settings.SMS_GATEWAY_URL = sms_server.url
    settings.SMS_GATEWAY_TIMEOUT = 2
    settings.SMS_ASCII = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_TIMEOUT = 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.REDIS_URL = ""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    use_layer(
        settings,
        {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [CLOSED_REDIS]},
            }
        },
    )
    for b in breaker.BREAKERS.values():
        b.reset()
    yield sms_server, smtp_server
    sms_server.stop()
    smtp_server.stop()
    channel_layers.backends.clear()
    for b in breaker.BREAKERS.values():
        b.reset()


@pytest.fixture
def people(demo):
    handler = User.objects.get(username="hacthanh.bhxh.chuyenvien")
    Officer.objects.filter(user=handler).update(phone="0987000000")
    return {"handler": handler, "unit": handler.officer.unit}


def act(people, i: int, at: dt.datetime, django_capture_on_commit_callbacks) -> None:
    """What the officers' actions of one moment write: a citizen told that the
    result is ready (web, SMS, e-mail), the unit told of a new dossier (web),
    the handler reminded that a step is almost due (web, SMS, e-mail)."""
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            recipients=[
                Recipient(
                    kind="citizen", phone=f"0912{i:06d}", email=f"c{i}@example.vn", name="Anh"
                )
            ],
            kind="result.ready",
            title=f"Hồ sơ đã có kết quả [{i}]",
            body="Mời Ông/Bà nhận kết quả.",
            dossier=CODE,
            channels=("web", "sms", "email"),
        )
        notify(
            recipients=[Recipient(kind="unit", unit_id=people["unit"].pk)],
            kind="queue.new",
            title=f"Hồ sơ mới chờ xử lý [{i}]",
            body="",
            dossier=CODE,
        )
        notify(
            recipients=[Recipient(kind="officer", user_id=people["handler"].pk)],
            kind="escalation.step_warning",
            title=f"Bước thẩm định sắp hết thời gian [{i}]",
            body="",
            dossier=CODE,
            data={"due_at": (at + REMINDER_LEAD).isoformat()},
            channels=("web", "sms", "email"),
        )


def received_by_group(groups: list[str], action):
    """Run ``action`` while listening on ``groups`` of the (memory) layer."""

    async def scenario():
        layer = get_channel_layer()
        channels = {}
        for group in groups:
            channels[group] = await layer.new_channel()
            await layer.group_add(group, channels[group])
        result = await sync_to_async(action)()
        got = Counter()
        for channel in channels.values():
            while True:
                try:
                    message = await asyncio.wait_for(layer.receive(channel), 0.2)
                except TimeoutError:
                    break
                got[message["notification"]["id"]] += 1
        return result, got

    return async_to_sync(scenario)()


OUTAGES = {"10 minutes": dt.timedelta(minutes=10), "2 hours": dt.timedelta(hours=2)}


@pytest.mark.parametrize("mode", ["embedded", "worker"])
@pytest.mark.parametrize("outage", list(OUTAGES))
def test_an_outage_loses_nothing_and_sends_each_message_once(
    people, clock, settings, channels_down, mode, outage, django_capture_on_commit_callbacks
):
    sms_server, smtp_server = channels_down
    if mode == "worker":
        # Production: Redis configured (and down); e-mail and SMS are left to the runs.
        settings.REDIS_URL = CLOSED_REDIS
        settings.CELERY_TASK_ALWAYS_EAGER = False
    start = clock.at
    recovery = start + OUTAGES[outage]

    # --- the outage ------------------------------------------------------------------------
    i = 0
    next_batch = start
    while clock.at < recovery:
        if clock.at >= next_batch:
            act(people, i, clock.at, django_capture_on_commit_callbacks)
            i += 1
            next_batch += BATCH_EVERY
        deliveries_run(now=clock.at)
        clock.advance(seconds=STEP.total_seconds())
    assert not Delivery.objects.filter(state="sent").exists()
    assert set(ChannelHealth.objects.values_list("channel", flat=True)) == {"web", "sms", "email"}
    # Probes, not hammering: the untried deliveries count no attempt; the
    # tried ones about one a minute per channel, whatever the backlog.
    minutes = OUTAGES[outage] / dt.timedelta(minutes=1)
    total_attempts = sum(Delivery.objects.values_list("attempts", flat=True))
    assert total_attempts <= 3 * (minutes + 2) + Delivery.objects.count(), total_attempts

    # --- the recovery ------------------------------------------------------------------------
    sms_server.start()
    smtp_server.start()
    use_layer(settings, {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}})
    groups = [f"track.{CODE}", f"unit.{people['unit'].pk}", f"user.{people['handler'].pk}"]

    def recover():
        # (runs in a copy of this context: it reads the clock, never moves it)
        act(people, i, clock.at, django_capture_on_commit_callbacks)  # life goes on
        for step in range(4):  # 0, 30, 60, 90 s after the recovery
            deliveries_run(now=clock.at + step * STEP)

    _, web_received = received_by_group(groups, recover)
    clock.advance(seconds=90)

    # --- nothing lost, nothing twice ------------------------------------------------------
    states = Counter(Delivery.objects.values_list("state", flat=True))
    assert states["pending"] == 0, states  # every one is sent or expired
    expired = Delivery.objects.filter(state="expired").select_related("notification")
    for d in expired:
        assert d.notification.kind == "escalation.step_warning"
        assert d.notification.expires_at <= recovery
    if outage == "10 minutes":
        assert not expired  # every reminder still mattered
    else:
        assert expired  # those sent more than 40 minutes before the recovery
    expired_titles = {d.notification.title for d in expired}

    sent = Delivery.objects.filter(state="sent").select_related("notification")
    want_web = Counter(d.notification_id for d in sent if d.channel == "web")
    want_sms = Counter(d.text for d in sent if d.channel == "sms")
    want_email = Counter(d.notification.title for d in sent if d.channel == "email")
    assert web_received == want_web
    assert Counter(text for _, text in sms_server.received) == want_sms
    assert Counter(subject for _, subject in smtp_server.received) == want_email
    assert set(want_sms.values()) == set(want_email.values()) == {1}
    assert not any(title in text for title in expired_titles for _, text in sms_server.received)
    assert not expired_titles & {subject for _, subject in smtp_server.received}
    notifications = Notification.objects.count()
    assert notifications == 3 * (i + 1)
    assert Delivery.objects.count() == (i + 1) * (3 + 1 + 3)
    assert sent.count() + expired.count() == Delivery.objects.count()
    assert not ChannelHealth.objects.filter(down_since__isnull=False).exists()

    # --- and nothing more later --------------------------------------------------------------
    before = len(sms_server.received), len(smtp_server.received)
    for hours in (1, 24, 24 * 8):
        assert deliveries_run(now=clock.at + dt.timedelta(hours=hours)) == {
            "sent": 0,
            "retrying": 0,
            "expired": 0,
        }
    assert (len(sms_server.received), len(smtp_server.received)) == before
