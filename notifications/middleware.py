"""WebSocket authentication by API token.

Browsers send the session cookie; API clients and phones without one
connect with ``?token=<DRF token key>``. The session is resolved first and a
token, when present, overrides it (an invalid token yields the anonymous user
rather than silently falling back to the session).
"""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser


@database_sync_to_async
def user_for_token(key: str):
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return AnonymousUser()
    return token.user


def token_from_scope(scope) -> str | None:
    """The ``token`` query parameter, or ``None`` when there is none."""
    raw = scope.get("query_string", b"")
    if isinstance(raw, bytes):
        raw = raw.decode("latin-1")
    values = parse_qs(raw).get("token")
    return values[0] if values else None


class TokenAuthMiddleware(BaseMiddleware):
    """If the query string carries ``token``, ``scope["user"]`` becomes that
    token's user; otherwise ``scope["user"]`` is left as the session
    authentication set it (the anonymous user if nothing did)."""

    async def __call__(self, scope, receive, send):
        scope = dict(scope)
        key = token_from_scope(scope)
        if key is not None:
            scope["user"] = await user_for_token(key)
        elif "user" not in scope:
            scope["user"] = AnonymousUser()
        return await self.inner(scope, receive, send)


def TokenAuthMiddlewareStack(inner):
    """Cookies → session → session user → token user (when ``?token=`` is given).

    The token middleware sits *inside* the session stack: it must run after
    the session user is resolved so that it can override it.
    """
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))
