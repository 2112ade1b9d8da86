"""What the Django benchmarks share: a throwaway PostgreSQL database and a
Django set up on it, with progress on stderr (stdout is only the JSON).

A benchmark never touches real data: it creates ``motcua_bench_<random>`` on
the server of ``DATABASE_URL`` (or, when that is not a PostgreSQL URL, on
``postgres://postgres@127.0.0.1:5432/test``), migrates and seeds it, and drops
it at the end, whatever happens in between.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import statistics
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/test"
POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql"}
DJANGO_DEFAULTS = {
    "DEBUG": "0",
    "LOG_LEVEL": "WARNING",
    "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def server_url() -> str:
    """The PostgreSQL server to use: ``DATABASE_URL`` if it is one, else the local default."""
    url = os.environ.get("DATABASE_URL", "")
    return url if urlsplit(url).scheme in POSTGRES_SCHEMES else DEFAULT_SERVER


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` (same server, user and options)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def libpq_url(url: str) -> str:
    """libpq knows ``postgres://`` and ``postgresql://``; dj-database-url also ``pgsql://``."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql", *parts[1:])) if parts.scheme == "pgsql" else url


@contextlib.contextmanager
def throwaway_postgres(prefix: str = "motcua_bench") -> Iterator[str]:
    """Create an empty database, yield its URL, drop it at the end."""
    server = server_url()
    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(libpq_url(server), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    log(f"created database {name}")
    try:
        yield with_database(server, name)
    finally:
        with psycopg.connect(libpq_url(server), autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        log(f"dropped database {name}")


@contextlib.contextmanager
def django_on(url: str) -> Iterator[None]:
    """Set Django up on ``url`` (before anything reads the settings).

    Defaults, each overridden by the environment: ``DEBUG`` off, as in
    production, so that Django does not keep every query it runs; the log at
    ``WARNING`` (the console SMS gateway logs every message at INFO); e-mail to
    the dummy backend (the console one writes to stdout, which is the JSON's).
    The environment is restored and the connections closed at the end.
    """
    from django.conf import settings

    if settings.configured:
        raise RuntimeError(
            "Django is already set up in this process; the benchmark must set it up "
            "itself on its throwaway database (run it in a fresh process)."
        )
    saved = {key: os.environ.get(key) for key in ("DATABASE_URL", *DJANGO_DEFAULTS)}
    os.environ["DATABASE_URL"] = url
    for key, value in DJANGO_DEFAULTS.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    try:
        import django

        django.setup()
        yield
    finally:
        from django.db import connections

        connections.close_all()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
