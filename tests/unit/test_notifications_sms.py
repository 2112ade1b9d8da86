"""The HTTP SMS gateway against a real (local) HTTP server."""

from __future__ import annotations

import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from notifications.sms import (
    ConsoleSMSGateway,
    HttpSMSGateway,
    SMSError,
    SMSUnavailable,
    get_sms_gateway,
)

CODE = "38.14797-261125-0001"


class Gateway:
    """A tiny SMS gateway: records each request, answers with ``status``."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200
        self.delay = 0.0
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                gateway.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "raw": raw,
                        "json": json.loads(raw.decode("utf-8")),
                    }
                )
                if gateway.delay:
                    threading.Event().wait(gateway.delay)
                body = json.dumps(
                    {"ok": gateway.status < 400, "error": "số không hợp lệ"}, ensure_ascii=False
                ).encode("utf-8")
                try:
                    self.send_response(gateway.status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms/send"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway():
    g = Gateway()
    yield g
    g.close()


def test_posts_utf8_json_with_bearer_token(gateway):
    HttpSMSGateway(gateway.url, "s3cret", timeout=5).send(
        "0912345678", f"Hồ sơ {CODE} đã có kết quả."
    )
    [request] = gateway.requests
    assert request["path"] == "/sms/send"
    assert request["headers"]["Authorization"] == "Bearer s3cret"
    assert request["headers"]["Content-Type"].startswith("application/json")
    assert request["json"] == {"to": "0912345678", "text": f"Hồ sơ {CODE} đã có kết quả."}
    # UTF-8 on the wire, not \u escapes and not mojibake
    assert "Hồ sơ".encode() in request["raw"]


def test_no_token_no_authorization_header(gateway):
    HttpSMSGateway(gateway.url).send("0912345678", "x")
    assert "Authorization" not in gateway.requests[0]["headers"]


@pytest.mark.parametrize("status", [400, 401, 500, 503])
def test_error_status_raises_with_the_status(gateway, status):
    gateway.status = status
    with pytest.raises(SMSError) as e:
        HttpSMSGateway(gateway.url, "t").send("0912345678", "x")
    assert f"HTTP {status}" in str(e.value)
    assert "số không hợp lệ" in str(e.value)  # the gateway's reason, decoded
    assert not isinstance(e.value, SMSUnavailable)  # a refusal, not an outage


def test_unreachable_gateway_is_unavailable():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SMSUnavailable):
        HttpSMSGateway(f"http://127.0.0.1:{port}/sms", timeout=2).send("0912345678", "x")


def test_slow_gateway_times_out_as_unavailable(gateway):
    gateway.delay = 1.0
    with pytest.raises(SMSUnavailable):
        HttpSMSGateway(gateway.url, timeout=0.2).send("0912345678", "x")


def test_rejects_non_http_url():
    with pytest.raises(ValueError):
        HttpSMSGateway("file:///etc/passwd")


def test_selection_follows_settings(settings):
    settings.SMS_GATEWAY_URL = ""
    assert isinstance(get_sms_gateway(), ConsoleSMSGateway)
    settings.SMS_GATEWAY_URL = "https://sms.example.vn/send"
    settings.SMS_GATEWAY_TOKEN = "tok"
    settings.SMS_GATEWAY_TIMEOUT = 3
    chosen = get_sms_gateway()
    assert isinstance(chosen, HttpSMSGateway)
    assert (chosen.url, chosen.token, chosen.timeout) == ("https://sms.example.vn/send", "tok", 3)


def test_console_gateway_logs_the_message(caplog):
    with caplog.at_level(logging.INFO, logger="notifications.sms"):
        ConsoleSMSGateway().send("0912345678", f"Hồ sơ {CODE} đã có kết quả.")
    assert f"0912345678: Hồ sơ {CODE} đã có kết quả." in caplog.text
