"""What a Redis outage costs a dossier action: median latency with Redis up
and with Redis down, in one run.

``make bench`` runs it; ``.venv/bin/python benchmarks/bench_outage.py``
prints its JSON alone. ``MOTCUA_BENCH_OUTAGE_LIFECYCLES`` (default 40 per
side) shrinks it for a quick check.

Set-up: a throwaway PostgreSQL database (migrated, demo data) and the
production wiring: ``REDIS_URL`` (default ``redis://127.0.0.1:6379/0``) is the
channel layer, the cache and Celery's broker, so e-mail and SMS are left in
the outbox for the worker and the web deliveries and live broadcasts go to
Redis after commit.

Each lifecycle of procedure 1.001667 goes through the real services as the
demo officers of centre 14797 would (receive, claim, advance, claim, advance
— result ready: the citizen is told by web, SMS and e-mail — and return),
each action timed from the service call to its return, which includes the
after-commit step (the outbox's web deliveries and the broadcasts).

* **up**: Redis as configured (a prefix of its own).
* **down**: the channel layer, the cache and Celery's broker pointed at
  ``redis://127.0.0.1:6390/0``, where nothing listens (connection refused:
  Redis stopped); everything else real.

Up and down alternate lifecycle by lifecycle, so that the noise of a small
shared machine falls on both. The fast path's circuit breakers are reset at
each switch, so that every down lifecycle starts by finding Redis down (and
pays for it) and every up lifecycle really sends. The ratio is the median
action latency down over up; the goal is at most 2.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._support import (  # after the path set-up above
    django_on,
    log,
    median,
    throwaway_postgres,
)
from benchmarks.bench_lifecycle import MD5_HASHER, STEPS, Cast, act

DEFAULT_LIFECYCLES = 40
WARM_UP = 3
REDIS_DEFAULT = "redis://127.0.0.1:6379/0"
CLOSED_REDIS = "redis://127.0.0.1:6390/0"
GOAL_RATIO = 2.0


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=20)[-1]


def layers(url: str, prefix: str) -> dict:
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": url, "socket_timeout": 30, "socket_connect_timeout": 5}],
                "prefix": prefix,
            },
        }
    }


def caches(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "motcua-bench",
        }
    }


class Side:
    """Redis up or down: the settings that name Redis, switched in place."""

    def __init__(self, name: str, url: str, prefix: str) -> None:
        from django.test import override_settings

        self.name = name
        self.url = url
        self.override = override_settings(
            REDIS_URL=url,
            CELERY_TASK_ALWAYS_EAGER=False,
            CHANNEL_LAYERS=layers(url, prefix),
            CACHES=caches(url),
        )

    def __enter__(self):
        from channels.layers import channel_layers

        from config.celery import app

        self.override.enable()
        channel_layers.backends.clear()
        self._broker = app.conf.broker_url
        app.conf.broker_url = self.url
        app.conf.task_always_eager = False
        _forget_connections(app)
        _reset_breakers()
        return self

    def __exit__(self, *exc):
        from channels.layers import channel_layers

        from config.celery import app

        self.override.disable()
        channel_layers.backends.clear()
        app.conf.broker_url = self._broker
        _forget_connections(app)
        return False


def _forget_connections(app) -> None:
    """Celery's cached broker connections (the old code published from the
    request; a pool kept from the other side would hide the outage)."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def _reset_breakers() -> None:
    try:
        from notifications.services import breaker
    except ImportError:  # the code before the breakers existed
        return
    for b in breaker.BREAKERS.values():
        b.reset()


def lifecycle(cast: Cast, i: int, times: dict[str, list[float]]) -> None:
    code = None
    for name, action, username in STEPS:
        started = time.perf_counter()
        code = act(action, cast.user(username), code, i)
        times.setdefault(name, []).append(time.perf_counter() - started)


