"""The outbox: what ``notify`` writes, how deliveries are attempted after
commit, retried with backoff, given up, and never sent twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
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

from notifications import services, sms, tasks
from notifications.models import Delivery, Notification
from notifications.services import Recipient, deliveries_run, notify, outbox
from procedures.models import Officer, Unit

CODE = "38.14797-261125-0001"
BROKEN_LAYER = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
    }
}


def memory_layer() -> dict:
    return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def redis_layer() -> dict:
    # A prefix of our own: other test runs may share this Redis.
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [os.environ.get("REDIS_URL", "")],
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
    yield
    channel_layers.backends.clear()


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


def test_in_production_email_and_sms_go_through_celery(
    people, settings, monkeypatch, gateway, django_capture_on_commit_callbacks
):
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued = []
    monkeypatch.setattr(tasks.deliver, "apply_async", lambda args, **kw: queued.append((args, kw)))

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
    email_sms = list(
        Delivery.objects.filter(notification=row, channel__in=["email", "sms"])
        .order_by("id")
        .values_list("pk", flat=True)
    )
    assert queued == [([email_sms], {"retry": False})]
    assert mail.outbox == [] and gateway.calls == []  # not sent inline
    # the task itself, as a worker would run it
    assert tasks.deliver.run(email_sms) == {"sent": 2, "retrying": 0, "failed": 0}
    assert len(mail.outbox) == 1 and len(gateway.calls) == 1


def test_a_broker_outage_never_reaches_the_caller(
    people, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_TASK_ALWAYS_EAGER = False

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.deliver, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        [row] = notify(
            recipients=[citizen()],
            kind="returned",
            title="Đã trả kết quả",
            body="",
            dossier=CODE,
            channels=("email",),
        )
    d = Delivery.objects.get(notification=row)
    assert (d.state, d.attempts) == ("pending", 0)  # still due: the sweep sends it


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
    for d in rows.values():
        assert d.state == "pending"
        assert d.attempts == 1
        assert d.last_error
        assert d.next_attempt_at == clock.at + dt.timedelta(seconds=15)
        assert d.sent_at is None
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
        "failed": 0,
    }
    later = clock.at + dt.timedelta(minutes=1)
    assert await run(now=later) == {"sent": 3, "retrying": 0, "failed": 0}
    assert [m["notification"]["id"] for m in await drain(officer_channel)] == [officer_row.pk]
    assert [m["notification"]["id"] for m in await drain(citizen_channel)] == [citizen_row.pk]
    assert gateway.calls == [("0912345678", f"Hồ sơ {CODE} cần bổ sung")]
    rows = await deliveries()
    assert {(d.state, d.attempts, d.sent_at) for d in rows.values()} == {("sent", 2, later)}

    # A second run sends nothing.
    assert await run(now=later + dt.timedelta(hours=2)) == {"sent": 0, "retrying": 0, "failed": 0}
    assert await drain(officer_channel) == [] and await drain(citizen_channel) == []
    assert len(gateway.calls) == 1
    if working == "redis":
        await layer.flush()


# ---------------------------------------------------------------------------
# Backoff, giving up, channel outages within a run
# ---------------------------------------------------------------------------


def test_backoff_schedule():
    seconds = [services.backoff(n).total_seconds() for n in range(1, 11)]
    assert seconds == [15, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def _sms_notification(people, phone="0912345678"):
    return notify(
        recipients=[citizen(phone=phone, email="")],
        kind="result.ready",
        title="Đã có kết quả",
        body="",
        dossier=CODE,
        channels=("sms",),
    )[0]


def test_retries_follow_the_backoff_then_give_up(people, clock, gateway):
    gateway.failure = sms.SMSError("HTTP 400 Bad Request: số không hợp lệ")
    d = _sms_notification(people).deliveries.get()
    at = clock.at + services.FAST_PATH_GRACE
    for attempt in range(1, services.MAX_ATTEMPTS + 1):
        # one second early: not due, not attempted
        early = deliveries_run(now=at - dt.timedelta(seconds=1)) if attempt > 1 else None
        assert early in (None, {"sent": 0, "retrying": 0, "failed": 0})
        counts = deliveries_run(now=at)
        d.refresh_from_db()
        assert d.attempts == attempt
        assert d.last_error == "SMSError: HTTP 400 Bad Request: số không hợp lệ"
        if attempt < services.MAX_ATTEMPTS:
            assert counts == {"sent": 0, "retrying": 1, "failed": 0}
            assert d.state == "pending"
            assert d.next_attempt_at == at + services.backoff(attempt)
            at = d.next_attempt_at
        else:
            assert counts == {"sent": 0, "retrying": 0, "failed": 1}
            assert d.state == "failed"
    assert len(gateway.calls) == 0
    assert deliveries_run(now=at + dt.timedelta(days=1)) == {"sent": 0, "retrying": 0, "failed": 0}
    # an operator retries it by hand once the number is fixed
    gateway.failure = None
    assert services.deliveries_retry(ids=[d.pk], now=at + dt.timedelta(days=1)) == {
        "sent": 1,
        "retrying": 0,
        "failed": 0,
    }
    d.refresh_from_db()
    assert (d.state, d.attempts) == ("sent", services.MAX_ATTEMPTS + 1)
    assert len(gateway.calls) == 1


def test_an_unreachable_gateway_is_tried_once_per_run(people, clock, gateway):
    gateway.failure = sms.SMSUnavailable("TimeoutError: timed out")
    rows = [_sms_notification(people, phone=f"091234567{i}") for i in range(3)]
    tries = []

    def send(to, text):
        tries.append(to)
        raise gateway.failure

    gateway.send = send
    assert deliveries_run(now=clock.at + services.FAST_PATH_GRACE) == {
        "sent": 0,
        "retrying": 3,
        "failed": 0,
    }
    assert tries == ["0912345670"]  # the other two were not tried against a dead gateway
    for n in rows:
        d = n.deliveries.get()
        assert (d.state, d.attempts) == ("pending", 1)
        assert "timed out" in d.last_error


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
        "failed": 0,
    }
    assert bad.deliveries.get().state == "pending"
    assert good.deliveries.get().state == "sent"


def test_runs_send_oldest_first_within_the_limit(people, clock, gateway):
    rows = [_sms_notification(people, phone=f"09123456{i:02d}") for i in range(5)]
    due = clock.at + services.FAST_PATH_GRACE
    assert deliveries_run(now=clock.at, limit=500) == {"sent": 0, "retrying": 0, "failed": 0}
    assert deliveries_run(now=due, limit=2) == {"sent": 2, "retrying": 0, "failed": 0}
    assert [to for to, _ in gateway.calls] == ["0912345600", "0912345601"]
    assert deliveries_run(now=due, limit=500) == {"sent": 3, "retrying": 0, "failed": 0}
    assert len(gateway.calls) == 5
    assert {n.deliveries.get().state for n in rows} == {"sent"}


def test_the_periodic_task_sends_what_is_due(people, clock, gateway):
    _sms_notification(people)
    assert tasks.deliver_pending.run() == {"sent": 0, "retrying": 0, "failed": 0}  # grace
    clock.advance(seconds=services.FAST_PATH_GRACE.total_seconds())
    assert tasks.deliver_pending.run() == {"sent": 1, "retrying": 0, "failed": 0}
    assert tasks.deliver_pending.run() == {"sent": 0, "retrying": 0, "failed": 0}
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
