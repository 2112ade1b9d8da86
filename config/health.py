"""``GET /healthz``: is the database reachable, does the channel layer carry
a message? 200 when both are fine, 503 naming what is down."""

from __future__ import annotations

import asyncio
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse


def _database_ok() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as e:
        return f"error: {type(e).__name__}: {e}"[:300]
    finally:
        connection.close_if_unusable_or_obsolete()


async def _channel_layer_ok() -> str:
    layer = get_channel_layer()
    if layer is None:
        return "error: no channel layer configured"
    try:
        channel = await asyncio.wait_for(layer.new_channel("healthz."), timeout=2)
        token = uuid.uuid4().hex
        await asyncio.wait_for(layer.send(channel, {"type": "healthz", "token": token}), 2)
        message = await asyncio.wait_for(layer.receive(channel), timeout=2)
        if message.get("token") != token:
            return "error: wrong message received"
        return "ok"
    except Exception as e:
        return f"error: {type(e).__name__}: {e}"[:300]


async def healthz(request):
    database, channel_layer = await asyncio.gather(
        sync_to_async(_database_ok, thread_sensitive=True)(), _channel_layer_ok()
    )
    body = {"database": database, "channel_layer": channel_layer}
    ok = all(value == "ok" for value in body.values())
    if not ok:
        body["down"] = [name for name, value in body.items() if value != "ok"]
    return JsonResponse(body, status=200 if ok else 503)
