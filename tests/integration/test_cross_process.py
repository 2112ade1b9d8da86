"""Two ASGI server processes share Redis: an event caused by an API action on
one reaches, within a second, a WebSocket held by the other.

Both servers are real Daphne processes (``tests.support.servers``) on the test
database and the same Redis; the test process is only an HTTP and WebSocket
client. Nothing here polls: the officers' socket polls the outbox only with a
process-local channel layer, which these servers do not have, so a message
arrives only if the after-commit delivery crossed processes through Redis.
"""

from __future__ import annotations

import asyncio
import json
import os
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.integration.conftest import BHXH, receipt_body
from tests.support.servers import (
    Server,
    child_database_url,
    daphne_servers,
    report,
    set_server_password,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "motcua-demo-pass"
WITHIN = 1.0  # seconds from the API's response to the message on the other server
#: Longer than channels_redis's blocking read of a server's channels (BZPOPMIN, 5 s).
IDLE = 7.0
CONNECT_TIMEOUT = 10


@pytest.fixture
def servers(demo, tmp_path):
    """Servers A and B on the test database and REDIS_URL, and the BHXH officers' tokens."""
    from django.db import connection

    set_server_password(list(BHXH.values()), PASSWORD)
    with daphne_servers(
        2,
        database_url=child_database_url(connection.settings_dict),
        redis_url=os.environ["REDIS_URL"],
        log_dir=tmp_path,
    ) as (a, b):
        tokens = {role: a.token(username, PASSWORD) for role, username in BHXH.items()}
        yield a, b, tokens


async def _open(server: Server, path: str):
    """A WebSocket to ``server``, with the Origin its AllowedHostsOriginValidator accepts."""
    return await asyncio.wait_for(
        connect(server.ws_url(path), origin=server.url, open_timeout=CONNECT_TIMEOUT),
        CONNECT_TIMEOUT,
    )


async def _first(ws, wanted) -> tuple[float, dict]:
    """The first message for which ``wanted(message)`` holds, with its arrival time."""
    while True:
        message = json.loads(await ws.recv())
        if wanted(message):
            return time.monotonic(), message


async def _across(ws, wanted, action) -> tuple[dict, dict[str, float]]:
    """Run ``action`` (an HTTP call, in a thread) while waiting on ``ws`` for the
    message it causes; fail unless it arrives within WITHIN of the response."""
    waiter = asyncio.create_task(_first(ws, wanted))
    times = {"sent": time.monotonic()}
    response = await asyncio.to_thread(action)
    times["responded"] = time.monotonic()
    try:
        arrived, message = await asyncio.wait_for(
            waiter, max(0.0, times["responded"] + WITHIN - time.monotonic())
        )
    except TimeoutError:
        pytest.fail(
            f"nothing arrived on the other server within {WITHIN} s of the response "
            f"(response: {response.status} {str(response.body)[:300]})"
        )
    times["after_response"] = arrived - times["responded"]
    times["after_sending"] = arrived - times["sent"]
    return message, {**times, "response": response}


def test_tracking_socket_on_b_hears_a_claim_made_on_a(servers):
    a, b, tokens = servers
    r = a.post("/api/v1/dossiers/", receipt_body(), token=tokens["desk"])
    assert r.status == 201, r.body
    code, pin = r.body["code"], r.body["tracking_pin"]

    async def scenario():
        ws = await _open(b, f"/ws/track/{code}/?pin={pin}")
        try:
            snapshot = json.loads(await asyncio.wait_for(ws.recv(), CONNECT_TIMEOUT))
            assert snapshot["type"] == "dossier.snapshot", snapshot
            assert (snapshot["code"], snapshot["status"]) == (code, "received")
            return await _across(
                ws,
                lambda m: m.get("type") == "dossier.updated",
                lambda: a.post(f"/api/v1/dossiers/{code}/claim/", token=tokens["handler"]),
            )
        finally:
            await ws.close()

    try:
        message, times = asyncio.run(scenario())
    except BaseException:
        print(report([a, b]))
        raise
    assert times["response"].status == 200, times["response"].body
    assert times["response"].body["status"] == "in_progress"
    assert times["after_response"] <= WITHIN
    assert message["code"] == code
    assert message["event"] == "claimed"
    assert message["status"] == "in_progress"
    assert message["timeline_entry"]["status"] == "in_progress"


def test_a_socket_left_idle_still_hears_the_next_event(servers):
    """Citizens leave the page open: a socket that heard nothing for longer than
    the channel layer's blocking read must still be there for the next event."""
    a, b, tokens = servers
    r = a.post("/api/v1/dossiers/", receipt_body(), token=tokens["desk"])
    assert r.status == 201, r.body
    code, pin = r.body["code"], r.body["tracking_pin"]

    async def scenario():
        ws = await _open(b, f"/ws/track/{code}/?pin={pin}")
        try:
            snapshot = json.loads(await asyncio.wait_for(ws.recv(), CONNECT_TIMEOUT))
            assert snapshot["type"] == "dossier.snapshot", snapshot
            opened = time.monotonic()
            try:
                extra = await asyncio.wait_for(ws.recv(), IDLE)
            except TimeoutError:
                pass  # nothing happened, nothing was sent: as it should be
            except ConnectionClosed as e:
                pytest.fail(
                    f"server B closed the socket after {time.monotonic() - opened:.1f} s "
                    f"of silence: {e}"
                )
            else:
                pytest.fail(f"unexpected message while nothing happened: {extra}")
            return await _across(
                ws,
                lambda m: m.get("type") == "dossier.updated",
                lambda: a.post(f"/api/v1/dossiers/{code}/claim/", token=tokens["handler"]),
            )
        finally:
            await ws.close()

    try:
        message, times = asyncio.run(scenario())
    except BaseException:
        print(report([a, b]))
        raise
    assert times["response"].status == 200, times["response"].body
    assert (message["code"], message["status"]) == (code, "in_progress")


def test_officer_socket_on_b_hears_a_dossier_received_on_a(servers):
    a, b, tokens = servers

    async def scenario():
        ws = await _open(b, f"/ws/notifications/?token={tokens['handler']}")
        try:
            return await _across(
                ws,
                lambda m: m.get("type") == "notification",
                lambda: a.post("/api/v1/dossiers/", receipt_body(), token=tokens["desk"]),
            )
        finally:
            await ws.close()

    try:
        message, times = asyncio.run(scenario())
    except BaseException:
        print(report([a, b]))
        raise
    response = times["response"]
    assert response.status == 201, response.body
    assert times["after_response"] <= WITHIN
    # The handling unit's queue hears of the new dossier: the specialist of
    # BHXH Hạc Thành, through the group of the unit they belong to.
    assert message["kind"] == "queue.new"
    assert message["dossier"] == response.body["code"]
    assert message["data"]["event"] == "received"
    assert isinstance(message["id"], int)
