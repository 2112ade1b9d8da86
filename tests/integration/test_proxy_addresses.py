"""Against a real Daphne: rotating X-Forwarded-For gives no extra PIN guesses,
and behind a trusted proxy each client is limited on its own (issue 8, point 3)."""

from __future__ import annotations

import os
import urllib.error
import urllib.request

import pytest

from tests.support.servers import child_database_url, start_daphne
from workflows.services.tracking import ADDRESS_LIMIT

pytestmark = pytest.mark.django_db(transaction=True)


def _get(server, path, xff):
    request = urllib.request.Request(server.url + path, headers={"X-Forwarded-For": xff})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


@pytest.fixture
def daphne(demo, tmp_path):
    from django.db import connection

    servers = []

    def start(**env):
        server = start_daphne(
            database_url=child_database_url(connection.settings_dict),
            redis_url=os.environ.get("REDIS_URL") or None,
            env={"LOG_LEVEL": "WARNING", **env},
            log_dir=tmp_path,
        )
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def test_rotating_x_forwarded_for_gives_no_extra_guesses(daphne):
    server = daphne()
    statuses = [
        _get(server, f"/api/v1/track/38.14797-261130-9{i:03d}/?pin=123456", f"6.6.{i}.{i}")
        for i in range(ADDRESS_LIMIT[0] + 3)
    ]
    assert statuses[: ADDRESS_LIMIT[0]] == [404] * ADDRESS_LIMIT[0]
    assert set(statuses[ADDRESS_LIMIT[0] :]) == {429}


def test_behind_a_trusted_proxy_each_client_counts_alone(daphne):
    server = daphne(TRUSTED_PROXIES="127.0.0.1")
    for i in range(ADDRESS_LIMIT[0]):
        path = f"/api/v1/track/38.14797-261130-8{i:03d}/?pin=123456"
        # the left-most value is the client's own claim; the right-most is what our proxy saw
        assert _get(server, path, f"9.9.9.{i}, 198.51.100.1") == 404
    assert _get(server, "/api/v1/track/38.14797-261130-7000/?pin=1", "198.51.100.1") == 429
    assert _get(server, "/api/v1/track/38.14797-261130-7000/?pin=1", "198.51.100.2") == 404
