"""Against a real Daphne (``python -m config.server``, as ``manage.py serve``
runs it): what Twisted used to drop or answer bare is a JSON 400 (issue 8, point 6)."""

from __future__ import annotations

import json
import os
import socket

import pytest

from tests.support.servers import child_database_url, set_server_password, start_daphne

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server(demo, tmp_path):
    from django.db import connection

    set_server_password(["hacthanh.bhxh.motcua"], "motcua-demo-pass")
    s = start_daphne(
        database_url=child_database_url(connection.settings_dict),
        redis_url=os.environ.get("REDIS_URL") or None,
        env={"LOG_LEVEL": "WARNING"},
        log_dir=tmp_path,
    )
    yield s
    s.stop()


def _raw(server, request: bytes) -> tuple[int, dict, bytes]:
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    return status, headers, body


def _get(path: str) -> bytes:
    return f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()


def test_a_200_kb_query_string_is_a_json_400(server):
    status, headers, body = _raw(server, _get("/api/v1/dossiers/?q=" + "a" * 200_000))
    assert status == 400
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body)["error"] == "request_too_long"


def test_a_query_under_twisted_limit_but_over_8_kb_is_refused_by_django_as_json(server):
    status, _headers, body = _raw(server, _get("/api/v1/procedures/?q=" + "a" * 10_000))
    assert status == 400
    assert json.loads(body)["error"] in ("query_too_long", "request_too_long")


def test_nul_in_path_and_query_over_the_wire(server):
    for path in ("/api/v1/centres/a%00b/", "/api/v1/track/a%00b/?pin=1", "/api/v1/centres/?x=%00"):
        status, _headers, body = _raw(server, _get(path))
        assert status == 400, (path, body)
        assert json.loads(body)["error"] == "nul_byte"


def test_a_five_megabyte_body_is_a_json_400(server):
    token = server.token("hacthanh.bhxh.motcua", "motcua-demo-pass")
    body = b'{"reason": "' + b"a" * (5 * 1024 * 1024) + b'"}'
    request = (
        b"POST /api/v1/dossiers/38.14797-261130-0001/advance/ HTTP/1.0\r\n"
        b"Host: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
        + f"Authorization: Token {token}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    status, _headers, raw = _raw(server, request)
    assert status == 400
    assert json.loads(raw)["error"] == "request_too_large"


def test_deep_json_to_an_anonymous_endpoint_over_the_wire(server):
    body = b"[" * 50_000
    request = (
        b"POST /api/v1/auth/token/ HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        + f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    status, _headers, raw = _raw(server, request)
    assert status == 400
    assert json.loads(raw)["error"] == "too_deep"
