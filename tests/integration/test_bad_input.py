"""Issue 8 point 6: bad input is a 400 (or 404) in the API's JSON error format, never a 500."""

from __future__ import annotations

import unicodedata

import pytest
from django.test import Client

from tests.integration.conftest import BHXH, receipt_body

pytestmark = pytest.mark.django_db


def _json_error(r, *statuses):
    assert r.status_code in statuses, (r.status_code, r.content[:300])
    assert r["Content-Type"].startswith("application/json"), r["Content-Type"]
    body = r.json()
    assert body["error"] and body["message"], body
    return body


NUL_PATHS = [
    "/api/v1/dossiers/?q=%00",
    "/api/v1/dossiers/a%00b/",
    "/api/v1/procedures/a%00b/",
    "/api/v1/centres/a%00b/",
    "/api/v1/track/a%00b/?pin=1",
    "/api/v1/deadlines/preview/?centre=%00",
    "/api/v1/calendar/overrides/?centre=%00",
    "/api/v1/procedures/?q=ab%00",
    "/api/v1/dossiers/a%00b/advance/",
]


@pytest.mark.parametrize("path", NUL_PATHS)
def test_nul_byte_in_query_or_path_is_a_json_400(demo, api, path):
    client = api(BHXH["manager"])
    r = client.post(path, {}, format="json") if path.endswith("advance/") else client.get(path)
    body = _json_error(r, 400)
    assert body["error"] == "nul_byte"


def test_nul_byte_in_json_body_is_a_json_400(received, api):
    r = api(BHXH["desk"]).post(
        "/api/v1/dossiers/",
        receipt_body(applicant={**receipt_body()["applicant"], "full_name": "A\x00B"}),
        format="json",
    )
    assert _json_error(r, 400)["error"] == "nul_byte"


POSTS = [
    "/api/v1/auth/token/",
    "/api/v1/dossiers/",
    "/api/v1/dossiers/{code}/accept/",
    "/api/v1/dossiers/{code}/advance/",
    "/api/v1/dossiers/{code}/extend/",
    "/api/v1/dossiers/{code}/reissue-pin/",
    "/api/v1/track/{code}/rating/?pin={pin}",
    "/api/v1/calendar/overrides/",
    "/api/v1/notifications/read-all/",
]


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize("who", [None, BHXH["desk"]])
def test_deeply_nested_json_is_a_json_400(received, api, path, who):
    client = Client() if who is None else api(who)
    r = client.post(
        path.format(code=received["code"], pin=received["tracking_pin"]),
        "[" * 50_000,
        content_type="application/json",
    )
    body = _json_error(r, 400, 401, 403)
    if r.status_code == 400:
        assert body["error"] in ("parse_error", "too_deep")


def test_extend_far_future_is_a_400(received, api):
    r = api(BHXH["desk"]).post(
        f"/api/v1/dossiers/{received['code']}/extend/",
        {"new_due_at": "9999-12-31T23:59:59-12:00", "reason": "Cần xác minh thêm"},
        format="json",
    )
    _json_error(r, 400)


def test_preview_year_one_is_a_400(demo, api):
    r = api(BHXH["desk"]).get(
        "/api/v1/deadlines/preview/",
        {"procedure": "1.001667", "centre": "14797", "start": "0001-01-01T00:00:00+07:00"},
    )
    _json_error(r, 400)


def test_override_year_out_of_range_is_a_400(demo, api):
    r = api(BHXH["manager"]).get("/api/v1/calendar/overrides/", {"year": "33672836"})
    _json_error(r, 400)


@pytest.mark.parametrize("value", ["³", "١٢", "38x"])
def test_province_filter_with_odd_digits_is_a_400(demo, api, value):
    r = Client().get("/api/v1/centres/", {"province": value})
    _json_error(r, 400, 404)


@pytest.mark.parametrize("action", ["advance", "accept", "extend", "request-supplement"])
def test_empty_multipart_on_an_action_is_a_json_400(received, api, action):
    client = api(BHXH["desk"])
    r = client.generic(
        "POST",
        f"/api/v1/dossiers/{received['code']}/{action}/",
        b"",
        content_type="multipart/form-data; boundary=xyz",
    )
    _json_error(r, 400, 409, 415)


def test_five_megabyte_body_is_a_json_400_or_413(received, api):
    client = api(BHXH["desk"])
    big = '{"reason": "' + "a" * (5 * 1024 * 1024) + '"}'
    r = client.post(
        f"/api/v1/dossiers/{received['code']}/advance/", big, content_type="application/json"
    )
    _json_error(r, 400, 413)


def test_five_megabyte_multipart_is_json_too(received, api):
    client = api(BHXH["desk"])
    boundary = "xyz"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="reason"\r\n\r\n'
        + "a" * (5 * 1024 * 1024)
        + f"\r\n--{boundary}--\r\n"
    ).encode()
    r = client.generic(
        "POST",
        f"/api/v1/dossiers/{received['code']}/advance/",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    _json_error(r, 400, 413, 415)


def test_nfd_name_is_stored_nfc_and_found_by_nfc_search(demo, clock, api):
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Hồng Nhung")
    assert nfd != unicodedata.normalize("NFC", nfd)
    client = api(BHXH["desk"])
    r = client.post(
        "/api/v1/dossiers/",
        receipt_body(applicant={**receipt_body()["applicant"], "full_name": nfd}),
        format="json",
    )
    assert r.status_code == 201, r.json()
    from workflows.models import Dossier

    stored = Dossier.objects.get(code=r.json()["code"]).applicant_name
    assert stored == unicodedata.normalize("NFC", nfd)
    found = client.get("/api/v1/dossiers/", {"q": "Hồng Nhung"}).json()
    assert r.json()["code"] in [d["code"] for d in found["results"]]
    # …and an NFD query finds the NFC record too.
    found = client.get("/api/v1/dossiers/", {"q": unicodedata.normalize("NFD", "Hồng")}).json()
    assert r.json()["code"] in [d["code"] for d in found["results"]]


@pytest.mark.parametrize("token", ["£", "ễ" * 30, "\u2603"])
def test_non_ascii_tracking_token_is_refused_not_a_500(received, token):
    r = Client().get(f"/api/v1/track/{received['code']}/", {"t": token})
    _json_error(r, 404)
    r = Client().post(
        f"/api/v1/track/{received['code']}/rating/?t={token}",
        {"score": "satisfied"},
        content_type="application/json",
    )
    _json_error(r, 404)