def run() -> dict[str, Any]:
    began = time.perf_counter()
    lifecycles = int(os.environ.get("MOTCUA_BENCH_OUTAGE_LIFECYCLES", DEFAULT_LIFECYCLES))
    if lifecycles < 1:
        raise ValueError("MOTCUA_BENCH_OUTAGE_LIFECYCLES must be at least 1")
    redis_url = os.environ.get("REDIS_URL") or REDIS_DEFAULT
    saved_redis = os.environ.get("REDIS_URL")
    os.environ["REDIS_URL"] = redis_url  # read by the settings at django.setup()
    try:
        with throwaway_postgres(prefix="motcua_outage") as url, django_on(url):
            result = measure(redis_url, lifecycles)
    finally:
        if saved_redis is None:
            os.environ.pop("REDIS_URL", None)
        else:
            os.environ["REDIS_URL"] = saved_redis
    result["seconds"] = round(time.perf_counter() - began, 1)
    return result


def measure(redis_url: str, lifecycles: int) -> dict[str, Any]:
    import redis
    from django.core.management import call_command
    from django.test import override_settings

    from notifications.models import Delivery
    from procedures.services import demo_seed

    redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()  # up means up
    log("outage: migrate, demo_seed")
    call_command("migrate", interactive=False, verbosity=0, stdout=sys.stderr)
    with override_settings(PASSWORD_HASHERS=[MD5_HASHER]):
        demo_seed(password=secrets.token_urlsafe(16))
    cast = Cast()
    prefix = f"motcua-bench-{secrets.token_hex(4)}"
    sides = {"up": Side("up", redis_url, prefix), "down": Side("down", CLOSED_REDIS, prefix)}

    n = 0
    for name, side in sides.items():
        with side:
            for _ in range(WARM_UP):
                lifecycle(cast, n, {})
                n += 1
            log(f"outage: warm-up with Redis {name} done")

    times: dict[str, dict[str, list[float]]] = {"up": {}, "down": {}}
    first_down: list[float] = []
    for k in range(lifecycles):
        for name in ("up", "down") if k % 2 == 0 else ("down", "up"):
            with sides[name]:
                before = len(times[name].get("receive", []))
                lifecycle(cast, n, times[name])
                n += 1
                if name == "down":
                    first_down.append(times[name]["receive"][before])
        if (k + 1) % 10 == 0:
            log(f"outage: {k + 1}/{lifecycles} lifecycles on each side")

    every = {
        name: [t for ts in by_action.values() for t in ts] for name, by_action in times.items()
    }
    up_ms = median(every["up"]) * 1000
    down_ms = median(every["down"]) * 1000
    ratio = down_ms / up_ms if up_ms else float("nan")
    per_action = {
        action: {
            "up_median_ms": round(median(times["up"][action]) * 1000, 2),
            "down_median_ms": round(median(times["down"][action]) * 1000, 2),
            "ratio": round(median(times["down"][action]) / median(times["up"][action]), 2),
        }
        for action, _, _ in STEPS
    }
    left_due = Delivery.objects.filter(state="pending").exclude(channel="web").count()
    return {
        "name": "outage.action_latency",
        "lifecycles_per_side": lifecycles,
        "actions_per_side": len(every["up"]),
        "up_ms": {"median": round(up_ms, 2), "p95": round(p95(every["up"]) * 1000, 2)},
        "down_ms": {
            "median": round(down_ms, 2),
            "p95": round(p95(every["down"]) * 1000, 2),
            "max": round(max(every["down"]) * 1000, 2),
        },
        "ratio_median": round(ratio, 2),
        "first_action_after_redis_went_down_ms": round(median(first_down) * 1000, 2),
        "per_action": per_action,
        "email_sms_left_due_for_the_worker": left_due,
        "goal": {"ratio_median_at_most": GOAL_RATIO},
        "meets_goal": ratio <= GOAL_RATIO,
        "notes": [
            f"lifecycle: {', '.join(name for name, _, _ in STEPS)}; each action timed from the "
            "service call to its return (transaction, commit and the after-commit step).",
            f"up: Redis at {redis_url}; down: layer, cache and broker at {CLOSED_REDIS} "
            "(nothing listens: refused). Up and down alternate lifecycle by lifecycle; the "
            "breakers are reset at each switch, so each down lifecycle's first action finds "
            "Redis down (first_action_after_redis_went_down_ms).",
            "e-mail and SMS are never sent from the request: they stay due in the outbox for "
            "Celery beat's deliver_pending (not running here).",
            f"PostgreSQL (throwaway database); {os.cpu_count()} CPUs; Python "
            f"{platform.python_version()}.",
        ],
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    print(json.dumps(run(), ensure_ascii=False, indent=2))
