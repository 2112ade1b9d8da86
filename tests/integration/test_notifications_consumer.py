"""The officers' notification socket: who may connect, what they hear, and
catching up after a reconnect without gaps or duplicates."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers, get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from rest_framework.authtoken.models import Token

from notifications.consumers import NotificationConsumer
from notifications.middleware import TokenAuthMiddlewareStack
from notifications.routing import websocket_urlpatterns
from notifications.services import Recipient, notify, outbox
from procedures.models import Unit

pytestmark = pytest.mark.django_db(transaction=True)

CODE = "38.14797-261125-0001"
WAIT = 2  # seconds to wait for a message that must come


def _use_layer(settings, kind: str) -> None:
    settings.NOTIFICATIONS_POLL_SECONDS = 0  # live pushes only, unless a test says so
    settings.REDIS_URL = ""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    if kind == "redis":
        config = {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [os.environ.get("REDIS_URL", "")],
                "prefix": f"motcua-test-{uuid.uuid4().hex[:8]}",  # other runs may share Redis
            },
        }
    else:
        config = {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    settings.CHANNEL_LAYERS = {"default": config}
    channel_layers.backends.clear()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def layer(request, settings):
    """The in-memory layer, then channels_redis (when REDIS_URL is set)."""
    _use_layer(settings, request.param)
    yield get_channel_layer()
    if request.param == "redis":
        await get_channel_layer().flush()
    channel_layers.backends.clear()


@pytest.fixture
def local_layer(settings):
    """The in-memory layer only, for what does not depend on the layer."""
    _use_layer(settings, "memory")
    yield get_channel_layer()
    channel_layers.backends.clear()


@pytest.fixture
def ids(demo):
    """The people and places of the demo directory the tests talk about."""
    handler = User.objects.get(username="hacthanh.bhxh.chuyenvien")
    return {
        "handler": handler.pk,
        "manager": User.objects.get(username="hacthanh.quanly").pk,
        "admin": User.objects.get(username="admin").pk,
        "elsewhere": User.objects.get(username="samson.bhxh.chuyenvien").pk,
        "unit": handler.officer.unit_id,
        "other_unit": Unit.objects.get(agency__code="bhxh-16531", code="nghiep-vu").pk,
        "centre": handler.officer.centres.get().pk,
        "other_centre": User.objects.get(username="samson.quanly").officer.centres.get().pk,
    }


@pytest.fixture
def token(demo):
    def make(username: str) -> str:
        return Token.objects.get_or_create(user=User.objects.get(username=username))[0].key

    return make


@pytest.fixture
def session(demo):
    def make(username: str) -> str:
        client = Client()
        client.force_login(User.objects.get(username=username))
        return client.cookies["sessionid"].value

    return make


def application():
    return TokenAuthMiddlewareStack(URLRouter(websocket_urlpatterns))


async def open_socket(*, token: str | None = None, session: str | None = None):
    path = "/ws/notifications/" + (f"?token={token}" if token is not None else "")
    headers = [(b"cookie", f"sessionid={session}".encode())] if session else []
    socket = WebsocketCommunicator(application(), path, headers=headers)
    connected, _ = await socket.connect(timeout=WAIT)
    assert connected
    return socket


@database_sync_to_async
def send(recipient: Recipient, title: str = "Thông báo") -> int:
    """notify() in a committed transaction, as a service would."""
    with transaction.atomic():
        [n] = notify(
            recipients=[recipient],
            kind="queue.new",
            title=title,
            body="Nội dung",
            dossier=CODE,
            data={"n": title},
        )
    return n.pk


def sync(fn):
    return database_sync_to_async(fn)


def officer(user_id):
    return Recipient(kind="officer", user_id=user_id)


def unit(unit_id):
    return Recipient(kind="unit", unit_id=unit_id)


def centre(centre_id):
    return Recipient(kind="centre", centre_id=centre_id)


async def resume(socket, after: int) -> tuple[list[int], dict]:
    """Send resume; return the ids received before the end marker, and the marker."""
    await socket.send_json_to({"type": "resume", "after": after})
    got = []
    while True:
        message = await socket.receive_json_from(timeout=WAIT)
        if message["type"] in ("resume.done", "resume.truncated"):
            return got, message
        assert message["type"] == "notification", message
        got.append(message["id"])


async def drain(socket, quiet: float = 0.4) -> list[int]:
    """Ids of the notifications that arrive until ``quiet`` seconds pass silently."""
    got = []
    while not await socket.receive_nothing(timeout=quiet):
        message = await socket.receive_json_from()
        assert message["type"] == "notification", message
        got.append(message["id"])
    return got


# ---------------------------------------------------------------------------
# Who may connect
# ---------------------------------------------------------------------------


async def test_anonymous_is_closed_4401(local_layer):
    socket = await open_socket()
    assert await socket.receive_output(timeout=WAIT) == {"type": "websocket.close", "code": 4401}


async def test_a_wrong_token_is_not_silently_replaced_by_the_session(local_layer, session):
    socket = await open_socket(token="not-a-token", session=await sync(session)("hacthanh.quanly"))
    assert await socket.receive_output(timeout=WAIT) == {"type": "websocket.close", "code": 4401}


async def test_an_account_without_an_officer_profile_is_closed_4403(local_layer, demo):
    @database_sync_to_async
    def plain_user_token():
        user = User.objects.create_user("congdan", password="x")
        return Token.objects.create(user=user).key

    socket = await open_socket(token=await plain_user_token())
    assert await socket.receive_output(timeout=WAIT) == {"type": "websocket.close", "code": 4403}


async def test_token_authenticates_and_overrides_the_session(layer, ids, token, session):
    by_token = await open_socket(token=await sync(token)("hacthanh.bhxh.chuyenvien"))
    await by_token.send_json_to({"type": "ping"})
    assert await by_token.receive_json_from(timeout=WAIT) == {"type": "pong"}
    by_session = await open_socket(session=await sync(session)("hacthanh.quanly"))
    both = await open_socket(
        token=await sync(token)("hacthanh.bhxh.chuyenvien"),
        session=await sync(session)("hacthanh.quanly"),
    )
    to_handler = await send(officer(ids["handler"]))
    to_manager = await send(officer(ids["manager"]))
    assert await drain(by_token) == [to_handler]
    assert await drain(by_session) == [to_manager]
    assert await drain(both) == [to_handler]  # the token's user, not the session's
    for socket in (by_token, by_session, both):
        await socket.disconnect()


# ---------------------------------------------------------------------------
# What each officer hears
# ---------------------------------------------------------------------------


async def test_officers_hear_themselves_their_unit_and_their_centres(layer, ids, token):
    handler = await open_socket(token=await sync(token)("hacthanh.bhxh.chuyenvien"))
    manager = await open_socket(token=await sync(token)("hacthanh.quanly"))  # no unit
    admin = await open_socket(token=await sync(token)("admin"))  # superuser, no profile

    to_unit = await send(unit(ids["unit"]))
    to_centre = await send(centre(ids["centre"]))
    to_handler = await send(officer(ids["handler"]))
    to_manager = await send(officer(ids["manager"]))
    to_admin = await send(officer(ids["admin"]))
    await send(unit(ids["other_unit"]))
    await send(centre(ids["other_centre"]))
    await send(officer(ids["elsewhere"]))
    await send(Recipient(kind="citizen", phone="0912345678"))

    assert await drain(handler) == [to_unit, to_centre, to_handler]
    assert await drain(manager) == [to_centre, to_manager]
    assert await drain(admin) == [to_admin]
    for socket in (handler, manager, admin):
        await socket.disconnect()


async def test_the_payload_is_the_documented_one(local_layer, ids, token, clock):
    socket = await open_socket(token=await sync(token)("hacthanh.bhxh.chuyenvien"))
    nid = await send(unit(ids["unit"]), title="Hồ sơ mới chờ xử lý")
    assert await socket.receive_json_from(timeout=WAIT) == {
        "type": "notification",
        "id": nid,
        "kind": "queue.new",
        "dossier": CODE,
        "title": "Hồ sơ mới chờ xử lý",
        "body": "Nội dung",
        "created_at": "2026-11-30T08:00:00+07:00",
        "data": {"n": "Hồ sơ mới chờ xử lý"},
    }
    await socket.disconnect()


# ---------------------------------------------------------------------------
# Catching up
# ---------------------------------------------------------------------------


async def test_resume_sends_exactly_what_was_missed_in_order(layer, ids, token):
    seen = await send(unit(ids["unit"]))
    await send(unit(ids["other_unit"]))  # not theirs
    missed = [
        await send(officer(ids["handler"])),
        await send(centre(ids["centre"])),
        await send(unit(ids["unit"])),
    ]
    socket = await open_socket(token=await sync(token)("hacthanh.bhxh.chuyenvien"))
    got, end = await resume(socket, after=seen)
    assert got == missed
    assert end == {"type": "resume.done", "last_id": missed[-1]}
    assert await drain(socket) == []
    # asking again from the start sends only what this connection has not had
    got, end = await resume(socket, after=0)
    assert got == [seen]
    assert end == {"type": "resume.done", "last_id": missed[-1]}
    # nothing new: done, at the id the client gave
    got, end = await resume(socket, after=missed[-1])
    assert (got, end) == ([], {"type": "resume.done", "last_id": missed[-1]})
    await socket.disconnect()


async def test_a_live_notification_racing_the_resume_arrives_once(layer, ids, token):
    before = await send(unit(ids["unit"]))
    socket = await open_socket(token=await sync(token)("hacthanh.bhxh.chuyenvien"))
    # pushed live while the client has not resumed yet: both paths carry it
    racing = await send(officer(ids["handler"]))
    # and more written while the resume is being answered
    (resumed, end), during = await asyncio.gather(
        resume(socket, after=0),
        asyncio.gather(*(send(unit(ids["unit"]), title=f"#{i}") for i in range(5))),
    )
    assert end["type"] == "resume.done"
    got = resumed + await drain(socket, quiet=0.6)
    assert sorted(got) == sorted([before, racing, *during])  # none missing
    assert len(got) == len(set(got))  # none twice
    # a stale re-push of an id already sent is dropped too
    await layer.group_send(
        f"user.{ids['handler']}",
        {"type": "notification.message", "notification": {"type": "notification", "id": racing}},
    )
    assert await drain(socket) == []
    await socket.disconnect()


async def test_resume_is_capped_and_says_so(local_layer, ids, token, monkeypatch):
    monkeypatch.setattr(NotificationConsumer, "RESUME_LIMIT", 3)
    sent = [await send(unit(ids["unit"]), title=f"#{i}") for i in range(5)]
    socket = await open_socket(token=await sync(token)("hacthanh.bhxh.chuyenvien"))
    got, end = await resume(socket, after=0)
    assert got == sent[:3]
    assert end == {"type": "resume.truncated", "last_id": sent[2]}
    got, end = await resume(socket, after=end["last_id"])
    assert got == sent[3:]
    assert end == {"type": "resume.done", "last_id": sent[4]}
    await socket.disconnect()


async def test_without_a_shared_layer_the_socket_polls_the_outbox(
    layer, ids, token, settings, monkeypatch
):
    """The embedded default: a notification written by another process (the
    sweep) cannot be pushed to this one; the socket finds it by polling."""
    monkeypatch.setattr(outbox, "_schedule", lambda deliveries: None)  # no live push
    settings.NOTIFICATIONS_POLL_SECONDS = 0  # first without polling: it never arrives
    deaf = await open_socket(token=await sync(token)("hacthanh.bhxh.chuyenvien"))
    settings.NOTIFICATIONS_POLL_SECONDS = 0.2
    polling = await open_socket(token=await sync(token)("hacthanh.bhxh.chuyenvien"))
    nid = await send(unit(ids["unit"]))
    assert await drain(polling, quiet=1) == [nid]
    assert await drain(deaf, quiet=0.2) == []
    # with live pushes as well, still once
    monkeypatch.undo()
    settings.NOTIFICATIONS_POLL_SECONDS = 0.2
    both = await send(unit(ids["unit"]))
    assert await drain(polling, quiet=1) == [both]
    assert await drain(deaf, quiet=0.2) == [both]
    await deaf.disconnect()
    await polling.disconnect()


# ---------------------------------------------------------------------------
# Protocol
# ---------------------------------------------------------------------------


BAD_FRAMES = [
    {"text_data": "{not json"},
    {"bytes_data": b"\x00\x01"},
    {"text_data": '"resume"'},
    {"text_data": '{"type": "subscribe", "group": "unit.1"}'},
    {"text_data": '{"type": "resume"}'},
    {"text_data": '{"type": "resume", "after": "12"}'},
    {"text_data": '{"type": "resume", "after": -1}'},
    {"text_data": '{"type": "resume", "after": true}'},
]


async def test_bad_messages_get_an_error_and_the_socket_stays_open(local_layer, token):
    socket = await open_socket(token=await sync(token)("hacthanh.bhxh.chuyenvien"))
    for frame in BAD_FRAMES:
        await socket.send_to(**frame)
        error = await socket.receive_json_from(timeout=WAIT)
        assert error["type"] == "error", frame
        assert error["error"] == "invalid_message"
        assert error["message"]  # Vietnamese text for a human
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=WAIT) == {"type": "pong"}
    await socket.disconnect()
