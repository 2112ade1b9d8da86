"""Daphne server processes for tests and benchmarks.

``start_daphne(database_url=…, redis_url=…)`` runs ``python -m config.server
config.asgi:application`` on a free port of 127.0.0.1, with the real settings
(``config.settings``), waits until ``/healthz`` answers 200 and returns a
:class:`Server`; ``Server.stop()`` ends it. The child's output goes to a log
file, shown by ``Server.logs()`` when something fails.

A server process shares nothing with the test process but the database (and
Redis, when ``redis_url`` is given): data a test wants it to see must be
committed, hence ``django_db(transaction=True)``. ``child_database_url()``
gives the URL of the database the test process is using (pytest-django's test
database), in a form the child's settings parse with dj-database-url.

Only the standard library here: the helpers run in the test process while
Playwright's sync API is active, when the Django ORM may not be used.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def child_database_url(settings_dict: Mapping[str, Any]) -> str:
    """The URL of the database described by ``settings_dict`` (e.g.
    ``django.db.connection.settings_dict`` once pytest-django has created the
    test database), for a child process's ``DATABASE_URL``."""
    engine = settings_dict["ENGINE"]
    name = str(settings_dict["NAME"])
    if "sqlite3" in engine:
        if name == ":memory:" or name.startswith("file:"):
            raise ValueError("an in-memory SQLite database cannot be shared with another process")
        # The embedded settings' behaviour: writers wait for the lock, and a
        # transaction takes it at BEGIN (the URL's query becomes OPTIONS).
        return f"sqlite:///{Path(name).resolve()}?timeout=30&transaction_mode=IMMEDIATE"
    if "postgresql" in engine:
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or 5432
        return f"postgres://{credentials}{host}:{port}/{quote(name, safe='')}"
    raise ValueError(f"no URL form for database engine {engine}")


@dataclass
class Response:
    status: int
    body: Any

    def json(self) -> Any:
        return self.body


@dataclass
class Server:
    """One Daphne process serving ``config.asgi:application``."""

    port: int
    process: subprocess.Popen
    log_path: Path
    _log_file: Any = field(repr=False, default=None)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def ws_url(self, path: str) -> str:
        return f"ws://{HOST}:{self.port}{path}"

    def logs(self, limit: int = 20_000) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return text[-limit:]

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        timeout: float = 30,
    ) -> Response:
        """An HTTP request to this server; JSON in and out. Never raises on an
        HTTP error status: the status is in the response."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Token {token}"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return Response(status=status, body=parsed)

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw) -> Response:
        return self.request("POST", path, {} if body is None else body, **kw)

    def token(self, username: str, password: str) -> str:
        """A DRF token through ``POST /api/v1/auth/token/``."""
        r = self.post("/api/v1/auth/token/", {"username": username, "password": password})
        if r.status != 200:
            raise AssertionError(f"login of {username} failed: {r.status} {r.body}")
        return r.body["token"]

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM (Daphne closes its connections), SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


def _healthy(url: str, *, degraded_ok: bool = False) -> bool:
    """``/healthz`` answers 200 (or, with ``degraded_ok``, any answer at all:
    a server started against a dead Redis answers 503 and serves the rest)."""
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
            return r.status == 200
    except urllib.error.HTTPError as e:
        return degraded_ok and e.code == 503
    except (OSError, urllib.error.URLError):
        return False


def start_daphne(
    *,
    database_url: str,
    redis_url: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
    log_dir: Path | None = None,
    degraded_ok: bool = False,
) -> Server:
    """Start Daphne on a free port and wait for ``/healthz`` to answer 200.

    ``redis_url=None`` gives the child the in-memory channel layer and local
    cache (it then shares nothing with other processes but the database).
    ``env`` adds or overrides variables (e.g. ``{"LOG_LEVEL": "WARNING"}``).
    On failure to come up the child is stopped and its output is in the error.
    """
    child_env = dict(os.environ)
    child_env.pop("REDIS_URL", None)
    child_env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        PYTHONUNBUFFERED="1",
    )
    if redis_url:
        child_env["REDIS_URL"] = redis_url
    child_env.update(env or {})
    port = free_port()
    log_dir = Path(log_dir or tempfile.gettempdir())
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"motcua-daphne-{port}-{os.getpid()}.log"
    log_file = log_path.open("w")
    command = [
        sys.executable,
        "-m",
        "config.server",
        "-b",
        HOST,
        "-p",
        str(port),
        "config.asgi:application",
    ]
    process = subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=child_env,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    server = Server(port=port, process=process, log_path=log_path, _log_file=log_file)
    deadline = time.monotonic() + timeout
    while True:
        if not server.alive():
            server.stop()
            raise RuntimeError(
                f"Daphne on port {port} exited with {process.returncode} before serving:\n"
                + server.logs()
            )
        if _healthy(server.url, degraded_ok=degraded_ok):
            return server
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(
                f"Daphne on port {port} did not answer /healthz with 200 within "
                f"{timeout:.0f} s:\n" + server.logs()
            )
        time.sleep(0.1)


@contextlib.contextmanager
def daphne_servers(count: int = 1, **kwargs) -> Iterator[list[Server]]:
    """``count`` servers with the same settings, stopped at the end whatever happens."""
    servers: list[Server] = []
    try:
        for _ in range(count):
            servers.append(start_daphne(**kwargs))
        yield servers
    finally:
        for server in servers:
            server.stop()


def set_server_password(usernames: list[str], password: str) -> None:
    """Give these users ``password`` hashed with PBKDF2, which a server process
    checks with the default ``PASSWORD_HASHERS``: the test settings hash with
    MD5 (fast), a hasher the server does not know, so a user created by a test
    could not log in to it. Uses the ORM: call it before Playwright starts."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()
    users = get_user_model().objects.filter(username__in=usernames)
    found = set(users.values_list("username", flat=True))
    if found != set(usernames):
        raise LookupError(f"no such users: {sorted(set(usernames) - found)}")
    for username in usernames:
        encoded = hasher.encode(password, hasher.salt())
        get_user_model().objects.filter(username=username).update(password=encoded)


def report(servers: list[Server]) -> str:
    """The servers' output, for a failing test's message."""
    return "\n".join(
        f"--- Daphne :{s.port} (exit {s.process.returncode}) ---\n{s.logs()}" for s in servers
    )
