from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import AsyncClient

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db(transaction=True)
async def test_healthz_ok():
    r = await AsyncClient().get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"database": "ok", "channel_layer": "ok"}


@pytest.mark.django_db(transaction=True)
async def test_healthz_names_what_is_down(settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    try:
        r = await AsyncClient().get("/healthz")
    finally:
        channel_layers.backends.clear()
    assert r.status_code == 503
    body = r.json()
    assert body["database"] == "ok"
    assert body["channel_layer"].startswith("error")
    assert body["down"] == ["channel_layer"]


def _check_production(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"}
    }
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings_production")
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_refuse_to_start_and_name_the_variable():
    result = _check_production({"DATABASE_URL": "postgres://x@127.0.0.1:5432/test"})
    assert result.returncode != 0
    assert "SECRET_KEY missing" in result.stderr
    assert "DATABASE_URL missing" not in result.stderr
    result = _check_production({"SECRET_KEY": "k" * 50, "REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert result.returncode != 0
    assert "DATABASE_URL missing" in result.stderr


def test_production_settings_start_with_everything_set():
    result = _check_production(
        {
            "SECRET_KEY": "k" * 50,
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "ALLOWED_HOSTS": "motcua.example.vn",
            "HISTORY_KEY": "ab" * 32,
            "HISTORY_SIGNING_KEY": "cd" * 32,
        }
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_createsuperuser_noinput_reads_the_environment(monkeypatch):
    from django.contrib.auth.models import User
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "root")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "root@example.vn")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "mot-mat-khau-dai")
    call_command("createsuperuser", interactive=False, verbosity=0)
    root = User.objects.get(username="root")
    assert root.is_superuser and root.check_password("mot-mat-khau-dai")
