"""Safe defaults for the main command (issue 8, point 10)."""

from __future__ import annotations

import io
import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, override_settings
from django.urls import path

BASE = Path(__file__).resolve().parents[2]


def _settings_value(name: str, **env) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    environment.update(env)
    out = subprocess.run(
        [sys.executable, "-c", f"import config.settings as s; print(s.{name})"],
        cwd=BASE,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_debug_is_off_unless_asked_for():
    assert _settings_value("DEBUG") == "False"
    assert _settings_value("DEBUG", DEBUG="true") == "True"


def _boom(request):
    raise RuntimeError("secret detail REDIS_URL=redis://example")


def _refuse(request):
    raise PermissionDenied


urlpatterns = [path("boom/", _boom), path("refuse/", _refuse)]


@override_settings(ROOT_URLCONF=__name__)
def test_error_pages_are_vietnamese_and_leak_nothing(db):
    client = Client(raise_request_exception=False)
    r = client.get("/boom/")
    assert r.status_code == 500
    page = r.content.decode()
    assert "Hệ thống đang gặp sự cố" in page
    assert "REDIS_URL" not in page and "Traceback" not in page and "secret" not in page
    r = client.get("/refuse/")
    assert r.status_code == 403 and "Không có quyền truy cập" in r.content.decode()
    r = client.get("/khong-co-trang-nay/")
    assert r.status_code == 404 and "Không tìm thấy trang" in r.content.decode()


def test_a_refusal_is_one_line_without_traceback():
    root = logging.getLogger()
    [ours] = [
        h
        for h in root.handlers
        if any(f.__class__.__name__ == "RefusalsWithoutTraceback" for f in h.filters)
    ]
    assert not logging.getLogger("django").handlers  # no second copy of every line
    stream = io.StringIO()
    old = ours.setStream(stream)
    try:
        try:
            raise PermissionDenied("x")
        except PermissionDenied:
            logging.getLogger("django.request").warning(
                "Forbidden (Permission denied): /x", exc_info=True, extra={"status_code": 403}
            )
            logging.getLogger("django.request").error(
                "Internal Server Error: /y", exc_info=True, extra={"status_code": 500}
            )
    finally:
        ours.setStream(old)
    text = stream.getvalue()
    assert text.count("Forbidden") == 1 and text.count("Traceback") == 1  # only the 500's


def test_api_docs_load_nothing_from_outside(db):
    page = Client().get("/api/docs/").content.decode()
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', page)
    assert external == []
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert any("swagger-ui" in a for a in assets)
    from django.contrib.staticfiles import finders

    for asset in assets:  # served by the product's static files handler
        assert finders.find(asset.removeprefix("/static/").split("?")[0]), asset


@pytest.mark.django_db(transaction=True)
def test_sigterm_stops_serve_and_its_sweep_quickly(tmp_path):
    from tests.support.servers import free_port

    env = dict(os.environ, MOTCUA_VAR_DIR=str(tmp_path))
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE, env=env, check=True)
    port = free_port()
    serve = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port), "--sweep-every", "30"],
        cwd=BASE,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import urllib.request

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(1)  # the sweep is now waiting for its next round
        serve.send_signal(signal.SIGTERM)
        # A sweep asleep between rounds used to hold the stop for up to --sweep-every.
        assert serve.wait(timeout=5) in (0, -signal.SIGTERM)
    finally:
        if serve.poll() is None:
            serve.kill()
