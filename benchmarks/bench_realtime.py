"""Commit-to-browser latency of the tracking socket, through Redis.

``make bench`` runs it; ``.venv/bin/python benchmarks/bench_realtime.py``
prints its JSON alone. ``MOTCUA_BENCH_RT_CLIENTS`` (default 500) and
``MOTCUA_BENCH_RT_DOSSIERS`` (default 50) shrink it for a quick check.

Set-up: a throwaway PostgreSQL database (migrated, demo data), Redis
(``REDIS_URL``, default ``redis://127.0.0.1:6379/0``), two Daphne processes
serving the app on them. 50 dossiers are received through the services, and
500 WebSocket clients of this process connect to ``/ws/track/{code}/?pin=``:
10 per dossier, spread over both servers (so most messages cross processes
through Redis), as citizens would each follow their own dossier.

* **Engine**: the rest of each dossier's lifecycle through the real services
  in this process (one worker thread, like a request): claim, advance (the
  specialist), claim, advance (the leader: result ready), return (the desk);
  one action at a time, waiting for its message at all 10 clients before the
  next. Each service call runs inside an outer ``transaction.atomic()`` whose
  first ``on_commit`` callback records ``time.time()``: callbacks run in
  order right after COMMIT, so that is the commit moment, just before the
  service's own after-commit work (the outbox's immediate web deliveries,
  then the broadcast). Latency = the client's arrival time − that moment,
  over every (client, action) pair. Also reported from the service call's
  start (end to end, including the transaction itself).
* **Floor**: after each engine action, the same payload (the message the
  clients just received, with ``event="floor"``) sent by a bare
  ``group_send("track.<code>", …)`` from the same worker thread, through
  ``async_to_sync`` as the engine's broadcast is, timed from just before the
  call to the same 10 clients' arrival.

Engine and floor alternate action by action on the same sockets, so that the
noise of a small shared machine falls on both. A round is one stage of the
lifecycle over all dossiers; the rounds' medians and 95th percentiles are
reported beside the figures over all pairs. Clients timestamp a message as
soon as ``recv()`` returns it; only 10 messages are in flight at a time, so
the 500 sockets of one Python process are not the bottleneck (stated in the
notes with the measured idle loop lag).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._support import (  # after the path set-up above
    django_on,
    log,
    median,
    throwaway_postgres,
)

DEFAULT_CLIENTS = 500
DEFAULT_DOSSIERS = 50
SERVERS = 2
REDIS_DEFAULT = "redis://127.0.0.1:6379/0"
WAIT_SECONDS = 5.0  # a message not at a client by then counts as lost
CONNECT_BATCH = 50  # handshakes in flight at once
GOALS = {"p95_ms": 100, "ratio": 2}

PROCEDURE = "1.001667"
CENTRE = "14797"
RECEIVER = "hacthanh.bhxh.motcua"
HANDLER = "hacthanh.bhxh.chuyenvien"
APPROVER = "hacthanh.bhxh.lanhdao"
MD5_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"

#: The lifecycle after receipt: (round name, service action, actor, event broadcast).
STAGES = [
    ("claim", "claim", HANDLER, "claimed"),
    ("advance", "advance", HANDLER, "advanced"),
    ("claim_approval", "claim", APPROVER, "claimed"),
    ("advance_last", "advance_last", APPROVER, "result_ready"),
    ("return", "return", RECEIVER, "returned"),
]


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0–100), linear between closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "median": round(percentile(ms, 50), 2),
        "p95": round(percentile(ms, 95), 2),
        "max": round(max(ms), 2) if ms else float("nan"),
        "n": len(ms),
    }


# ---------------------------------------------------------------------------
# Set-up and the engine's actions (Django, in one worker thread)
# ---------------------------------------------------------------------------


def setup_data(dossiers: int) -> list[tuple[str, str]]:
    """Migrate, seed the demo, receive ``dossiers`` dossiers: [(code, pin)]."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from procedures.services import demo_seed
    from workflows.services import intake

    settings.PASSWORD_HASHERS = [MD5_HASHER]  # nobody logs in; seeding need not be slow
    log("realtime: migrating")
    call_command("migrate", verbosity=0, interactive=False)
    log("realtime: seeding the demo data")
    demo_seed(password="motcua-bench")
    desk = get_user_model().objects.get(username=RECEIVER)
    out = []
    for i in range(dossiers):
        receipt = intake.dossier_receive(
            actor=desk,
            procedure=PROCEDURE,
            centre=CENTRE,
            channel="in_person",
            applicant=intake.Applicant(
                full_name="Nguyễn Thị Hương",
                id_number=f"0381{80 + i % 20:02d}{i:06d}",
                phone=f"09{12_345_678 + i:08d}",
            ),
            documents=[
                {"name": "Giấy chứng nhận nghỉ việc hưởng BHXH", "kind": "original", "quantity": 1}
            ],
        )
        out.append((receipt.dossier.code, receipt.pin))
    return out


