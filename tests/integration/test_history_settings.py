"""Production must set the history keys; ``make run`` must not need them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from workflows.checks import history_secrets_check

ROOT = Path(__file__).resolve().parents[2]


def ids() -> list[str]:
    return [m.id for m in history_secrets_check()]


@pytest.fixture
def real_database(settings, monkeypatch):
    monkeypatch.delenv("MOTCUA_DEV", raising=False)
    settings.EMBEDDED = False
    settings.DEBUG = False
    settings.HISTORY_KEY = ""
    settings.HISTORY_SIGNING_KEY = ""


def test_the_embedded_default_needs_no_keys(settings, monkeypatch):
    monkeypatch.delenv("MOTCUA_DEV", raising=False)
    settings.EMBEDDED, settings.DEBUG = True, False
    settings.HISTORY_KEY = settings.HISTORY_SIGNING_KEY = ""
    assert ids() == []


def test_a_real_database_without_keys_is_warned(real_database, settings, monkeypatch):
    assert ids() == ["motcua.W001", "motcua.W002"]
    settings.HISTORY_KEY = "ab" * 32
    assert ids() == ["motcua.W002"]
    settings.HISTORY_SIGNING_KEY = "cd" * 32
    assert ids() == []
    settings.HISTORY_KEY = settings.HISTORY_SIGNING_KEY = ""
    monkeypatch.setenv("MOTCUA_DEV", "1")
    assert ids() == []


def test_production_settings_without_keys_is_an_error(real_database, settings):
    settings.MOTCUA_PRODUCTION = True
    assert ids() == ["motcua.E001", "motcua.E002"]


def test_an_unreadable_key_is_an_error_everywhere(settings):
    settings.EMBEDDED = True
    settings.HISTORY_KEY = "too short"
    settings.HISTORY_SIGNING_KEY = "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----"
    assert ids() == ["motcua.E003", "motcua.E004"]


def test_production_check_names_the_history_keys():
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("HISTORY_") and k not in {"MOTCUA_DEV", "DEBUG"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings_production",
        SECRET_KEY="k" * 50,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/test",
        REDIS_URL="redis://127.0.0.1:6379/0",
        ALLOWED_HOSTS="motcua.example.vn",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "motcua.E001" in result.stderr and "HISTORY_KEY chưa đặt" in result.stderr
    assert "motcua.E002" in result.stderr
