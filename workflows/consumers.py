"""WebSockets of the workflows app: the citizen's tracking socket and the
centre's wall board. (Officers' notifications: notifications.consumers.)"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from config.clock import now
from config.errors import DomainError
from notifications.sockets import LayerAwareMixin


def _query(scope) -> dict[str, str]:
    params = parse_qs(scope.get("query_string", b"").decode())
    return {k: v[0] for k, v in params.items() if v}


def _client(scope) -> str:
    client = scope.get("client") or ("unknown", 0)
    return str(client[0])


class TrackConsumer(LayerAwareMixin, AsyncJsonWebsocketConsumer):
    """``/ws/track/{code}/?pin=NNNNNN`` or ``?t=<tracking token>``: a snapshot on
    connect, then ``dossier.updated`` on every change. A wrong PIN or token (or
    an unknown code) closes the socket with 4404, too many wrong PINs with
    4429, a channel layer that is down with 4503."""

    async def connect(self):
        self.code = self.scope["url_route"]["kwargs"]["code"]
        query = _query(self.scope)
        try:
            snapshot = await self._snapshot(query.get("pin", ""), query.get("t", ""))
        except DomainError as e:
            # Accept, then close with a code the page can read (a refused
            # handshake looks like a network error to a browser).
            await self.accept()
            await self.close(code=4429 if e.status == 429 else 4404)
            return
        self.group = f"track.{self.code}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "dossier.snapshot", **snapshot})

    @database_sync_to_async
    def _snapshot(self, pin: str, token: str) -> dict:
        from workflows.selectors.dossiers import tracking
        from workflows.services.tracking import tracking_access

        dossier = tracking_access(code=self.code, pin=pin, token=token, address=_client(self.scope))
        return tracking(dossier)

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        elif isinstance(content, dict) and content.get("type") == "snapshot":
            from workflows.selectors.dossiers import dossier_for_tracking, tracking

            dossier = await database_sync_to_async(dossier_for_tracking)(self.code)
            if dossier is not None:
                data = await database_sync_to_async(tracking)(dossier)
                await self.send_json({"type": "dossier.snapshot", **data})
        else:
            await self.send_json(
                {
                    "type": "error",
                    "error": "invalid_message",
                    "message": 'Chỉ nhận {"type": "ping"} hoặc {"type": "snapshot"}.',
                }
            )

    async def dossier_updated(self, event):
        await self.send_json(
            {"type": "dossier.updated", "event": event.get("event"), **event["dossier"]}
        )

    async def notification_message(self, event):
        """A message to the citizen from the outbox (e.g. what to bring)."""
        n = event["notification"]
        await self.send_json(
            {
                "type": "citizen.notification",
                "id": n.get("id"),
                "kind": n.get("kind"),
                "title": n.get("title"),
                "body": n.get("body"),
                "created_at": n.get("created_at"),
            }
        )


class BoardConsumer(LayerAwareMixin, AsyncJsonWebsocketConsumer):
    """``/ws/board/{centre}/[?key=<board key>]``: counts for the centre's wall
    screen, pushed when a dossier of the centre changes and at least every
    minute (time alone makes dossiers due, at risk or overdue). For an officer
    whose scope holds the centre, or with the centre's board key; anyone else
    is closed with 4404, like an unknown centre."""

    REFRESH_SECONDS = 60

    async def connect(self):
        code = self.scope["url_route"]["kwargs"]["centre"]
        self.centre_obj = await self._centre(code, _query(self.scope).get("key", ""))
        if self.centre_obj is None:
            await self.accept()
            await self.close(code=4404)
            return
        self.centre = self.centre_obj.code
        counts = await self._counts()
        self.group = f"board.{self.centre}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(counts)
        self._ticker = asyncio.ensure_future(self._tick())

    async def _tick(self):
        while True:
            await asyncio.sleep(self.REFRESH_SECONDS)
            await self.board_refresh({})

    @database_sync_to_async
    def _centre(self, code: str, key: str):
        from workflows.selectors.board import board_centre

        return board_centre(code=code, user=self.scope.get("user"), key=key)

    @database_sync_to_async
    def _counts(self):
        from workflows.selectors.board import board_counts

        return board_counts(centre=self.centre_obj, at=now())

    async def disconnect(self, code):
        ticker = getattr(self, "_ticker", None)
        if ticker is not None:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def board_refresh(self, event):
        await self.send_json(await self._counts())

    async def receive_json(self, content, **kwargs):
        await self.board_refresh({})


class DossierConsumer(LayerAwareMixin, AsyncJsonWebsocketConsumer):
    """``/ws/dossiers/{code}/``: the officers' dossier page hears
    ``{"type": "dossier.changed", "event": <kind>}`` whenever the dossier
    changes (it then reloads its live part). For a signed-in officer whose
    scope holds the dossier; anyone else is closed with 4404."""

    async def connect(self):
        self.code = self.scope["url_route"]["kwargs"]["code"][:60]
        if not await self._visible():
            await self.accept()
            await self.close(code=4404)
            return
        self.group = f"track.{self.code}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    @database_sync_to_async
    def _visible(self) -> bool:
        from workflows.models import Dossier
        from workflows.selectors.dossiers import can_see

        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return False
        dossier = Dossier.objects.select_related("centre").filter(code=self.code).first()
        return dossier is not None and can_see(user, dossier)

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def dossier_updated(self, event):
        await self.send_json({"type": "dossier.changed", "event": event.get("event")})

    async def notification_message(self, event):
        """The citizen's messages share the group; officers see them in the history."""
