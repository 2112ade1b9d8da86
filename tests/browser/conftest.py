"""A live Daphne server on the test database, and Chromium driven by Playwright.

The server is a separate process (``tests.support.servers``) on the same
database as the test, so what the test seeds must be committed: the tests are
``django_db(transaction=True)``. The server reads the real wall clock, not the
test's injected one.

Playwright's sync API marks an asyncio loop as running in this thread while
it is active, and Django then refuses ORM calls: everything that needs the
ORM (seeding the demo data, passwords) happens in fixtures set up *before*
``page``, and ``page`` is torn down before the database is flushed. During a
test the server is driven over HTTP only.

On failure: a screenshot in ``test-results/browser/`` (git-ignored), the
page's console and the server's output in the test's report.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM
from tests.integration.conftest import BHXH
from tests.support.servers import child_database_url, set_server_password, start_daphne

PASSWORD = "motcua-demo-pass"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results" / "browser"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _failed(request) -> bool:
    report = getattr(request.node, "rep_call", None)
    return report is None or report.failed


@pytest.fixture
def demo_live(transactional_db):
    """The demo data, committed; the BHXH officers can log in to the server."""
    from procedures.services import demo_seed

    demo_seed(password=PASSWORD)
    set_server_password(list(BHXH.values()), PASSWORD)
    return BHXH


@pytest.fixture
def server(demo_live, request, tmp_path):
    """Daphne serving the app on the test database (and Redis if REDIS_URL is set)."""
    from django.db import connection

    srv = start_daphne(
        database_url=child_database_url(connection.settings_dict),
        redis_url=os.environ.get("REDIS_URL") or None,
        log_dir=tmp_path,
    )
    yield srv
    srv.stop()
    if _failed(request):
        print(f"--- Daphne :{srv.port} output ---\n{srv.logs()}")


@pytest.fixture
def tokens(server):
    """API tokens of the BHXH officers, from the server's ``/api/v1/auth/token/``."""
    return {role: server.token(username, PASSWORD) for role, username in BHXH.items()}


@pytest.fixture
def page(server, request):
    """A Chromium page (Vietnamese locale, Vietnam time)."""
    from playwright.sync_api import sync_playwright

    console: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
            pg = context.new_page()
            pg.set_default_timeout(10_000)
            pg.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            pg.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            yield pg
            if _failed(request):
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                shot = ARTIFACTS / f"{request.node.name}.png"
                pg.screenshot(path=str(shot), full_page=True)
                print(f"screenshot: {shot}\n--- console ---\n" + "\n".join(console))
        finally:
            browser.close()
