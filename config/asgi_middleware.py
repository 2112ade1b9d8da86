"""ASGI middleware in front of Django and Channels.

* ``ClientAddressMiddleware``: the client's address is the socket's peer,
  unless that peer is a trusted proxy (``TRUSTED_PROXIES``); then it is the
  right-most ``X-Forwarded-For`` address that is not itself a trusted proxy.
  The left-most value is whatever the client chose to send, so it is never
  believed (rotating it would defeat every per-address limit).
* ``CookieOriginValidator``: the WebSocket ``Origin`` check protects
  cookie-authenticated connections only. A browser always sends ``Origin``
  and it must then be one of ``ALLOWED_HOSTS``; a client that sends none (a
  mobile app, an integrator) is let through with its cookies removed, so it
  can authenticate only with ``?token=``, a PIN or a tracking token.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from channels.security.websocket import AllowedHostsOriginValidator
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> list[Network]:
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES: {value!r} không phải địa chỉ IP hay dải mạng (CIDR) hợp lệ."
            ) from None
    return networks


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip().strip('"')
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.9:51234
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def client_address(
    peer: str | None, forwarded_for: list[str], trusted: list[Network]
) -> str | None:
    """The client's address given the socket peer, the ``X-Forwarded-For``
    values in order, and the trusted proxies."""

    def is_trusted(address) -> bool:
        return address is not None and any(address in net for net in trusted)

    peer_address = _address(peer or "")
    if not trusted or not is_trusted(peer_address):
        return peer
    hops = [h for value in forwarded_for for h in value.split(",") if h.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # Garbage a proxy passed on: nothing to the left of it can be trusted.
            return peer
        if not is_trusted(address):
            return str(address)
    return str(_address(hops[0])) if hops else peer


class ClientAddressMiddleware:
    def __init__(self, app, trusted_proxies: Iterable[str] = ()) -> None:
        self.app = app
        self.trusted = parse_networks(trusted_proxies)

    async def __call__(self, scope, receive, send):
        if self.trusted and scope["type"] in ("http", "websocket"):
            client = scope.get("client") or (None, 0)
            headers = scope.get("headers") or []
            forwarded = [v.decode("latin-1") for k, v in headers if k == b"x-forwarded-for"]
            address = client_address(client[0], forwarded, self.trusted)
            if address != client[0]:
                scope = dict(scope, client=(address, 0))
                proto = [v.decode("latin-1") for k, v in headers if k == b"x-forwarded-proto"]
                if proto and proto[-1].strip() in ("http", "https"):
                    secure = proto[-1].strip() == "https"
                    if scope["type"] == "http":
                        scope["scheme"] = "https" if secure else "http"
                    else:
                        scope["scheme"] = "wss" if secure else "ws"
        return await self.app(scope, receive, send)


class CookieOriginValidator:
    def __init__(self, app) -> None:
        self.app = app
        self.checked = AllowedHostsOriginValidator(app)

    async def __call__(self, scope, receive, send):
        headers = scope.get("headers") or []
        if any(k == b"origin" for k, _ in headers):
            return await self.checked(scope, receive, send)
        scope = dict(scope, headers=[(k, v) for k, v in headers if k != b"cookie"])
        return await self.app(scope, receive, send)
