"""Issue 9, point 6: the citizen sees why — the refusal's reason, the new
appointment and its reason after an extension, what a supplement asks for,
and the rating already given (API, socket snapshot and page)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.conftest import BHXH, ICT

pytestmark = pytest.mark.django_db


def act(client, code, action, body=None):
    r = client.post(f"/api/v1/dossiers/{code}/{action}/", body or {}, format="json")
    assert r.status_code == 200, r.json()
    return r.json()


def track(api, received):
    r = api(None).get(f"/api/v1/track/{received['code']}/?pin={received['tracking_pin']}")
    assert r.status_code == 200, r.json()
    return r.json()


def test_a_fresh_dossier_has_no_reasons(received, api):
    t = track(api, received)
    assert t["refusal"] is None and t["extension"] is None and t["withdrawal"] is None
    assert t["supplement"] is None and t["rating"] is None


def test_refusal_reason_is_shown(received, clock, api):
    act(api(BHXH["handler"]), received["code"], "claim")
    act(api(BHXH["handler"]), received["code"], "refuse", {"reason": "Không đủ điều kiện hưởng"})
    t = track(api, received)
    assert t["status"] == "refused"
    assert t["refusal"] == {"reason": "Không đủ điều kiện hưởng", "at": "2026-11-30T08:00:00+07:00"}


def test_extension_shows_new_appointment_and_reason(received, clock, api):
    clock.set(dt.datetime(2026, 12, 7, 8, 0, tzinfo=ICT))
    act(
        api(BHXH["leader"]),
        received["code"],
        "extend",
        {"reason": "Chờ xác minh thông tin", "new_due_at": "2026-12-15T17:30:00+07:00"},
    )
    x = track(api, received)["extension"]
    assert x["reason"] == "Chờ xác minh thông tin"
    assert x["new_due_at"] == "2026-12-15T17:30:00+07:00"
    assert x["previous_due_at"] == "2026-12-09T08:00:00+07:00"


def test_supplement_shows_items_reason_and_deadline(received, clock, api):
    act(api(BHXH["handler"]), received["code"], "claim")
    act(
        api(BHXH["handler"]),
        received["code"],
        "request-supplement",
        {"reason": "Giấy ra viện bị mờ", "items": ["Giấy ra viện (bản rõ)"]},
    )
    s = track(api, received)["supplement"]
    assert s["items"] == ["Giấy ra viện (bản rõ)"]
    assert s["reason"] == "Giấy ra viện bị mờ"
    assert s["requested_at"] == "2026-11-30T08:00:00+07:00" and s["deadline"]


def test_rating_given_is_shown(received, clock, api):
    code = received["code"]
    for who in ("handler", "leader"):
        act(api(BHXH[who]), code, "claim")
        act(api(BHXH[who]), code, "advance")
    act(api(BHXH["desk"]), code, "return", {"method": "counter"})
    r = api(None).post(
        f"/api/v1/track/{code}/rating/?pin={received['tracking_pin']}",
        {"score": "satisfied", "comment": "Cán bộ nhiệt tình"},
        format="json",
    )
    assert r.status_code == 201
    t = track(api, received)
    assert t["rating"]["score_label"] == "Hài lòng"
    assert t["rating"]["comment"] == "Cán bộ nhiệt tình"
    assert t["can_rate"] is False


def test_the_page_renders_the_reasons_text_safely(received, client):
    page = client.get("/track/").content.decode()
    for element in (
        'id="refusal"',
        'id="extension"',
        'id="rating-given"',
        'id="supplement-reason"',
    ):
        assert element in page
    assert "innerHTML = d." not in page  # reasons go through textContent
