"""Redis down (issue 8, point 7): a real Daphne whose REDIS_URL points at a
closed port still serves tracking by code and PIN (the limiter lives in the
database), by token, and refuses wrong PINs the same way; /healthz says what
is down."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.support.servers import child_database_url, free_port, start_daphne

pytestmark = pytest.mark.django_db(transaction=True)


def _get(server, path):
    try:
        with urllib.request.urlopen(server.url + path, timeout=15) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


@pytest.fixture
def dead_redis_server(received, tmp_path):
    from django.db import connection

    server = start_daphne(
        database_url=child_database_url(connection.settings_dict),
        redis_url=f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        env={"LOG_LEVEL": "WARNING"},
        log_dir=tmp_path,
        degraded_ok=True,
    )
    yield server
    server.stop()


def test_tracking_survives_a_redis_outage(received, dead_redis_server):
    server = dead_redis_server
    code, pin = received["code"], received["tracking_pin"]
    status, health = _get(server, "/healthz")
    assert status == 503 and health["database"] == "ok" and health["channel_layer"] != "ok"

    status, body = _get(server, f"/api/v1/track/{code}/?pin={pin}")
    assert status == 200, (body, server.logs())
    assert body["code"] == code

    token = received["tracking_url"].rsplit("t=", 1)[1]
    status, body = _get(server, f"/api/v1/track/{code}/?t={token}")
    assert status == 200, body

    wrong = f"{(int(pin) + 1) % 1_000_000:06d}"
    wrong_status, wrong_body = _get(server, f"/api/v1/track/{code}/?pin={wrong}")
    unknown_status, unknown_body = _get(server, f"/api/v1/track/{code[:-4]}9999/?pin={pin}")
    assert wrong_status == unknown_status == 404
    assert wrong_body == unknown_body
    assert "Traceback" not in server.logs()
