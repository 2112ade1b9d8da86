"""What every motcua WebSocket shares: a channel layer that is down degrades
the socket, it does not break the handshake.

With Redis down, Channels' own consumer fails while it sets itself up (a 500
on the handshake). ``LayerAwareMixin`` asks the layer first (a ping, at most
one second, its answer remembered for a few seconds per process): when it is
down, the handshake is accepted and closed at once with ``CLOSE_LAYER_DOWN``
(4503), which the pages read as "no live updates: poll instead". A layer that
fails in the middle of a connection closes it with the same code.
"""

from __future__ import annotations

import asyncio
import logging
import time

from channels.layers import InMemoryChannelLayer, get_channel_layer

log = logging.getLogger(__name__)

CLOSE_LAYER_DOWN = 4503
PING_TIMEOUT = 1.0
#: Seconds a health answer is reused (per process, per layer).
REMEMBER = 3.0

_health: dict[int, tuple[float, bool]] = {}


def _layer_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OSError, asyncio.TimeoutError, ConnectionError]
    try:
        import redis.exceptions

        errors.append(redis.exceptions.RedisError)
    except ImportError:  # pragma: no cover - redis is a dependency
        pass
    return tuple(errors)


LAYER_ERRORS = _layer_errors()


async def layer_healthy(layer) -> bool:
    """Whether the channel layer answers now (always, for the in-memory one)."""
    if layer is None or isinstance(layer, InMemoryChannelLayer):
        return True
    connection = getattr(layer, "connection", None)
    if connection is None:
        return True
    key = id(layer)
    seen = _health.get(key)
    moment = time.monotonic()
    if seen is not None and moment - seen[0] < REMEMBER:
        return seen[1]
    try:
        await asyncio.wait_for(connection(0).ping(), PING_TIMEOUT)
        healthy = True
    except LAYER_ERRORS as e:
        log.warning("channel layer down: %s: %s", type(e).__name__, e)
        healthy = False
    _health[key] = (moment, healthy)
    return healthy


def forget_health() -> None:
    """Tests: forget remembered answers."""
    _health.clear()


async def refuse_handshake(receive, send, code: int) -> None:
    """Accept, then close with ``code``: a refused handshake looks like a
    network error to a browser, a close code can be read by the page."""
    message = await receive()
    if message.get("type") != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": code})


class LayerAwareMixin:
    """Put first in a consumer's bases (before ``AsyncJsonWebsocketConsumer``)."""

    async def __call__(self, scope, receive, send):
        layer = get_channel_layer(self.channel_layer_alias)
        if not await layer_healthy(layer):
            await refuse_handshake(receive, send, CLOSE_LAYER_DOWN)
            return
        accepted = False

        async def tracking_send(message):
            nonlocal accepted
            if message.get("type") == "websocket.accept":
                accepted = True
            await send(message)

        try:
            await super().__call__(scope, receive, tracking_send)
        except LAYER_ERRORS as e:
            _health[id(layer)] = (time.monotonic(), False)
            log.warning("socket %s closed, channel layer failed: %s", scope.get("path"), e)
            try:
                if not accepted:
                    await send({"type": "websocket.accept"})
                await send({"type": "websocket.close", "code": CLOSE_LAYER_DOWN})
            except Exception:  # the client may be gone already
                pass
