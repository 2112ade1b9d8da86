"""Issue 9, point 1: sign-in, sign-out, password change, the role's landing
page, and the staff header (centre, name, role, unread count)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.integration.conftest import BHXH

pytestmark = pytest.mark.django_db

PASSWORD = "motcua-demo-pass"


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


@pytest.mark.parametrize(
    ("username", "landing"),
    [
        (None, "/track/"),
        (BHXH["desk"], "/desk/receive/"),
        (BHXH["handler"], "/inbox/"),
        (BHXH["leader"], "/inbox/"),
        (BHXH["manager"], "/dashboard/"),
        ("hacthanh.quantri", "/admin/"),
        ("admin", "/admin/"),
    ],
)
def test_home_sends_each_role_to_its_page(demo, username, landing):
    client = signed_in(username) if username else Client()
    r = client.get("/")
    assert r.status_code == 302 and r["Location"] == landing


def test_login_page_is_vietnamese_and_signs_in(demo):
    client = Client()
    page = client.get("/accounts/login/").content.decode()
    assert "Đăng nhập cho cán bộ" in page and "Tên đăng nhập" in page and "Mật khẩu" in page
    wrong = client.post("/accounts/login/", {"username": BHXH["desk"], "password": "sai"})
    assert wrong.status_code == 200
    assert "mật khẩu chính xác" in wrong.content.decode()
    r = client.post(
        "/accounts/login/", {"username": BHXH["desk"], "password": PASSWORD, "next": "/"}
    )
    assert r.status_code == 302 and r["Location"] == "/"
    assert client.get("/").headers["Location"] == "/desk/receive/"


def test_login_refuses_an_outside_next(demo):
    r = Client().post(
        "/accounts/login/",
        {"username": BHXH["desk"], "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert r.status_code == 302 and not r["Location"].startswith("https://evil")


def test_staff_pages_redirect_to_the_new_login(demo):
    r = Client().get("/notifications/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/?next=")


def test_header_shows_centre_name_role_and_unread(demo):
    page = signed_in(BHXH["handler"]).get("/notifications/").content.decode()
    assert 'class="staff-header"' in page
    assert "Trung tâm Phục vụ hành chính công Phường Hạc Thành" in page
    officer = User.objects.get(username=BHXH["handler"]).officer
    assert officer.full_name in page and "Chuyên viên xử lý" in page
    assert 'id="frame-unread"' in page and "Đăng xuất" in page
    assert "/board/14797/" in page


def test_logout_is_a_post_and_ends_the_session(demo):
    client = signed_in(BHXH["desk"])
    assert client.get("/accounts/logout/").status_code == 405
    r = client.post("/accounts/logout/")
    assert r.status_code == 302 and r["Location"] == "/accounts/login/"
    assert client.get("/notifications/").status_code == 302


def test_password_change(demo):
    client = Client()
    assert client.login(username=BHXH["desk"], password=PASSWORD)
    page = client.get("/accounts/password/").content.decode()
    assert "Đổi mật khẩu" in page and "Mật khẩu cũ" in page
    bad = client.post(
        "/accounts/password/",
        {"old_password": "sai", "new_password1": "Mk-moi-2026!x", "new_password2": "Mk-moi-2026!x"},
    )
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    ok = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Mk-moi-2026!x",
            "new_password2": "Mk-moi-2026!x",
        },
    )
    assert ok.status_code == 302 and ok["Location"] == "/accounts/password/done/"
    assert User.objects.get(username=BHXH["desk"]).check_password("Mk-moi-2026!x")


def test_public_pages_make_no_frame_queries(demo, django_assert_max_num_queries, client):
    with django_assert_max_num_queries(0):
        client.get("/track/")
