"""The outbox: what ``notify`` writes, how deliveries are attempted after
commit, retried with backoff, given up, and never sent twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.db import database_sync_to_async
from channels.layers import channel_layers, get_channel_layer
from django.contrib.auth.models import User
from django.core import mail
from django.db import connections, transaction

from config.celery import app
from notifications import services, sms, tasks
from notifications.models import ChannelHealth, Delivery, Notification
from notifications.services import Recipient, breaker, deliveries_run, notify, outbox
from procedures.models import Officer, Unit

CODE = "38.14797-261125-0001"
#: Nothing listens there: Redis "down" as a refused connection.
CLOSED_REDIS = "redis://127.0.0.1:6390/0"
BROKEN_LAYER = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
    }
}


def memory_layer() -> dict:
    return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def redis_layer(url: str | None = None) -> dict:
    # A prefix of our own: other test runs may share this Redis.
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [url or os.environ.get("REDIS_URL", "")],
                "prefix": f"motcua-test-{uuid.uuid4().hex[:8]}",
            },
        }
    }


def use_layer(settings, config: dict) -> None:
    settings.CHANNEL_LAYERS = config
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _own_channel_layer(settings):
    """Every test starts with a fresh in-memory layer (never a shared Redis)."""
    settings.REDIS_URL = ""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.SMS_ASCII = False
    use_layer(settings, memory_layer())
    for b in breaker.BREAKERS.values():
        b.reset()
    yield
    channel_layers.backends.clear()
    for b in breaker.BREAKERS.values():
        b.reset()


class FakeGateway:
    """Records what it is asked to send; raises while ``failure`` is set."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.failure: Exception | None = None
        self.delay = 0.0
        self.lock = threading.Lock()

    def send(self, to: str, text: str) -> None:
        if self.delay:
            time.sleep(self.delay)
        if self.failure is not None:
            raise self.failure
        with self.lock:
            self.calls.append((to, text))


@pytest.fixture
def gateway(monkeypatch):
    fake = FakeGateway()
    monkeypatch.setattr(sms, "get_sms_gateway", lambda: fake)
    return fake


@pytest.fixture
def people(demo):
    handler = User.objects.get(username="hacthanh.bhxh.chuyenvien")
    manager = User.objects.get(username="hacthanh.quanly")
    return {
        "handler": handler,
        "manager": manager,
        "unit": handler.officer.unit,
        "centre": handler.officer.centres.get(),
        "other_unit": Unit.objects.get(agency__code="bhxh-16531", code="nghiep-vu"),
    }


def citizen(phone="0912 345 678", email="anh@example.vn"):
    return Recipient(kind="citizen", phone=phone, email=email, name="Nguyễn Viết Anh")


def listen(groups: list[str], action, *, quiet: float = 0.3):
    """Run ``action`` (sync, in this thread, with this test's database
    connection) while listening on ``groups``; return (its result, the
    messages each group's listener received)."""

    async def scenario():
        layer = get_channel_layer()
        channels = {}
        for group in groups:
            channels[group] = await layer.new_channel()
            await layer.group_add(group, channels[group])
        result = await sync_to_async(action)()
        received: dict[str, list] = {}
        for group, channel in channels.items():
            received[group] = []
            while True:
                try:
                    received[group].append(await asyncio.wait_for(layer.receive(channel), quiet))
                except TimeoutError:
                    break
        return result, received

    return async_to_sync(scenario)()


# ---------------------------------------------------------------------------
# What notify() writes
# ---------------------------------------------------------------------------


