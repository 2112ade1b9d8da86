"""The client's address is the socket's, unless a proxy is trusted (issue 8, point 3)."""

from __future__ import annotations

import asyncio

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.asgi_middleware import ClientAddressMiddleware, client_address, parse_networks

PROXY = parse_networks(["10.0.0.0/8", "127.0.0.1"])


@pytest.mark.parametrize(
    ("peer", "xff", "trusted", "expected"),
    [
        # no trusted proxy: the peer, whatever the header says
        ("203.0.113.7", ["1.2.3.4"], [], "203.0.113.7"),
        # a peer that is not a trusted proxy: its header is not believed
        ("203.0.113.7", ["1.2.3.4"], PROXY, "203.0.113.7"),
        # behind our proxy: the right-most address that is not a proxy of ours
        ("127.0.0.1", ["198.51.100.9"], PROXY, "198.51.100.9"),
        ("127.0.0.1", ["6.6.6.6, 198.51.100.9, 10.1.2.3"], PROXY, "198.51.100.9"),
        ("127.0.0.1", ["6.6.6.6", "198.51.100.9"], PROXY, "198.51.100.9"),  # two headers
        ("127.0.0.1", ["[2001:db8::5]:443"], PROXY, "2001:db8::5"),
        ("127.0.0.1", ["198.51.100.9:51234"], PROXY, "198.51.100.9"),
        # only proxies in the chain: the left-most one
        ("127.0.0.1", ["10.0.0.5, 10.0.0.6"], PROXY, "10.0.0.5"),
        # garbage passed on by a proxy: nothing left of it is believed
        ("127.0.0.1", ["1.1.1.1, not-an-ip"], PROXY, "127.0.0.1"),
        ("127.0.0.1", [], PROXY, "127.0.0.1"),
    ],
)
def test_client_address(peer, xff, trusted, expected):
    assert client_address(peer, xff, trusted) == expected


def test_rotating_the_left_most_value_changes_nothing():
    seen = {
        client_address("127.0.0.1", [f"{i}.{i}.{i}.{i}, 198.51.100.9"], PROXY) for i in range(50)
    }
    assert seen == {"198.51.100.9"}


def test_bad_configuration_is_refused():
    with pytest.raises(ImproperlyConfigured):
        parse_networks(["10.0.0.0/33"])


def test_the_middleware_rewrites_the_scope_only_for_a_trusted_peer():
    seen = []

    async def app(scope, receive, send):
        seen.append((scope["client"], scope.get("scheme")))

    middleware = ClientAddressMiddleware(app, ["127.0.0.1"])
    headers = [(b"x-forwarded-for", b"6.6.6.6, 198.51.100.9"), (b"x-forwarded-proto", b"https")]
    for peer in ("127.0.0.1", "203.0.113.7"):
        scope = {"type": "http", "client": (peer, 5000), "headers": headers, "scheme": "http"}
        asyncio.run(middleware(scope, None, None))
    assert seen == [(("198.51.100.9", 0), "https"), (("203.0.113.7", 5000), "http")]
