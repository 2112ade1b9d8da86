from __future__ import annotations

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api():
    return APIClient()


def test_token_then_authenticated_request(demo, api):
    r = api.post(
        "/api/v1/auth/token/",
        {"username": "hacthanh.motcua", "password": "motcua-demo-pass"},
        format="json",
    )
    assert r.status_code == 200
    token = r.json()["token"]
    assert len(token) == 40
    bad = api.post(
        "/api/v1/auth/token/", {"username": "hacthanh.motcua", "password": "sai"}, format="json"
    )
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_credentials"
    missing = api.post("/api/v1/auth/token/", {}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()["fields"]) == {"username", "password"}


def test_centres_by_province(demo, api):
    r = api.get("/api/v1/centres/?province=38")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 3
    first = body["results"][0]
    assert set(first) >= {"code", "name", "commune", "province", "identifier"}
    assert first["province"] == {"code": "38", "name": "Thanh Hóa"}
    assert api.get("/api/v1/centres/?province=01").json()["count"] == 0
    bad = api.get("/api/v1/centres/?province=abc")
    assert bad.status_code == 404 and bad.json()["error"] == "unknown_province"


def test_centre_detail_and_unknown(demo, api):
    r = api.get("/api/v1/centres/14797/")
    assert r.status_code == 200 and r.json()["saturday_reception"] is True
    assert api.get("/api/v1/centres/38.14797/").status_code == 200
    missing = api.get("/api/v1/centres/00000/")
    assert missing.status_code == 404
    assert missing.json()["error"] == "unknown_centre"
    assert "00000" in missing.json()["message"]


def test_procedures_list_and_detail(demo, api):
    r = api.get("/api/v1/procedures/")
    assert r.status_code == 200
    assert r.json()["count"] >= 11
    detail = api.get("/api/v1/procedures/1.001667/")
    assert detail.status_code == 200
    body = detail.json()
    current = body["current_version"]
    assert current["steps"] and current["documents"]
    assert current["time_limit"].startswith("P")
    unknown = api.get("/api/v1/procedures/9.999999/")
    assert unknown.status_code == 404
    assert unknown.json() == {
        "error": "unknown_procedure",
        "message": "Không có thủ tục mã 9.999999.",
    }
    bad_date = api.get("/api/v1/procedures/1.001667/?on=hôm-nay")
    assert bad_date.status_code == 400
    assert bad_date.json()["fields"]["on"][0]["code"] == "invalid_date"


def test_schema_and_docs(db, api):
    schema = api.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/procedures/{code}/" in paths and "/api/v1/centres/" in paths
    assert api.get("/api/docs/").status_code == 200


def test_admin_speaks_vietnamese(demo):
    from django.test import Client

    client = Client()
    client.login(username="admin", password="motcua-demo-pass")
    r = client.get("/admin/")
    assert r.status_code == 200
    text = r.content.decode()
    assert "Thủ tục hành chính" in text or "thủ tục hành chính" in text
    assert "Trung tâm phục vụ hành chính công" in text
    login = Client().get("/admin/login/")
    assert "Tên đăng nhập" in login.content.decode()
