"""The officers' notification socket, ``/ws/notifications/``.

On connect the socket joins the officer's groups (``user.<id>``,
``unit.<id>``, ``centre.<id>`` for each centre) and then forwards every
``notification.message`` sent to them. A client that reconnects sends
``{"type": "resume", "after": <last id seen>}`` and receives, in id order,
everything addressed to it since, then ``{"type": "resume.done", "last_id"}``
(or ``resume.truncated`` after 500: resume again from ``last_id``). No id is
sent twice on one connection, whichever of resume, live push or poll gets
there first.

With a process-local channel layer (the embedded default) notifications
written by another process (the background sweep) cannot be pushed here, so
the socket also polls the outbox every few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import InMemoryChannelLayer
from django.conf import settings

from notifications import selectors
from notifications.sockets import LayerAwareMixin

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
#: Seconds between outbox polls when the channel layer is process-local.
EMBEDDED_POLL_SECONDS = 5.0


def poll_seconds(layer: Any) -> float:
    """``settings.NOTIFICATIONS_POLL_SECONDS`` if set (0 disables), otherwise
    poll only when the channel layer cannot carry messages between processes."""
    configured = getattr(settings, "NOTIFICATIONS_POLL_SECONDS", None)
    if configured is not None:
        return float(configured)
    return EMBEDDED_POLL_SECONDS if isinstance(layer, InMemoryChannelLayer) else 0.0


class NotificationConsumer(LayerAwareMixin, AsyncJsonWebsocketConsumer):
    RESUME_LIMIT = 500
    #: ids remembered per connection before the oldest half is folded into a floor
    SEEN_MAX = 10_000

    audience: selectors.Audience | None = None
    joined: list[str] = []
    poller: asyncio.Task | None = None

    async def connect(self) -> None:
        self.joined = []
        self.seen: set[int] = set()
        self.floor = 0
        audience = await database_sync_to_async(selectors.audience_for)(self.scope.get("user"))
        if audience is None or not audience.staff:
            # Accept, then close with a code the page can read: a refused
            # handshake looks like a network error to a browser.
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED if audience is None else CLOSE_FORBIDDEN)
            return
        for group in audience.groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.append(group)
        self.audience = audience
        await self.accept()
        every = poll_seconds(self.channel_layer)
        if every > 0:
            self.poll_after = await database_sync_to_async(selectors.notification_last_id)(audience)
            self.poller = asyncio.ensure_future(self._poll(every))

    async def disconnect(self, code: int) -> None:
        if self.poller is not None:
            self.poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.poller
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.joined = []

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        return json.dumps(content, ensure_ascii=False)  # Vietnamese as UTF-8, not \u escapes

    # --- from the client ---------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kw):
        if self.audience is None:
            return
        if text_data is None:
            await self._error("Chỉ nhận thông điệp JSON dạng văn bản.")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self._error("Thông điệp không phải JSON hợp lệ.")
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "resume":
            after = content.get("after")
            if not isinstance(after, int) or isinstance(after, bool) or after < 0:
                await self._error(
                    "«after» phải là số nguyên không âm: id thông báo cuối cùng đã nhận."
                )
                return
            await self._resume(after)
        else:
            await self._error(
                'Loại thông điệp không được hỗ trợ; chỉ nhận {"type": "resume", "after": <id>} '
                'hoặc {"type": "ping"}.'
            )

    async def _resume(self, after: int) -> None:
        rows = await database_sync_to_async(selectors.notifications_after)(
            audience=self.audience, after=after, limit=self.RESUME_LIMIT + 1
        )
        truncated = len(rows) > self.RESUME_LIMIT
        rows = rows[: self.RESUME_LIMIT]
        for payload in rows:
            if self._first_time(payload["id"]):
                await self.send_json(payload)
        last_id = rows[-1]["id"] if rows else after
        await self.send_json(
            {"type": "resume.truncated" if truncated else "resume.done", "last_id": last_id}
        )

    async def _error(self, message: str) -> None:
        await self.send_json({"type": "error", "error": "invalid_message", "message": message})

    # --- from the channel layer -------------------------------------------------------

    async def notification_message(self, event: dict) -> None:
        payload = event.get("notification") or {}
        nid = payload.get("id")
        if isinstance(nid, int) and self._first_time(nid):
            await self.send_json(payload)

    # --- helpers ----------------------------------------------------------------------

    def _first_time(self, nid: int) -> bool:
        """Record ``nid`` as sent; False if it already was. Check and record
        happen with no await in between, so concurrent paths cannot both win."""
        if nid <= self.floor or nid in self.seen:
            return False
        self.seen.add(nid)
        if len(self.seen) > self.SEEN_MAX:
            oldest = sorted(self.seen)[: self.SEEN_MAX // 2]
            self.floor = oldest[-1]
            self.seen.difference_update(oldest)
        return True

    async def _poll(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                rows = await database_sync_to_async(selectors.notifications_after)(
                    audience=self.audience, after=self.poll_after, limit=self.RESUME_LIMIT
                )
                for payload in rows:
                    self.poll_after = max(self.poll_after, payload["id"])
                    if self._first_time(payload["id"]):
                        await self.send_json(payload)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("notifications: outbox poll failed")