class Actors:
    def __init__(self) -> None:
        from django.contrib.auth import get_user_model

        users = get_user_model().objects.filter(username__in=(RECEIVER, HANDLER, APPROVER))
        self.users = {u.username: u for u in users}


def engine_action(actors: Actors, action: str, username: str, code: str) -> dict[str, float]:
    """One service call, with the moments: start, commit (first on_commit
    callback, before the service's own), return."""
    from django.db import transaction

    from workflows.services import handling

    actor = actors.users[username]
    marks: dict[str, float] = {}
    with transaction.atomic():
        transaction.on_commit(lambda: marks.setdefault("commit", time.time()))
        marks["start"] = time.time()
        if action == "claim":
            handling.dossier_claim(actor=actor, code=code)
        elif action == "advance":
            handling.dossier_advance(actor=actor, code=code, note="Đủ điều kiện hưởng.")
        elif action == "advance_last":
            handling.dossier_advance(actor=actor, code=code, result="Quyết định số 123/QĐ-BHXH")
        elif action == "return":
            handling.dossier_return(actor=actor, code=code, method="counter")
        else:
            raise ValueError(action)
    marks["return"] = time.time()
    return marks


def floor_send(code: str, dossier_fields: dict[str, Any]) -> float:
    """A bare group_send of the same payload; returns the moment just before it."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    message = {"type": "dossier.updated", "event": "floor", "dossier": dossier_fields}
    started = time.time()
    async_to_sync(layer.group_send)(f"track.{code}", message)
    return started


def close_connections() -> None:
    from django.db import connections

    connections.close_all()


# ---------------------------------------------------------------------------
# The clients (asyncio, in the main thread)
# ---------------------------------------------------------------------------


@dataclass
class Expectation:
    """What the clients of one dossier are waiting for, and when it arrived."""

    code: str
    event: str
    want: int
    arrivals: list[float] = field(default_factory=list)
    message: dict | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)


class Clients:
    def __init__(self) -> None:
        self.sockets: list[Any] = []
        self.readers: list[asyncio.Task] = []
        self.expecting: Expectation | None = None
        self.unexpected = 0
        self.closed: list[str] = []
        self.per_code: dict[str, int] = {}

    async def connect_all(self, servers, assignment: list[tuple[str, str]]) -> None:
        from websockets.asyncio.client import connect

        async def one(i: int, code: str, pin: str):
            server = servers[i % len(servers)]
            ws = await connect(
                server.ws_url(f"/ws/track/{code}/?pin={pin}"),
                origin=server.url,
                ping_interval=None,
                open_timeout=60,
                max_queue=None,
            )
            snapshot = json.loads(await asyncio.wait_for(ws.recv(), 60))
            if snapshot.get("type") != "dossier.snapshot":
                raise RuntimeError(f"client {i}: expected a snapshot, got {snapshot}")
            return ws, code

        for start in range(0, len(assignment), CONNECT_BATCH):
            batch = assignment[start : start + CONNECT_BATCH]
            opened = await asyncio.gather(
                *(one(start + j, code, pin) for j, (code, pin) in enumerate(batch))
            )
            for ws, code in opened:
                self.sockets.append(ws)
                self.per_code[code] = self.per_code.get(code, 0) + 1
                self.readers.append(asyncio.create_task(self._read(ws, code)))
            log(f"realtime: {len(self.sockets)} clients connected")

    async def _read(self, ws, code: str) -> None:
        try:
            async for raw in ws:
                arrived = time.time()
                message = json.loads(raw)
                if message.get("type") != "dossier.updated":
                    continue  # e.g. citizen.notification from the outbox
                exp = self.expecting
                if exp is not None and exp.code == code and message.get("event") == exp.event:
                    exp.arrivals.append(arrived)
                    exp.message = message
                    if len(exp.arrivals) >= exp.want:
                        exp.done.set()
                else:
                    self.unexpected += 1
        except Exception as e:  # recorded; the run stops on it
            self.closed.append(f"{code}: {type(e).__name__}: {e}")
        else:
            self.closed.append(f"{code}: closed {ws.close_code} {ws.close_reason}")

    def check_open(self, servers) -> None:
        """Stop the run if the servers dropped sockets: the figures would mean nothing."""
        if not self.closed:
            return
        excerpts = []
        for server in servers:
            lines = [line for line in server.logs().splitlines() if "Error" in line]
            if lines:
                excerpts.append(f"server :{server.port}: {lines[-1].strip()}")
        raise RuntimeError(
            f"{len(self.closed)} of {len(self.sockets)} sockets were closed by the servers "
            f"(first: {self.closed[0]}); " + "; ".join(excerpts)
        )

    async def await_delivery(self, exp: Expectation) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(exp.done.wait(), WAIT_SECONDS)
        self.expecting = None

    async def close(self) -> None:
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)


async def loop_lag(samples: int = 50) -> float:
    """How late a 10 ms sleep wakes up on this loop (the clients' own delay), in ms."""
    lags = []
    for _ in range(samples):
        t = time.perf_counter()
        await asyncio.sleep(0.01)
        lags.append(time.perf_counter() - t - 0.01)
    return round(percentile([x * 1000 for x in lags], 95), 2)


async def measure(servers, dossiers: list[tuple[str, str]], clients_count: int) -> dict[str, Any]:
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="actions")
    loop = asyncio.get_running_loop()

    def in_worker(fn, *args):
        return loop.run_in_executor(executor, fn, *args)

    clients = Clients()
    assignment = [dossiers[i % len(dossiers)] for i in range(clients_count)]
    t = time.perf_counter()
    try:
        await clients.connect_all(servers, assignment)
        connect_seconds = time.perf_counter() - t
        idle_lag_ms = await loop_lag()
        actors = await in_worker(Actors)
        clients.check_open(servers)
        engine: list[float] = []
        engine_e2e: list[float] = []
        floor: list[float] = []
        lost = {"engine": 0, "floor": 0}
        rounds = []
        by_event: dict[str, list[float]] = {}
        for name, action, username, event in STAGES:
            r_engine: list[float] = []
            r_floor: list[float] = []
            for code, _pin in dossiers:
                clients.check_open(servers)
                want = clients.per_code[code]
                exp = Expectation(code=code, event=event, want=want)
                clients.expecting = exp
                marks = await in_worker(engine_action, actors, action, username, code)
                await clients.await_delivery(exp)
                lost["engine"] += want - len(exp.arrivals)
                commit = marks.get("commit", marks["return"])
                lat = [a - commit for a in exp.arrivals]
                r_engine += lat
                by_event.setdefault(name, []).extend(lat)
                engine_e2e += [a - marks["start"] for a in exp.arrivals]
                if exp.message is None:
                    continue
                fields = {k: v for k, v in exp.message.items() if k not in ("type", "event")}
                fexp = Expectation(code=code, event="floor", want=want)
                clients.expecting = fexp
                started = await in_worker(floor_send, code, fields)
                await clients.await_delivery(fexp)
                lost["floor"] += want - len(fexp.arrivals)
                r_floor += [a - started for a in fexp.arrivals]
            engine += r_engine
            floor += r_floor
            rounds.append(
                {"round": name, "engine_ms": summary(r_engine), "floor_ms": summary(r_floor)}
            )
            log(
                f"realtime: round {name}: engine p50 {rounds[-1]['engine_ms']['median']} ms "
                f"p95 {rounds[-1]['engine_ms']['p95']} ms; floor p50 "
                f"{rounds[-1]['floor_ms']['median']} ms p95 {rounds[-1]['floor_ms']['p95']} ms"
            )
        return {
            "engine": engine,
            "engine_e2e": engine_e2e,
            "floor": floor,
            "lost": lost,
            "rounds": rounds,
            "by_event": {k: summary(v) for k, v in by_event.items()},
            "connect_seconds": connect_seconds,
            "idle_lag_ms": idle_lag_ms,
            "unexpected": clients.unexpected,
            "connected": len(clients.sockets),
        }
    finally:
        await clients.close()
        await in_worker(close_connections)
        executor.shutdown(wait=True)


