"""Test-wide wiring.

Tests marked ``postgres``, ``redis`` or ``browser`` need a real PostgreSQL
(``DATABASE_URL``), Redis (``REDIS_URL``) or Debian's Chromium. Without them
they are skipped with the reason; with ``MOTCUA_REQUIRE_SERVICES=1`` (set by
``.ci/run``) a missing service fails the test instead, so CI can never pass by
skipping.
"""

from __future__ import annotations

import os
import shutil
from unittest import mock

import pytest

REQUIRE = os.environ.get("MOTCUA_REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


def _missing(marker: str) -> str | None:
    if marker == "postgres":
        from django.conf import settings

        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            return "needs PostgreSQL: set DATABASE_URL=postgres://…"
    elif marker == "redis":
        if not os.environ.get("REDIS_URL"):
            return "needs Redis: set REDIS_URL=redis://…"
    elif marker == "browser" and not os.path.exists(CHROMIUM):
        return "needs Debian's Chromium (apt-get install chromium) or CHROMIUM_PATH"
    elif marker == "vietnamese_fonts" and not _vietnamese_serif():
        return (
            "needs a Liberation Serif with Vietnamese letters (apt-get install fonts-liberation2)"
        )
    return None


def _vietnamese_serif() -> bool:
    import subprocess

    try:
        out = subprocess.run(
            ["fc-list", ":lang=vi", "family"], capture_output=True, text=True, timeout=20
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return any(line.strip() == "Liberation Serif" for line in out.splitlines())


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in ("postgres", "redis", "browser", "vietnamese_fonts"):
        if item.get_closest_marker(marker) is None:
            continue
        reason = _missing(marker)
        if reason is None:
            continue
        if REQUIRE:
            pytest.fail(f"MOTCUA_REQUIRE_SERVICES=1 but this test {reason}", pytrace=False)
        pytest.skip(reason)


_DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """After every test that passed and used the database: each dossier's copy
    of its clock (``Dossier.mirror_clock``, which the inbox reads) matches its
    clock and status as they are now, whatever path the test wrote them by;
    and the per-day counts match the dossiers."""
    result = yield
    uses_db = item.get_closest_marker("django_db") is not None or bool(
        _DB_FIXTURES & set(getattr(item, "fixturenames", ()))
    )
    if uses_db:
        # a Playwright test's own event loop runs in this thread; the check is plain sync code
        with mock.patch.dict(os.environ, {"DJANGO_ALLOW_ASYNC_UNSAFE": "true"}):
            _check_clock_mirrors()
            _check_day_counts()
    return result


def _check_day_counts() -> None:
    """The per-day counts the actions kept equal those recomputed from the
    dossiers (``manage.py stats_verify``)."""
    from reports.counters import differences

    wrong = differences()
    assert not wrong, "per-day counts differ from the dossiers:\n" + "\n".join(
        str(w) for w in wrong[:20]
    )


def _check_clock_mirrors() -> None:
    from workflows.models import Dossier

    def copy(dossier):
        return (dossier.clock_due_at, dossier.clock_warn_at, dossier.clock_running)

    wrong = []
    for dossier in Dossier.objects.select_related("clock"):
        stored = copy(dossier)
        dossier.mirror_clock()
        if stored != copy(dossier):
            wrong.append(f"{dossier.code}: stored {stored}, clock says {copy(dossier)}")
    assert not wrong, "dossier clock copies out of date:\n" + "\n".join(wrong)


def pytest_report_header(config: pytest.Config) -> list[str]:
    from django.conf import settings

    return [
        f"motcua: database={settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
        f"channel layer={settings.CHANNEL_LAYERS['default']['BACKEND'].rsplit('.', 1)[-1]}, "
        f"require services={REQUIRE}"
    ]


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """PBKDF2's deliberate slowness is for production, not for tests."""
    from django.conf import settings

    if settings.configured:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _flush_past_the_truncate_trigger():
    """Transactional tests end with Django's flush, a TRUNCATE of every table,
    which PostgreSQL now refuses on the history and the ledger (migration
    workflows 0006). The test database's owner is a superuser: it flushes the
    way an operator resetting a database would, with the triggers off."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with self.connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
        try:
            original(self, sql_list)
        finally:
            with self.connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")

    DatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    DatabaseOperations.execute_sql_flush = original


@pytest.fixture(scope="session")
def _history_secrets_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("history-secrets")


@pytest.fixture(autouse=True)
def _history_files(settings, _history_secrets_dir, tmp_path):
    """The history keys' dev files and the anchors in temporary directories,
    never the checkout's var/ (a test's anchors must not meet another's)."""
    settings.HISTORY_KEY_FILE = _history_secrets_dir / "history_key"
    settings.HISTORY_SIGNING_KEY_FILE = _history_secrets_dir / "history_signing_key"
    settings.HISTORY_ANCHOR_DIR = tmp_path / "anchors"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the 34 provinces and 3,321 communes once per test database."""
    from procedures.services import divisions_load

    with django_db_blocker.unblock():
        divisions_load()
