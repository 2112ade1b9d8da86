from __future__ import annotations

import pytest

from procedures.services import demo_seed, divisions_load


@pytest.fixture
def divisions(db):
    """Loaded once per session; reloaded only if a transactional test flushed them."""
    from procedures.models import Commune

    if Commune.objects.count() != 3321:
        divisions_load()


@pytest.fixture
def demo(divisions):
    """The demo directory and catalogue (Thanh Hóa, three centres)."""
    return demo_seed(password="motcua-demo-pass")


# --- dossiers ------------------------------------------------------------------------------

import datetime as dt  # noqa: E402

from django.contrib.auth.models import User  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from config import clock as clock_module  # noqa: E402

ICT = dt.timezone(dt.timedelta(hours=7))


class Clock:
    """The injectable clock, moved by the test: ``clock.set(...)``, ``clock.advance(hours=2)``."""

    def __init__(self, at: dt.datetime) -> None:
        self._token = None
        self.set(at)

    def set(self, at: dt.datetime) -> dt.datetime:
        self.reset()
        self.at = at
        self._token = clock_module._override.set(at)
        return at

    def advance(self, **delta) -> dt.datetime:
        return self.set(self.at + dt.timedelta(**delta))

    def reset(self) -> None:
        if self._token is not None:
            clock_module._override.reset(self._token)
            self._token = None


@pytest.fixture
def clock():
    # Monday 30 November 2026, 08:00 in Vietnam: an ordinary working morning.
    c = Clock(dt.datetime(2026, 11, 30, 8, 0, tzinfo=ICT))
    yield c
    c.reset()


@pytest.fixture
def api():
    """``api("hacthanh.motcua")`` → an APIClient authenticated as that user."""
    clients = {}

    def make(username: str | None = None) -> APIClient:
        if username not in clients:
            client = APIClient()
            if username:
                client.force_authenticate(User.objects.get(username=username))
            clients[username] = client
        return clients[username]

    return make


def receipt_body(**overrides) -> dict:
    body = {
        "procedure": "1.001667",
        "centre": "14797",
        "channel": "in_person",
        "applicant": {
            "full_name": "Nguyễn Viết Anh",
            "id_number": "038090001234",
            "phone": "0912 345 678",
            "email": "anh@example.vn",
            "address": "Phường Hạc Thành, Thanh Hóa",
        },
        "documents": [
            {"name": "Giấy ra viện", "kind": "copy", "quantity": 1},
            {"name": "Giấy chứng nhận nghỉ việc hưởng BHXH", "kind": "original", "quantity": 1},
        ],
    }
    body.update(overrides)
    return body


BHXH = {
    "desk": "hacthanh.bhxh.motcua",
    "handler": "hacthanh.bhxh.chuyenvien",
    "leader": "hacthanh.bhxh.lanhdao",
    "manager": "hacthanh.quanly",
}


@pytest.fixture
def received(demo, clock, api):
    """A complete in-person social-insurance dossier received at Hạc Thành."""
    r = api(BHXH["desk"]).post("/api/v1/dossiers/", receipt_body(), format="json")
    assert r.status_code == 201, r.json()
    return r.json()


@pytest.fixture(autouse=True)
def _fresh_policy_cache():
    """The global escalation policy is cached per process; tests start clean."""
    from workflows.selectors import escalation

    escalation._global = None
    yield
    escalation._global = None
