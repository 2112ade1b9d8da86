"""Circuit breakers of the after-commit fast path (one per channel, per process).

A request never waits on a channel that has just failed: after a failure
(the channel layer, the SMTP server or the SMS gateway unreachable, or not
answering within the fast path's time budget) the fast path skips that
channel for ``NOTIFICATIONS_BREAKER_SECONDS`` (default 30). The deliveries it
skips stay in the outbox, untouched (no attempt counted), and the delivery
runs send them (``deliveries_run``: Celery beat every 5 s, ``manage.py
sweep``). When the pause is over the next request tries again; for the
channel layer a TCP connect to each Redis host (``layer_reachable``, 0.25 s)
comes first, so a Redis that is still down costs a refused connect, not a
timeout.

The breakers are per process on purpose: they hold no shared state that
could itself be down. What the delivery runs know about a channel across
processes is ``ChannelHealth`` (in the database).
"""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlsplit

from django.conf import settings

#: TCP connect budget of the cheap health check, per Redis host.
HEALTH_CHECK_TIMEOUT = 0.25


class Breaker:
    """Closed (try) → open after a failure (skip) for a cooldown → half-open
    (the next caller tries; success closes it, failure opens it again)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._open_until = 0.0
        self._failed = False

    def allow(self) -> bool:
        return time.monotonic() >= self._open_until

    def half_open(self) -> bool:
        """Failed before and the pause is over: the next try is a trial."""
        return self._failed and self.allow()

    def failure(self) -> None:
        with self._lock:
            self._failed = True
            self._open_until = time.monotonic() + cooldown()

    def success(self) -> bool:
        """Close the breaker; True if it had failed (the channel is back)."""
        with self._lock:
            was_failed = self._failed
            self._failed = False
            self._open_until = 0.0
        return was_failed

    def reset(self) -> None:
        self.success()


BREAKERS: dict[str, Breaker] = {name: Breaker(name) for name in ("web", "email", "sms")}


def cooldown() -> float:
    return float(getattr(settings, "NOTIFICATIONS_BREAKER_SECONDS", 30))


def fast_path_budget() -> float:
    """Seconds the fast path may spend on the channel layer after a commit."""
    return float(getattr(settings, "NOTIFICATIONS_FAST_PATH_TIMEOUT", 1.0))


def layer_reachable(layer) -> bool:
    """The cheap health check: can a TCP connection be opened to every Redis
    host of the layer? Layers without hosts (in-memory) are always reachable."""
    for host, port in _redis_hosts(layer):
        try:
            with socket.create_connection((host, port), timeout=HEALTH_CHECK_TIMEOUT):
                pass
        except OSError:
            return False
    return True


def _redis_hosts(layer) -> list[tuple[str, int]]:
    hosts = []
    for entry in getattr(layer, "hosts", None) or []:
        if not isinstance(entry, dict):
            continue
        if "address" in entry:
            parts = urlsplit(str(entry["address"]))
            if parts.scheme in ("redis", "rediss") and parts.hostname:
                hosts.append((parts.hostname, parts.port or 6379))
        elif "host" in entry:
            hosts.append((str(entry["host"]), int(entry.get("port") or 6379)))
    return hosts
