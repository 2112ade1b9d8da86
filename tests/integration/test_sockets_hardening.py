"""Sockets: scoped (the board), usable without an Origin by non-browser
clients, and degraded — not broken — when the channel layer is down
(issue 8, points 2, 7 and 11)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token

from notifications.sockets import CLOSE_LAYER_DOWN, forget_health

pytestmark = pytest.mark.django_db(transaction=True)
WAIT = 3


@pytest.fixture
def memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.NOTIFICATIONS_POLL_SECONDS = 0
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def dead_layer(settings):
    """channels_redis pointed at a port nobody listens on: Redis is down."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": "redis://127.0.0.1:1/0", "socket_connect_timeout": 1}]
            },
        }
    }
    channel_layers.backends.clear()
    forget_health()
    yield
    channel_layers.backends.clear()
    forget_health()


def app():
    from config.asgi import application

    return application


def session_cookie(username: str) -> bytes:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def token_of(username: str) -> str:
    return Token.objects.get_or_create(user=User.objects.get(username=username))[0].key


async def close_code(path: str, headers=()) -> int | None:
    """Connect; return the close code (None if the socket stays open)."""
    socket = WebsocketCommunicator(app(), path, headers=list(headers))
    connected, code = await socket.connect(timeout=WAIT)
    if not connected:
        return code
    if await socket.receive_nothing(timeout=0.5):
        await socket.disconnect()
        return None  # open and quiet (the notification socket says nothing first)
    message = await socket.receive_output(timeout=WAIT)
    if message["type"] == "websocket.close":
        return message.get("code")
    await socket.disconnect()
    return None


ORIGIN = (b"origin", b"http://127.0.0.1:8000")
HOST = (b"host", b"127.0.0.1:8000")


async def test_board_socket_is_scoped(demo, memory_layer):
    from workflows.selectors.board import board_key

    inside = await database_sync_to_async(session_cookie)("hacthanh.quanly")
    outside = await database_sync_to_async(session_cookie)("samson.quanly")
    centre = await database_sync_to_async(lambda: demo.centres[0].split()[0])()
    path = f"/ws/board/{centre}/"
    assert await close_code(path, [ORIGIN, HOST, (b"cookie", inside)]) is None
    assert await close_code(path, [ORIGIN, HOST, (b"cookie", outside)]) == 4404
    assert await close_code(path, [ORIGIN, HOST]) == 4404  # anonymous
    assert await close_code("/ws/board/99999/", [ORIGIN, HOST, (b"cookie", inside)]) == 4404
    from procedures.models import ServiceCentre

    key = await database_sync_to_async(lambda: board_key(ServiceCentre.objects.get(code=centre)))()
    assert await close_code(f"{path}?key={key}", [ORIGIN, HOST]) is None  # the wall screen
    assert await close_code(f"/ws/board/16531/?key={key}", [ORIGIN, HOST]) == 4404


async def test_clients_without_origin_use_tokens_but_never_cookies(demo, memory_layer):
    tok = await database_sync_to_async(token_of)("hacthanh.bhxh.chuyenvien")
    cookie = await database_sync_to_async(session_cookie)("hacthanh.bhxh.chuyenvien")
    # a mobile app / integrator: no Origin, a token → accepted
    assert await close_code(f"/ws/notifications/?token={tok}", [HOST]) is None
    # no Origin and only a cookie → the cookie is not believed (4401, not a session)
    assert await close_code("/ws/notifications/", [HOST, (b"cookie", cookie)]) == 4401
    # a browser from an allowed origin with its session → accepted
    assert await close_code("/ws/notifications/", [ORIGIN, HOST, (b"cookie", cookie)]) is None
    # a browser from a foreign origin → refused at the handshake
    evil = (b"origin", b"https://evil.example")
    socket = WebsocketCommunicator(app(), "/ws/notifications/", headers=[evil, HOST])
    connected, _ = await socket.connect(timeout=WAIT)
    assert not connected


async def test_tracking_socket_takes_a_token_without_origin(received, memory_layer):
    from workflows.models import Dossier
    from workflows.services.tracking import tracking_token

    code = received["code"]
    token = await database_sync_to_async(lambda: tracking_token(Dossier.objects.get(code=code)))()
    socket = WebsocketCommunicator(app(), f"/ws/track/{code}/?t={token}", headers=[HOST])
    connected, _ = await socket.connect(timeout=WAIT)
    assert connected
    snapshot = await socket.receive_json_from(timeout=WAIT)
    assert snapshot["type"] == "dossier.snapshot" and snapshot["code"] == code
    await socket.disconnect()
    assert await close_code(f"/ws/track/{code}/?t=forged", [HOST]) == 4404


async def test_with_the_layer_down_every_socket_closes_cleanly_4503(received, dead_layer):
    tok = await database_sync_to_async(token_of)("hacthanh.bhxh.chuyenvien")
    code, pin = received["code"], received["tracking_pin"]
    board_cookie = await database_sync_to_async(session_cookie)("hacthanh.quanly")
    assert await close_code(f"/ws/notifications/?token={tok}", [HOST]) == CLOSE_LAYER_DOWN
    assert await close_code(f"/ws/track/{code}/?pin={pin}", [HOST]) == CLOSE_LAYER_DOWN
    assert (
        await close_code("/ws/board/14797/", [ORIGIN, HOST, (b"cookie", board_cookie)])
        == CLOSE_LAYER_DOWN
    )


def test_pages_fall_back_to_polling_and_say_so(received, client):
    """Each live page handles 4503 by polling an HTTP endpoint, and tells the user."""
    client.force_login(User.objects.get(username="hacthanh.quanly"))
    board = client.get("/board/14797/").content.decode()
    assert "4503" in board and "/api/v1/board/" in board and "mỗi 30 giây" in board
    assert client.get("/api/v1/board/14797/").json()["type"] == "board.counts"
    track = Client().get("/track/").content.decode()
    assert "4503" in track and "tự làm mới mỗi 20 giây" in track
    bell = client.get("/notifications/").content.decode()
    assert "4503" in bell and "tự làm mới mỗi 20 giây" in bell


def test_board_page_and_counts_are_scoped(demo, client):
    from procedures.models import ServiceCentre
    from workflows.selectors.board import board_key

    assert client.get("/board/14797/").status_code == 302  # to the login page
    client.force_login(User.objects.get(username="samson.quanly"))
    assert client.get("/board/14797/").status_code == 404
    assert client.get("/api/v1/board/14797/").status_code == 404
    key = board_key(ServiceCentre.objects.get(code="14797"))
    anonymous = Client()
    assert anonymous.get(f"/board/14797/?key={key}").status_code == 200
    assert anonymous.get(f"/api/v1/board/14797/?key={key}").status_code == 200
    assert anonymous.get(f"/api/v1/board/16531/?key={key}").status_code == 404


def test_board_link_command_prints_a_working_wall_screen_link(demo, capsys):
    from django.core.management import call_command

    call_command("board_link", "14797")
    url = capsys.readouterr().out.strip()
    assert "/board/14797/?key=" in url
    assert Client().get(url.split("8000", 1)[-1] if "8000" in url else url).status_code == 200