def test_notify_writes_one_row_per_recipient_and_the_applicable_deliveries(
    people, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        rows = notify(
            recipients=[
                Recipient(kind="officer", user_id=people["handler"].pk),
                Recipient(kind="unit", unit_id=people["unit"].pk),
                Recipient(kind="centre", centre_id=people["centre"].pk, email="tt@hacthanh.vn"),
                citizen(),
                citizen(phone="", email=""),
            ],
            kind="result.ready",
            title="Hồ sơ đã có kết quả",
            body="Mời Ông/Bà nhận kết quả.",
            dossier=CODE,
            data={"status": "result_ready", "steps": [1, 2]},
            channels=("web", "email", "sms"),
        )
    assert len(callbacks) == 1  # one after-commit attempt for the lot
    assert [n.recipient_kind for n in rows] == ["officer", "unit", "centre", "citizen", "citizen"]
    assert [n.pk for n in rows] == sorted(n.pk for n in rows)
    stored = Notification.objects.get(pk=rows[3].pk)
    assert (stored.citizen_phone, stored.citizen_email) == ("0912345678", "anh@example.vn")
    assert stored.created_at == clock.at
    assert stored.data == {"status": "result_ready", "steps": [1, 2]}
    assert rows[0].recipient_name == "Trần Văn Nam"  # from the officer profile

    def channels_of(n):
        return {
            d.channel: d.address for d in Delivery.objects.filter(notification=n).order_by("id")
        }

    # officer: web, and e-mail to the account's address; no phone on the profile → no SMS
    assert channels_of(rows[0]) == {"web": "", "email": "hacthanh.bhxh.chuyenvien@motcua.invalid"}
    assert channels_of(rows[1]) == {"web": ""}  # a unit has no address of its own
    assert channels_of(rows[2]) == {"web": "", "email": "tt@hacthanh.vn"}
    assert channels_of(rows[3]) == {"web": "", "email": "anh@example.vn", "sms": "0912345678"}
    assert channels_of(rows[4]) == {"web": ""}
    sms_row = Delivery.objects.get(notification=rows[3], channel="sms")
    assert sms_row.text == f"Hồ sơ đã có kết quả. Mã hồ sơ: {CODE}."
    pending = Delivery.objects.filter(notification__in=rows)
    # Due for the retry sweep only after the fast path's grace period.
    assert {(d.state, d.attempts, d.next_attempt_at) for d in pending} == {
        ("pending", 0, clock.at + services.FAST_PATH_GRACE)
    }


def test_officer_sms_goes_to_the_profile_phone_and_web_only_when_asked(
    people, clock, django_capture_on_commit_callbacks
):
    Officer.objects.filter(user=people["handler"]).update(phone="0987654321")
    with django_capture_on_commit_callbacks():
        [n] = notify(
            recipients=[Recipient(kind="officer", user_id=people["handler"].pk)],
            kind="escalation.step_overdue",
            title="Bước quá hạn",
            body="",
            dossier=CODE,
            channels=("sms",),
            sms_text=f"Hồ sơ {CODE} quá hạn bước thẩm định.",
        )
    [d] = n.deliveries.all()
    assert (d.channel, d.address, d.text) == (
        "sms",
        "0987654321",
        f"Hồ sơ {CODE} quá hạn bước thẩm định.",
    )


def test_sms_is_folded_for_gsm_gateways(people, settings, django_capture_on_commit_callbacks):
    settings.SMS_ASCII = True
    with django_capture_on_commit_callbacks():
        [n] = notify(
            recipients=[citizen()],
            kind="supplement.requested",
            title="Hồ sơ cần bổ sung",
            body="…",
            dossier=CODE,
            channels=("sms",),
            sms_text="Đề nghị bổ sung Giấy ra viện. Hạn: 17:00 ngày 03/12/2026.",
        )
    assert n.deliveries.get().text == (
        f"De nghi bo sung Giay ra vien. Han: 17:00 ngay 03/12/2026. Ma ho so: {CODE}."
    )


@pytest.mark.parametrize(
    "data",
    [
        {"at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)},
        {"ids": (1, 2)},
        {1: "key is not a string"},
        {"nan": float("nan")},
        {"user": object()},
        ["not", "a", "dict"],
    ],
)
def test_data_must_survive_a_json_round_trip(people, data):
    with pytest.raises(ValueError):
        notify(
            recipients=[Recipient(kind="officer", user_id=people["handler"].pk)],
            kind="x",
            title="t",
            body="b",
            data=data,
        )
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("recipient", "extra"),
    [
        (Recipient(kind="officer"), {}),
        (Recipient(kind="unit"), {}),
        (Recipient(kind="centre"), {}),
        (Recipient(kind="citizen", phone="0912345678"), {}),  # no dossier to reach them by
        (Recipient(kind="nobody", user_id=1), {}),
        (Recipient(kind="officer", user_id=10**9), {}),
        (Recipient(kind="unit", unit_id=10**9), {}),
        (Recipient(kind="citizen"), {"dossier": "có dấu cách"}),
        (Recipient(kind="citizen"), {"dossier": CODE, "channels": ("web", "fax")}),
    ],
)
def test_programming_errors_raise_and_write_nothing(people, recipient, extra):
    with pytest.raises(ValueError):
        notify(recipients=[recipient], kind="x", title="t", body="b", **extra)
    assert not Notification.objects.exists()
    assert not Delivery.objects.exists()


def test_no_recipients_is_nothing(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert notify(recipients=[], kind="x", title="t", body="b") == []
    assert callbacks == []


def test_a_failed_caller_transaction_leaves_nothing(people, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(
            recipients=[Recipient(kind="unit", unit_id=people["unit"].pk)],
            kind="queue.new",
            title="Hồ sơ mới",
            body="",
        )
        raise RuntimeError("the dossier action failed")
    assert not Notification.objects.exists()
    assert callbacks == []  # nothing is pushed for a rolled-back action


# ---------------------------------------------------------------------------
# After commit: the fast path
# ---------------------------------------------------------------------------


def test_after_commit_each_channel_is_delivered_once(
    people, clock, gateway, django_capture_on_commit_callbacks
):
    handler = people["handler"]

    def act():
        with django_capture_on_commit_callbacks(execute=True):
            return notify(
                recipients=[Recipient(kind="officer", user_id=handler.pk), citizen()],
                kind="result.ready",
                title=f"Hồ sơ {CODE} đã có kết quả",
                body="Mời Ông/Bà nhận kết quả tại Trung tâm.",
                dossier=CODE,
                data={"status": "result_ready"},
                channels=("web", "email", "sms"),
            )

    rows, received = listen([f"user.{handler.pk}", f"track.{CODE}"], act)
    officer_row, citizen_row = rows
    [officer_message] = received[f"user.{handler.pk}"]
    assert officer_message == {
        "type": "notification.message",
        "notification": {
            "type": "notification",
            "id": officer_row.pk,
            "kind": "result.ready",
            "dossier": CODE,
            "title": f"Hồ sơ {CODE} đã có kết quả",
            "body": "Mời Ông/Bà nhận kết quả tại Trung tâm.",
            "created_at": "2026-11-30T08:00:00+07:00",
            "data": {"status": "result_ready"},
        },
    }
    [citizen_message] = received[f"track.{CODE}"]
    assert citizen_message["notification"]["id"] == citizen_row.pk
    assert sorted(m.to[0] for m in mail.outbox) == [
        "anh@example.vn",
        "hacthanh.bhxh.chuyenvien@motcua.invalid",
    ]
    assert mail.outbox[0].subject == f"Hồ sơ {CODE} đã có kết quả"
    assert f"Mã hồ sơ: {CODE}" in mail.outbox[0].body
    assert gateway.calls == [("0912345678", f"Hồ sơ {CODE} đã có kết quả")]
    states = set(Delivery.objects.values_list("state", "attempts", "sent_at", "last_error"))
    assert states == {("sent", 1, clock.at, "")}


def test_in_production_email_and_sms_are_left_due_for_the_worker(
    people, settings, clock, gateway, django_capture_on_commit_callbacks
):
    """With Redis the outbox row is the queue: nothing is published to Celery
    from the request; beat's deliver_pending (every 5 s) sends them."""
    settings.REDIS_URL = CLOSED_REDIS  # whatever it is: the request never talks to it
    settings.CELERY_TASK_ALWAYS_EAGER = False

    def act():
        with django_capture_on_commit_callbacks(execute=True):
            return notify(
                recipients=[citizen()],
                kind="result.ready",
                title="Đã có kết quả",
                body="",
                dossier=CODE,
                channels=("web", "email", "sms"),
            )

    [row], received = listen([f"track.{CODE}"], act)
    assert len(received[f"track.{CODE}"]) == 1  # web stays in-process
    email_sms = Delivery.objects.filter(notification=row, channel__in=["email", "sms"])
    assert {(d.state, d.attempts, d.next_attempt_at) for d in email_sms} == {
        ("pending", 0, clock.at)  # due at once, for the worker
    }
    assert mail.outbox == [] and gateway.calls == []  # not sent inline
    assert app.conf.beat_schedule["deliver-pending-notifications"]["schedule"] <= 5
    # the periodic task, as a worker runs it
    assert tasks.deliver_pending.run() == {"sent": 2, "retrying": 0, "expired": 0}
    assert len(mail.outbox) == 1 and len(gateway.calls) == 1
    assert tasks.deliver_pending.run() == {"sent": 0, "retrying": 0, "expired": 0}


@pytest.fixture
def broker_down():
    """Celery's broker, and so anything published to it, on a closed port."""
    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = CLOSED_REDIS, False
    app._pool = None
    yield
    app.conf.broker_url, app.conf.task_always_eager = saved
    app._pool = None


def test_a_redis_outage_never_makes_the_caller_wait(
    people, settings, clock, broker_down, django_capture_on_commit_callbacks
):
    """Broker and channel layer on a closed port (Redis down), real clients:
    each action's after-commit step returns at once; the first one finds the
    layer down, the next ones do not even try it (breaker)."""
    settings.REDIS_URL = CLOSED_REDIS
    settings.CELERY_TASK_ALWAYS_EAGER = False
    use_layer(settings, redis_layer(CLOSED_REDIS))
    seconds, rows = [], []
    for _ in range(3):
        started = time.perf_counter()
        with django_capture_on_commit_callbacks(execute=True):
            [n] = notify(
                recipients=[citizen()],
                kind="returned",
                title="Đã trả kết quả",
                body="",
                dossier=CODE,
                channels=("web", "email", "sms"),
            )
        seconds.append(time.perf_counter() - started)
        rows.append(n)
    assert max(seconds) < 0.5, seconds
    web = [Delivery.objects.get(notification=n, channel="web") for n in rows]
    assert [(d.state, d.attempts) for d in web] == [("pending", 1), ("pending", 0), ("pending", 0)]
    assert "channel layer" in web[0].last_error
    assert web[1].next_attempt_at == clock.at + services.FAST_PATH_GRACE  # left to the runs
    others = Delivery.objects.filter(notification__in=rows).exclude(channel="web")
    assert {(d.state, d.attempts, d.next_attempt_at) for d in others} == {("pending", 0, clock.at)}


class SilentServer:
    """A TCP server that accepts connections and never answers (a hung Redis)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.stopping = True
        self.sock.close()
        for conn in self.held:
            conn.close()


def test_a_hung_redis_costs_one_bounded_wait_then_nothing(
    people, settings, clock, django_capture_on_commit_callbacks
):
    silent = SilentServer()
    try:
        settings.NOTIFICATIONS_FAST_PATH_TIMEOUT = 0.3
        use_layer(settings, redis_layer(f"redis://127.0.0.1:{silent.port}/0"))
        seconds, rows = [], []
        for _ in range(2):
            started = time.perf_counter()
            with django_capture_on_commit_callbacks(execute=True):
                rows += notify(
                    recipients=[Recipient(kind="unit", unit_id=people["unit"].pk)],
                    kind="queue.new",
                    title="Hồ sơ mới",
                    body="",
                )
            seconds.append(time.perf_counter() - started)
    finally:
        silent.close()
    assert 0.25 < seconds[0] < 1.0, seconds  # the budget, not redis' 5 s or 30 s
    assert seconds[1] < 0.1, seconds  # breaker open: not tried
    first, second = (n.deliveries.get() for n in rows)
    assert (first.attempts, second.attempts) == (1, 0)
    assert "TimeoutError" in first.last_error


def test_the_breaker_tries_again_after_its_pause_and_pulls_the_waiting_forward(
    people, settings, clock, django_capture_on_commit_callbacks
):
    settings.NOTIFICATIONS_BREAKER_SECONDS = 0.2
    use_layer(settings, redis_layer(CLOSED_REDIS))

    def one():
        with django_capture_on_commit_callbacks(execute=True):
            [n] = notify(
                recipients=[Recipient(kind="unit", unit_id=people["unit"].pk)],
                kind="queue.new",
                title="Hồ sơ mới",
                body="",
            )
        return n.deliveries.get

    failed = one()  # tried, refused: the breaker opens
    assert (failed().attempts, failed().next_attempt_at) == (1, clock.at + services.backoff(1))
    skipped = one()
    assert skipped().attempts == 0
    time.sleep(0.25)
    # Half-open, Redis still down: the TCP check fails, the layer is not tried.
    checked = one()
    assert checked().attempts == 0 and not breaker.BREAKERS["web"].allow()
    time.sleep(0.25)
    use_layer(settings, memory_layer())  # Redis is back
    clock.advance(seconds=5)
    sent = one()
    assert (sent().state, sent().attempts) == ("sent", 1)
    assert breaker.BREAKERS["web"].allow() and not breaker.BREAKERS["web"].half_open()
    # the one that failed waits no longer; the untouched ones were due anyway
    assert failed().next_attempt_at == clock.at
    assert deliveries_run(now=clock.at + services.FAST_PATH_GRACE)["sent"] == 3


# ---------------------------------------------------------------------------
# Outage and recovery (real commits; in-memory layer and Redis)
# ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("working", ["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def test_outage_leaves_the_outbox_and_recovery_sends_each_exactly_once(
    people, clock, gateway, settings, working
):
    handler = people["handler"]
    use_layer(settings, BROKEN_LAYER)
    gateway.failure = sms.SMSUnavailable("ConnectionRefusedError: gateway down")

    @database_sync_to_async
    def act():
        with transaction.atomic():
            return notify(
                recipients=[Recipient(kind="officer", user_id=handler.pk), citizen(email="")],
                kind="supplement.requested",
                title=f"Hồ sơ {CODE} cần bổ sung",
                body="Đề nghị bổ sung Giấy ra viện.",
                dossier=CODE,
                channels=("web", "sms"),
            )

    officer_row, citizen_row = await act()  # committed; the fast path failed quietly

    @database_sync_to_async
    def deliveries():
        return {
            (d.notification_id, d.channel): d
            for d in Delivery.objects.filter(notification__in=[officer_row, citizen_row])
        }

    rows = await deliveries()
    assert set(rows) == {
        (officer_row.pk, "web"),
        (citizen_row.pk, "web"),
        (citizen_row.pk, "sms"),
    }
    # The first web delivery found the layer down; the second was not tried
    # against it (no attempt counted), and waits for the runs after the grace.
    tried = [rows[(officer_row.pk, "web")], rows[(citizen_row.pk, "sms")]]
    for d in tried:
        assert (d.state, d.attempts, d.waiting_for_channel) == ("pending", 1, True)
        assert d.last_error
        assert d.next_attempt_at == clock.at + dt.timedelta(seconds=15)
        assert d.sent_at is None
    untried = rows[(citizen_row.pk, "web")]
    assert (untried.state, untried.attempts, untried.last_error) == ("pending", 0, "")
    assert untried.next_attempt_at == clock.at + services.FAST_PATH_GRACE
    assert "gateway down" in rows[(citizen_row.pk, "sms")].last_error
    assert gateway.calls == []

    # The layer and the gateway come back.
    use_layer(settings, memory_layer() if working == "memory" else redis_layer())
    gateway.failure = None
    layer = get_channel_layer()
    officer_channel = await layer.new_channel()
    await layer.group_add(f"user.{handler.pk}", officer_channel)
    citizen_channel = await layer.new_channel()
    await layer.group_add(f"track.{CODE}", citizen_channel)

    async def drain(channel):
        got = []
        while True:
            try:
                got.append(await asyncio.wait_for(layer.receive(channel), 0.5))
            except TimeoutError:
                return got

    run = database_sync_to_async(deliveries_run)
    # not yet due: nothing is attempted before the backoff ends
    assert await run(now=clock.at + dt.timedelta(seconds=14)) == {
        "sent": 0,
        "retrying": 0,
        "expired": 0,
    }
    later = clock.at + dt.timedelta(minutes=1)
    assert await run(now=later) == {"sent": 3, "retrying": 0, "expired": 0}
    assert [m["notification"]["id"] for m in await drain(officer_channel)] == [officer_row.pk]
    assert [m["notification"]["id"] for m in await drain(citizen_channel)] == [citizen_row.pk]
    assert gateway.calls == [("0912345678", f"Hồ sơ {CODE} cần bổ sung")]
    rows = await deliveries()
    assert {(d.state, d.sent_at) for d in rows.values()} == {("sent", later)}
    order = [(officer_row.pk, "web"), (citizen_row.pk, "sms"), (citizen_row.pk, "web")]
    assert [rows[key].attempts for key in order] == [2, 2, 1]

    # A second run sends nothing.
    assert await run(now=later + dt.timedelta(hours=2)) == {"sent": 0, "retrying": 0, "expired": 0}
    assert await drain(officer_channel) == [] and await drain(citizen_channel) == []
    assert len(gateway.calls) == 1
    if working == "redis":
        await layer.flush()


# ---------------------------------------------------------------------------
# Backoff, giving up, channel outages within a run
# ---------------------------------------------------------------------------


def test_backoff_schedule():
    seconds = [services.backoff(n).total_seconds() for n in range(1, 11)]
    assert seconds == [15, 30, 60, 120, 240, 480, 900, 900, 900, 900]


def _sms_notification(people, phone="0912345678", **extra):
    return notify(
        recipients=[citizen(phone=phone, email="")],
        kind=extra.pop("kind", "result.ready"),
        title="Đã có kết quả",
        body="",
        dossier=CODE,
        channels=("sms",),
        **extra,
    )[0]


def test_a_refused_message_is_retried_with_a_capped_backoff_until_it_expires(
    people, clock, gateway
):
    """No count of attempts gives a message up: it is retried until it no
    longer matters (here a step reminder, until the step's due time), then
    ``expired`` and never sent, not even by hand."""
    gateway.failure = sms.SMSError("HTTP 400 Bad Request: số không hợp lệ")
    due = clock.at + dt.timedelta(hours=3)
    n = _sms_notification(people, kind="escalation.step_warning", data={"due_at": due.isoformat()})
    assert n.expires_at == due
    d = n.deliveries.get()
    at = clock.at + services.FAST_PATH_GRACE
    attempt = 0
    while at < due:
        attempt += 1
        if attempt > 1:  # one second early: not due, not attempted
            assert deliveries_run(now=at - dt.timedelta(seconds=1)) == {
                "sent": 0,
                "retrying": 0,
                "expired": 0,
            }
        assert deliveries_run(now=at) == {"sent": 0, "retrying": 1, "expired": 0}
        d.refresh_from_db()
        assert (d.state, d.attempts, d.last_attempt_at) == ("pending", attempt, at)
        assert d.last_error == "SMSError: HTTP 400 Bad Request: số không hợp lệ"
        assert d.next_attempt_at == at + services.backoff(attempt)
        at = d.next_attempt_at
    assert attempt == 17  # 15 s … 8 min, then every 15 min: well past the old 8
    assert not ChannelHealth.objects.exists()  # a refusal is the message's, not the channel's
    assert deliveries_run(now=at) == {"sent": 0, "retrying": 0, "expired": 1}
    d.refresh_from_db()
    assert (d.state, d.attempts, d.sent_at) == ("expired", attempt, None)
    gateway.failure = None
    assert deliveries_run(now=at + dt.timedelta(days=1)) == {"sent": 0, "retrying": 0, "expired": 0}
    assert services.deliveries_retry(ids=[d.pk], now=at + dt.timedelta(days=1)) == {
        "sent": 0,
        "retrying": 0,
        "expired": 0,
    }
    assert gateway.calls == []


def test_an_operator_retries_a_waiting_delivery_by_hand(people, clock, gateway):
    gateway.failure = sms.SMSError("HTTP 400 Bad Request: số không hợp lệ")
    d = _sms_notification(people).deliveries.get()
    assert deliveries_run(now=clock.at + services.FAST_PATH_GRACE)["retrying"] == 1
    gateway.failure = None  # the number was fixed at the gateway
    assert services.deliveries_retry(ids=[d.pk], now=clock.at + dt.timedelta(minutes=1)) == {
        "sent": 1,
        "retrying": 0,
        "expired": 0,
    }
    d.refresh_from_db()
    assert (d.state, d.attempts) == ("sent", 2)
    assert len(gateway.calls) == 1


def test_an_unreachable_gateway_is_probed_not_hammered(people, clock, gateway):
    """A channel found down: the other deliveries of the run are not tried
    and count no attempt; later runs leave the channel alone until its probe
    time, then try one delivery; the first success sends them all."""
    rows = [_sms_notification(people, phone=f"091234567{i}") for i in range(3)]
    tries = []

    def send(to, text):
        tries.append(to)
        if gateway.failure:
            raise gateway.failure
        gateway.calls.append((to, text))

    gateway.send = send
    gateway.failure = sms.SMSUnavailable("TimeoutError: timed out")
    start = clock.at + services.FAST_PATH_GRACE
    assert deliveries_run(now=start) == {"sent": 0, "retrying": 3, "expired": 0}
    assert tries == ["0912345670"]  # the other two were not tried against a dead gateway
    attempts = [n.deliveries.get().attempts for n in rows]
    assert attempts == [1, 0, 0]
    for n in rows:
        d = n.deliveries.get()
        assert d.state == "pending" and d.last_error
    health = ChannelHealth.objects.get(channel="sms")
    assert (health.down_since, health.checked_at) == (start, start)
    assert "timed out" in health.last_error
    # Runs before the probe time do not touch the channel.
    for seconds in (5, 30, 59):
        assert deliveries_run(now=start + dt.timedelta(seconds=seconds))["retrying"] == 0
    assert tries == ["0912345670"]
    probe = start + services.PROBE_EVERY
    assert deliveries_run(now=probe) == {"sent": 0, "retrying": 3, "expired": 0}
    assert tries == ["0912345670", "0912345670"]  # one probe
    # The gateway is back: the next probe sends everything in one run.
    gateway.failure = None
    back = probe + services.PROBE_EVERY
    assert deliveries_run(now=back) == {"sent": 3, "retrying": 0, "expired": 0}
    assert sorted(to for to, _ in gateway.calls) == ["0912345670", "0912345671", "0912345672"]
    assert [n.deliveries.get().attempts for n in rows] == [3, 1, 1]
    assert ChannelHealth.objects.get(channel="sms").down_since is None


def test_a_channel_back_sends_at_once_what_was_backing_off(people, clock, gateway):
    """Pull-forward: deliveries in a long backoff go as soon as one delivery
    on their channel succeeds."""
    gateway.failure = sms.SMSUnavailable("ConnectionRefusedError: refused")
    old = _sms_notification(people, phone="0912345670")
    at = clock.at + services.FAST_PATH_GRACE
    deliveries_run(now=at)
    # the fast path failed once for this one: a backoff, not a channel record
    Delivery.objects.filter(notification=old).update(next_attempt_at=at + dt.timedelta(minutes=15))
    ChannelHealth.objects.all().delete()
    gateway.failure = None
    _sms_notification(people, phone="0912345671")
    later = at + dt.timedelta(minutes=1)
    assert deliveries_run(now=later) == {"sent": 2, "retrying": 0, "expired": 0}
    assert old.deliveries.get().sent_at == later


def test_one_refused_message_does_not_hold_back_the_others(people, clock, gateway):
    bad = _sms_notification(people, phone="0900000000")
    good = _sms_notification(people, phone="0912345678")
    real_send = FakeGateway.send

    def send(to, text):
        if to == "0900000000":
            raise sms.SMSError("HTTP 400: số không hợp lệ")
        real_send(gateway, to, text)

    gateway.send = send
    assert deliveries_run(now=clock.at + services.FAST_PATH_GRACE) == {
        "sent": 1,
        "retrying": 1,
        "expired": 0,
    }
    assert bad.deliveries.get().state == "pending"
    assert good.deliveries.get().state == "sent"


def test_runs_send_oldest_first_within_the_limit(people, clock, gateway):
    rows = [_sms_notification(people, phone=f"09123456{i:02d}") for i in range(5)]
    due = clock.at + services.FAST_PATH_GRACE
    assert deliveries_run(now=clock.at, limit=500) == {"sent": 0, "retrying": 0, "expired": 0}
    assert deliveries_run(now=due, limit=2) == {"sent": 2, "retrying": 0, "expired": 0}
    assert [to for to, _ in gateway.calls] == ["0912345600", "0912345601"]
    assert deliveries_run(now=due, limit=500) == {"sent": 3, "retrying": 0, "expired": 0}
    assert len(gateway.calls) == 5
    assert {n.deliveries.get().state for n in rows} == {"sent"}


def test_the_periodic_task_sends_what_is_due(people, clock, gateway):
    _sms_notification(people)
    assert tasks.deliver_pending.run() == {"sent": 0, "retrying": 0, "expired": 0}  # grace
    clock.advance(seconds=services.FAST_PATH_GRACE.total_seconds())
    assert tasks.deliver_pending.run() == {"sent": 1, "retrying": 0, "expired": 0}
    assert tasks.deliver_pending.run() == {"sent": 0, "retrying": 0, "expired": 0}
    assert len(gateway.calls) == 1


# ---------------------------------------------------------------------------
# Several runners at once (PostgreSQL row locks)
# ---------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runners_never_send_a_delivery_twice(people, clock, gateway, monkeypatch):
    monkeypatch.setattr(outbox, "_schedule", lambda deliveries: None)  # runners only
    gateway.delay = 0.002  # keep the runners busy at the same time
    total = 120
    with transaction.atomic():
        for i in range(total):
            notify(
                recipients=[citizen(phone=f"0912{i:06d}", email=f"c{i}@example.vn")],
                kind="result.ready",
                title="Đã có kết quả",
                body="",
                dossier=CODE,
                channels=("web", "email", "sms"),
                at=clock.at,
            )
    barrier = threading.Barrier(3)

    def runner():
        try:
            barrier.wait()
            due = clock.at + services.FAST_PATH_GRACE + dt.timedelta(seconds=1)
            return deliveries_run(now=due, limit=10_000)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: runner(), range(3)))

    assert sum(r["sent"] for r in results) == 3 * total
    assert sum(1 for r in results if r["sent"]) >= 2, results  # they really overlapped
    sms_counts = Counter(to for to, _ in gateway.calls)
    assert len(sms_counts) == total and set(sms_counts.values()) == {1}
    mail_counts = Counter(m.to[0] for m in mail.outbox)
    assert len(mail_counts) == total and set(mail_counts.values()) == {1}
    assert set(Delivery.objects.values_list("state", "attempts")) == {("sent", 1)}


def test_a_message_that_no_longer_matters_is_written_expired_and_never_sent(
    people, clock, gateway, django_capture_on_commit_callbacks
):
    past = clock.at - dt.timedelta(minutes=1)

    def act():
        with django_capture_on_commit_callbacks(execute=True):
            return notify(
                recipients=[Recipient(kind="officer", user_id=people["handler"].pk)],
                kind="escalation.step_warning",
                title="Bước sắp hết thời gian",
                body="",
                dossier=CODE,
                data={"due_at": past.isoformat()},
                channels=("web", "email"),
            )

    [n], received = listen([f"user.{people['handler'].pk}"], act)
    assert n.expires_at == past
    assert set(n.deliveries.values_list("state", "attempts")) == {("expired", 0)}
    assert received[f"user.{people['handler'].pk}"] == [] and mail.outbox == []
    assert deliveries_run(now=clock.at + dt.timedelta(hours=1))["sent"] == 0
