"""Logins are throttled per user and per address (issue 8, point 5)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from tests.integration.conftest import BHXH

LIMIT = settings.AXES_FAILURE_LIMIT


def token(client, username, password, addr="10.5.0.1"):
    return client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=addr,
    )


def test_token_endpoint_locks_a_user_out_from_any_address(demo):
    api = APIClient()
    for i in range(LIMIT):
        r = token(api, BHXH["desk"], "sai-mat-khau", addr=f"10.5.1.{i}")
        assert r.status_code in (400, 429)
    r = token(api, BHXH["desk"], "motcua-demo-pass", addr="10.5.2.1")
    assert r.status_code == 429
    body = r.json()
    assert body["error"] == "login_locked_out" and "tạm khóa" in body["message"]
    assert int(r["Retry-After"]) == int(settings.AXES_COOLOFF_TIME.total_seconds())
    # another officer is not affected
    assert token(api, BHXH["handler"], "motcua-demo-pass", addr="10.5.2.2").status_code == 200


def test_token_endpoint_locks_an_address_out_whatever_the_username(demo):
    api = APIClient()
    for i in range(LIMIT):
        token(api, f"khong-co-{i}", "x", addr="10.5.3.1")
    assert token(api, BHXH["handler"], "motcua-demo-pass", addr="10.5.3.1").status_code == 429
    assert token(api, BHXH["handler"], "motcua-demo-pass", addr="10.5.3.2").status_code == 200


@pytest.mark.parametrize("path", ["/admin/login/", "/accounts/login/"])
def test_login_pages_lock_out_with_a_vietnamese_page(demo, path):
    client = Client()
    for _ in range(LIMIT):
        client.post(path, {"username": BHXH["manager"], "password": "sai"}, REMOTE_ADDR="10.5.4.1")
    r = client.post(
        path, {"username": BHXH["manager"], "password": "motcua-demo-pass"}, REMOTE_ADDR="10.5.4.1"
    )
    assert r.status_code == 429
    page = r.content.decode()
    assert "Tạm khóa đăng nhập" in page and "15 phút" in page
    assert "sessionid" not in r.cookies