# ---------------------------------------------------------------------------


def run() -> dict[str, Any]:
    from tests.support.servers import daphne_servers

    clients_count = int(os.environ.get("MOTCUA_BENCH_RT_CLIENTS", DEFAULT_CLIENTS))
    dossier_count = int(os.environ.get("MOTCUA_BENCH_RT_DOSSIERS", DEFAULT_DOSSIERS))
    redis_url = os.environ.get("REDIS_URL") or REDIS_DEFAULT
    saved_redis = os.environ.get("REDIS_URL")
    os.environ["REDIS_URL"] = redis_url  # read by the settings at django.setup()
    try:
        with (
            throwaway_postgres(prefix="motcua_rt") as url,
            django_on(url),
            tempfile.TemporaryDirectory(prefix="motcua-rt-") as logs,
        ):
            dossiers = setup_data(dossier_count)
            close_connections()
            log(f"realtime: starting {SERVERS} Daphne servers")
            with daphne_servers(
                SERVERS,
                database_url=url,
                redis_url=redis_url,
                env={"DEBUG": "0", "LOG_LEVEL": "WARNING"},
                log_dir=Path(logs),
            ) as servers:
                measured = asyncio.run(measure(servers, dossiers, clients_count))
    finally:
        if saved_redis is None:
            os.environ.pop("REDIS_URL", None)
        else:
            os.environ["REDIS_URL"] = saved_redis

    engine = summary(measured["engine"])
    floor = summary(measured["floor"])
    ratio = round(engine["p95"] / floor["p95"], 2) if floor["p95"] else float("nan")
    round_medians = {
        "engine_p50_ms": round(median([r["engine_ms"]["median"] for r in measured["rounds"]]), 2),
        "engine_p95_ms": round(median([r["engine_ms"]["p95"] for r in measured["rounds"]]), 2),
        "floor_p50_ms": round(median([r["floor_ms"]["median"] for r in measured["rounds"]]), 2),
        "floor_p95_ms": round(median([r["floor_ms"]["p95"] for r in measured["rounds"]]), 2),
    }
    actions = len(STAGES) * dossier_count
    return {
        "name": "realtime.commit_to_browser",
        "clients": measured["connected"],
        "servers": SERVERS,
        "dossiers": dossier_count,
        "clients_per_dossier": clients_count // dossier_count,
        "actions": actions,
        "pairs": engine["n"],
        "engine_ms": {"median": engine["median"], "p95": engine["p95"], "max": engine["max"]},
        "engine_from_call_start_ms": {
            k: v for k, v in summary(measured["engine_e2e"]).items() if k != "n"
        },
        "floor_ms": {"median": floor["median"], "p95": floor["p95"], "max": floor["max"]},
        "ratio_p95": ratio,
        "ratio_median": round(engine["median"] / floor["median"], 2) if floor["median"] else None,
        "round_medians": round_medians,
        "rounds": measured["rounds"],
        "engine_by_action_ms": measured["by_event"],
        "lost_messages": measured["lost"],
        "goals": GOALS,
        "meets_goals": {
            "p95_ms": engine["p95"] <= GOALS["p95_ms"],
            "ratio": ratio <= GOALS["ratio"],
        },
        "notes": [
            f"{measured['connected']} clients on {dossier_count} dossiers "
            f"({clients_count // dossier_count} each), alternately on {SERVERS} Daphne "
            "processes sharing Redis; each action is heard by its dossier's clients only.",
            "engine: from COMMIT (first on_commit callback of an outer atomic, before the "
            "service's own after-commit work: outbox web deliveries, then the broadcast) to "
            "arrival; engine_from_call_start adds the service's transaction.",
            "floor: bare async_to_sync(group_send) of the same payload from the same thread.",
            f"clients: one asyncio process, timestamp when recv() returns; 10 messages in "
            f"flight per action, idle loop lag p95 {measured['idle_lag_ms']} ms — not the "
            "bottleneck.",
            f"connecting {measured['connected']} clients took "
            f"{measured['connect_seconds']:.1f} s; {measured['unexpected']} unexpected "
            "messages ignored.",
            f"machine: {os.cpu_count()} CPUs shared by this process (clients and actions), "
            f"{SERVERS} Daphne processes, PostgreSQL and Redis; Python "
            f"{platform.python_version()}.",
            f"round_medians: the median over the {len(STAGES)} rounds (lifecycle stages) of "
            "each round's median and p95; engine_ms and floor_ms pool every pair.",
        ],
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    print(json.dumps(run(), ensure_ascii=False, indent=2))
