"""Every path of the dossier lifecycle through the REST API, on the demo data,
with the clock injected (Monday 30 November 2026, 08:00 +07:00 to start)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.conftest import BHXH, ICT, receipt_body
from workflows.models import Dossier, DossierEvent, Handover
from workflows.services.history import history_verify

pytestmark = pytest.mark.django_db


def act(client, code, action, body=None):
    return client.post(f"/api/v1/dossiers/{code}/{action}/", body or {}, format="json")


def get(client, code):
    r = client.get(f"/api/v1/dossiers/{code}/")
    assert r.status_code == 200, r.json()
    return r.json()


# --- receipt ------------------------------------------------------------------------------


def test_receive_in_person_complete(received):
    d = received
    assert d["code"] == "38.14797-261130-0001"
    assert d["status"] == "received" and d["status_label"] == "Đã tiếp nhận"
    assert len(d["tracking_pin"]) == 6 and d["tracking_pin"].isdigit()
    # 1.001667 from 1 July 2025: 7 working days from Mon 30/11 08:00 → Wed 9/12 08:00
    assert d["received_at"] == "2026-11-30T08:00:00+07:00"
    assert d["due_at"] == "2026-12-09T08:00:00+07:00"
    assert d["original_due_at"] == d["due_at"]
    assert d["applicant"]["phone"] == "0912345678"
    assert d["current_task"]["unit"]["name"] == "Bộ phận nghiệp vụ BHXH"
    assert d["current_task"]["assignee"] is None
    assert d["handovers"][0]["from_unit"] == "Bộ phận một cửa BHXH tại trung tâm"
    assert d["clock"][0]["kind"] == "start"
    assert [e["kind"] for e in d["events"]] == ["received"]
    assert d["allowed_actions"] == ["request-supplement", "extend", "refuse", "withdraw"]
    assert "tracking_pin" not in get_detail_as(d["code"], BHXH["desk"])


def get_detail_as(code, username):
    from django.contrib.auth.models import User
    from rest_framework.test import APIClient

    c = APIClient()
    c.force_authenticate(User.objects.get(username=username))
    return c.get(f"/api/v1/dossiers/{code}/").json()


def test_codes_are_sequential_per_centre_and_day(demo, clock, api):
    desk = api(BHXH["desk"])
    codes = [
        desk.post("/api/v1/dossiers/", receipt_body(), format="json").json()["code"]
        for _ in range(3)
    ]
    assert codes == [f"38.14797-261130-000{i}" for i in (1, 2, 3)]
    other = api("samson.bhxh.motcua").post(
        "/api/v1/dossiers/", receipt_body(centre="16531"), format="json"
    )
    assert other.json()["code"] == "38.16531-261130-0001"
    clock.advance(days=1)
    assert desk.post("/api/v1/dossiers/", receipt_body(), format="json").json()["code"] == (
        "38.14797-261201-0001"
    )


def test_happy_path_to_return_with_control_sheet(received, clock, api):
    code = received["code"]
    handler, leader, desk = api(BHXH["handler"]), api(BHXH["leader"]), api(BHXH["desk"])
    assert "claim" in get(handler, code)["allowed_actions"]
    clock.advance(hours=1)
    r = act(handler, code, "claim")
    assert r.status_code == 200
    d = r.json()
    assert d["status"] == "in_progress"
    assert d["current_task"]["assignee"]["username"] == BHXH["handler"]
    assert d["current_task"]["started_at"] == "2026-11-30T09:00:00+07:00"
    assert "advance" in d["allowed_actions"]

    clock.advance(hours=2)
    d = act(handler, code, "advance", {"note": "Đủ điều kiện hưởng"}).json()
    assert d["status"] == "in_progress"
    assert d["current_task"]["unit"]["name"] == "Lãnh đạo BHXH cơ sở"
    assert d["handovers"][0]["verdict"] == "early"
    assert d["handovers"][0]["completed_at"] == "2026-11-30T11:00:00+07:00"

    assert act(handler, code, "advance").status_code in (403, 409)
    clock.advance(hours=3)  # 14:00
    act(leader, code, "claim")
    d = act(leader, code, "advance", {"result": "Quyết định số 123/QĐ-BHXH"}).json()
    assert d["status"] == "result_ready"
    assert d["ended_at"] == "2026-11-30T14:00:00+07:00"
    assert d["timeliness"] == "early"
    assert d["result"] == "Quyết định số 123/QĐ-BHXH"
    assert d["current_task"]["role"] == "return"
    assert d["allowed_actions"] == []  # the leader cannot return; the desk can
    assert get(desk, code)["allowed_actions"] == ["return"]

    clock.advance(days=1)
    d = act(desk, code, "return", {"method": "counter"}).json()
    assert d["status"] == "returned"
    assert d["returned_at"] == "2026-12-01T14:00:00+07:00"
    assert d["current_task"] is None
    sheet = d["handovers"]
    assert [(h["from_unit"], h["to_unit"]) for h in sheet] == [
        ("Bộ phận một cửa BHXH tại trung tâm", "Bộ phận nghiệp vụ BHXH"),
        ("Bộ phận nghiệp vụ BHXH", "Lãnh đạo BHXH cơ sở"),
        ("Lãnh đạo BHXH cơ sở", "Bộ phận một cửa BHXH tại trung tâm"),
    ]
    assert all(h["completed_at"] for h in sheet)
    assert [e["kind"] for e in d["events"]] == [
        "received",
        "claimed",
        "advanced",
        "claimed",
        "advanced",
        "result_ready",
        "returned",
    ]
    assert d["allowed_actions"] == []
    dossier = Dossier.objects.get(code=code)
    assert dossier.process.status == "DONE"
    assert history_verify(dossier) == []


def test_late_step_and_late_dossier(received, clock, api):
    code = received["code"]
    handler, leader = api(BHXH["handler"]), api(BHXH["leader"])
    act(handler, code, "claim")
    clock.set(dt.datetime(2026, 12, 10, 9, 0, tzinfo=ICT))  # after the 7-day appointment
    d = get(handler, code)
    assert d["overdue"] is True
    listed = handler.get("/api/v1/dossiers/?overdue=true").json()
    assert [x["code"] for x in listed["results"]] == [code]
    act(handler, code, "advance")
    act(leader, code, "claim")
    d = act(leader, code, "advance").json()
    assert d["handovers"][0]["verdict"] == "late"
    assert d["timeliness"] == "late"


def test_leader_assigns_and_assignee_advances(received, clock, api):
    code = received["code"]
    leader = api(BHXH["leader"])
    bad = act(leader, code, "assign", {"officer": "hacthanh.bhxh.lanhdao"})
    assert bad.status_code == 400 and bad.json()["fields"]["officer"][0]["code"] == (
        "officer_not_in_unit"
    )
    unknown = act(leader, code, "assign", {"officer": "khong-co"})
    assert unknown.status_code == 400
    d = act(leader, code, "assign", {"officer": BHXH["handler"]}).json()
    assert d["status"] == "in_progress"
    assert d["current_task"]["assignee"]["username"] == BHXH["handler"]
    # someone else cannot claim an assigned step
    taken = act(api("admin"), code, "claim")
    assert taken.status_code == 409 and taken.json()["error"] == "task_already_claimed"
    assert act(api(BHXH["handler"]), code, "advance").status_code == 200
    # a handler cannot assign
    assert act(api(BHXH["handler"]), code, "assign", {"officer": "x"}).status_code == 403


# --- supplements ------------------------------------------------------------------------------


def test_incomplete_receipt_waits_for_supplement_then_starts_the_clock(demo, clock, api):
    desk = api(BHXH["desk"])
    body = receipt_body(complete=False, missing_items=["Giấy ra viện (bản sao)"])
    d = desk.post("/api/v1/dossiers/", body, format="json").json()
    assert d["status"] == "awaiting_supplement"
    assert d["due_at"] is None and d["received_at"] is None and d["clock"] == []
    assert d["supplement_requests"][0]["stage"] == "reception"
    assert d["supplement_requests"][0]["items"] == ["Giấy ra viện (bản sao)"]
    clock.advance(days=2, hours=1)  # Wed 2/12 09:00
    d = act(desk, d["code"], "supplement", {"note": "Đã nộp"}).json()
    assert d["status"] == "received"
    assert d["received_at"] == "2026-12-02T09:00:00+07:00"
    assert d["due_at"] == "2026-12-11T09:00:00+07:00"
    missing = desk.post("/api/v1/dossiers/", receipt_body(complete=False), format="json")
    assert missing.status_code == 400 and "missing_items" in missing.json()["fields"]


def test_supplement_after_appraisal_pauses_and_restarts_from_zero(received, clock, api):
    code = received["code"]
    handler, desk = api(BHXH["handler"]), api(BHXH["desk"])
    act(handler, code, "claim")
    clock.advance(days=1)  # Tue 1/12 08:00
    r = act(
        handler,
        code,
        "request-supplement",
        {"reason": "Thiếu giấy ra viện", "items": ["Giấy ra viện"]},
    )
    assert r.status_code == 200
    d = r.json()
    assert d["status"] == "awaiting_supplement"
    assert d["due_at"] is None  # paused: no due time while waiting for the citizen
    assert d["supplement_requests"][0]["within_three_working_days"] is True
    again = act(handler, code, "request-supplement", {"reason": "x", "items": ["y"]})
    assert again.status_code == 409 and again.json()["error"] == "invalid_transition"
    clock.advance(days=3)  # Fri 4/12 08:00
    d = act(desk, code, "supplement").json()
    assert d["status"] == "in_progress"
    # restarted from zero: 7 working days from Fri 4/12 08:00 → Tue 15/12 08:00
    assert d["due_at"] == "2026-12-15T08:00:00+07:00"
    assert [c["kind"] for c in d["clock"]] == ["start", "pause", "restart"]
    # Both legal views: Decree 118 restarts from zero; Decision 766 subtracts the wait.
    # Used before the pause: Mon 08:00 → Tue 08:00 = 7.5 h + 0.5 h (Tue 07:30–08:00) = 8 h;
    # paused Tue 08:00 → Fri 08:00 = 3 working days.
    wt = d["working_time"]
    assert wt["used_seconds"] == 0 and wt["restarts"] == 1 and wt["pauses"] == 1
    assert wt["paused_seconds"] == 3 * 8 * 3600
    assert wt["elapsed_766_seconds"] == 8 * 3600
    # a second post-appraisal request is refused (Decree 118: only once)
    second = act(handler, code, "request-supplement", {"reason": "x", "items": ["y"]})
    assert second.status_code == 409
    assert second.json()["error"] == "supplement_already_requested"
    assert "request-supplement" not in get(handler, code)["allowed_actions"]


def test_closing_after_fifteen_days_without_supplement(received, clock, api):
    code = received["code"]
    handler, desk = api(BHXH["handler"]), api(BHXH["desk"])
    act(handler, code, "claim")
    act(handler, code, "request-supplement", {"reason": "Thiếu", "items": ["Giấy ra viện"]})
    clock.advance(days=14)
    early = act(desk, code, "close")
    assert early.status_code == 409
    assert early.json()["error"] == "supplement_deadline_not_reached"
    assert "close" not in get(desk, code)["allowed_actions"]
    clock.advance(days=1)
    assert "close" in get(desk, code)["allowed_actions"]
    d = act(desk, code, "close").json()
    assert d["status"] == "closed" and d["status_label"] == "Dừng giải quyết"
    assert d["timeliness"] == "on_time"  # the agency had used less than its budget
    assert d["allowed_actions"] == []
    assert act(desk, code, "supplement").status_code == 409


# --- apology, refusal, withdrawal ---------------------------------------------------------------


def test_extend_once_judged_against_the_original_appointment(received, clock, api):
    code = received["code"]
    handler, leader = api(BHXH["handler"]), api(BHXH["leader"])
    act(handler, code, "claim")
    clock.set(dt.datetime(2026, 12, 7, 8, 0, tzinfo=ICT))  # Mon 7/12, 2 working days before
    earlier = act(
        leader,
        code,
        "extend",
        {"reason": "Chờ xác minh", "new_due_at": "2026-12-08T08:00:00+07:00"},
    )
    assert earlier.status_code == 400
    assert earlier.json()["fields"]["new_due_at"][0]["code"] == "extension_not_later"
    naive = act(leader, code, "extend", {"reason": "x", "new_due_at": "2026-12-15T08:00:00"})
    assert naive.status_code == 400 and naive.json()["fields"]["new_due_at"]
    r = act(
        leader,
        code,
        "extend",
        {"reason": "Chờ xác minh thông tin", "new_due_at": "2026-12-15T17:30:00+07:00"},
    )
    assert r.status_code == 200
    d = r.json()
    assert d["due_at"] == "2026-12-15T17:30:00+07:00"
    assert d["original_due_at"] == "2026-12-09T08:00:00+07:00"
    assert d["extension"]["timely"] is True
    assert "extend" not in d["allowed_actions"]
    again = act(leader, code, "extend", {"reason": "x", "new_due_at": "2026-12-20T08:00:00+07:00"})
    assert again.status_code == 409 and again.json()["error"] == "already_extended"
    # finished after the original appointment but before the new one: still late (766)
    clock.set(dt.datetime(2026, 12, 10, 8, 0, tzinfo=ICT))
    act(handler, code, "advance")
    act(leader, code, "claim")
    d = act(leader, code, "advance").json()
    assert d["status"] == "result_ready" and d["timeliness"] == "late"


def test_extension_less_than_a_working_day_ahead_is_recorded_as_not_timely(received, clock, api):
    code = received["code"]
    clock.set(dt.datetime(2026, 12, 8, 10, 0, tzinfo=ICT))  # due Wed 9/12 08:00
    d = act(
        api(BHXH["leader"]),
        code,
        "extend",
        {"reason": "Chậm", "new_due_at": "2026-12-11T08:00:00+07:00"},
    ).json()
    assert d["extension"]["timely"] is False


def test_refusal_needs_a_reason_and_ends_everything(received, clock, api):
    code = received["code"]
    handler = api(BHXH["handler"])
    act(handler, code, "claim")
    no_reason = act(handler, code, "refuse", {"reason": "  "})
    assert no_reason.status_code == 400
    clock.advance(hours=2)
    d = act(handler, code, "refuse", {"reason": "Không đủ điều kiện hưởng chế độ"}).json()
    assert d["status"] == "refused"
    assert d["stop_reason"] == "Không đủ điều kiện hưởng chế độ"
    assert d["timeliness"] == "early"
    assert d["current_task"] is None
    assert d["handovers"][0]["completed_at"] is not None
    assert Dossier.objects.get(code=code).process.status == "CANCELED"
    assert act(handler, code, "advance").status_code == 409


def test_withdrawal_until_result_ready(received, clock, api):
    code = received["code"]
    desk = api(BHXH["desk"])
    r = act(desk, code, "withdraw", {"reason": ""})
    assert r.status_code == 400
    d = act(desk, code, "withdraw", {"reason": "Công dân không có nhu cầu nữa"}).json()
    assert d["status"] == "withdrawn"
    assert [e["kind"] for e in d["events"]][-1] == "withdrawn"
    # after the result is ready, withdrawal is refused
    other = desk.post("/api/v1/dossiers/", receipt_body(), format="json").json()["code"]
    for who in ("handler", "leader"):
        act(api(BHXH[who]), other, "claim")
        act(api(BHXH[who]), other, "advance")
    late = act(desk, other, "withdraw", {"reason": "muộn"})
    assert late.status_code == 409
    body = late.json()
    assert body == {
        "error": "invalid_transition",
        "message": "Không thể thực hiện thao tác này khi hồ sơ đang ở trạng thái «Đã có kết quả».",
        "status": "result_ready",
        "allowed_actions": ["return"],
    }


# --- online submissions -----------------------------------------------------------------------------


def test_online_submission_waits_then_accept_starts_the_clock(demo, clock, api):
    desk = api(BHXH["desk"])
    d = desk.post("/api/v1/dossiers/", receipt_body(channel="online"), format="json").json()
    assert d["status"] == "submitted" and d["status_label"] == "Chờ tiếp nhận"
    assert d["due_at"] is None
    assert act(api(BHXH["handler"]), d["code"], "claim").status_code == 409
    clock.advance(hours=3)
    d = act(desk, d["code"], "accept").json()
    assert d["status"] == "received"
    assert d["received_at"] == "2026-11-30T11:00:00+07:00"
    assert d["due_at"] == "2026-12-09T11:00:00+07:00"


def test_online_submission_can_be_sent_back_for_supplement(demo, clock, api):
    desk = api(BHXH["desk"])
    code = desk.post("/api/v1/dossiers/", receipt_body(channel="online"), format="json").json()[
        "code"
    ]
    d = act(desk, code, "request-supplement", {"reason": "Ảnh chụp mờ", "items": ["Giấy ra viện"]})
    assert d.json()["status"] == "awaiting_supplement"
    d = act(desk, code, "supplement").json()
    assert d["status"] == "received" and d["due_at"] is not None


# --- bad input, permissions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        (
            {"applicant": {"full_name": "A", "id_number": "12345", "phone": "0912345678"}},
            "applicant.id_number",
            "invalid_id_number",
        ),
        (
            {"applicant": {"full_name": "A", "id_number": "999090001234", "phone": "0912345678"}},
            "applicant.id_number",
            "invalid_id_number",
        ),
        (
            {"applicant": {"full_name": "A", "id_number": "038090001234", "phone": "0123"}},
            "applicant.phone",
            "invalid_phone",
        ),
        (
            {
                "applicant": {
                    "full_name": "A",
                    "id_number": "038090001234",
                    "phone": "0912345678",
                    "email": "không-phải-email",
                }
            },
            "applicant.email",
            "invalid",
        ),
        ({"channel": "fax"}, "channel", "invalid_choice"),
        ({"procedure": "9.999999"}, "procedure", "unknown_procedure"),
        ({"centre": "00000"}, "centre", "unknown_centre"),
        (
            {"documents": [{"name": "x", "kind": "scan", "quantity": 1}]},
            "documents[0].kind",
            "invalid_choice",
        ),
        (
            {"documents": [{"name": "x", "kind": "copy", "quantity": 0}]},
            "documents[0].quantity",
            "min_value",
        ),
    ],
)
def test_receive_bad_input_is_400_per_field(demo, clock, api, change, field, code):
    r = api(BHXH["desk"]).post("/api/v1/dossiers/", receipt_body(**change), format="json")
    assert r.status_code == 400, r.json()
    body = r.json()
    assert body["fields"][field][0]["code"] == code, body
    assert body["fields"][field][0]["message"]
    assert not Dossier.objects.exists()


def test_channel_not_allowed_for_procedure(demo, clock, api):
    from procedures.models import ProcedureVersion

    ProcedureVersion.objects.filter(procedure__code="1.001667").update(channels=["in_person"])
    r = api(BHXH["desk"]).post("/api/v1/dossiers/", receipt_body(channel="postal"), format="json")
    assert r.status_code == 400
    assert r.json()["fields"]["channel"][0]["code"] == "channel_not_allowed"


def test_permissions(received, api):
    code = received["code"]
    # another centre's receiver can neither see nor act: outside one's scope a
    # dossier does not exist (404, not 403), so codes cannot be probed
    assert api("samson.bhxh.motcua").get(f"/api/v1/dossiers/{code}/").status_code == 404
    assert act(api("samson.bhxh.motcua"), code, "withdraw", {"reason": "x"}).status_code == 404
    # the People's Committee's handler does not see the social-insurance dossier
    assert act(api("hacthanh.chuyenvien"), code, "claim").status_code == 404
    # in scope but not allowed: the social-insurance handler may not withdraw it
    assert act(api(BHXH["handler"]), code, "withdraw", {"reason": "x"}).status_code == 403
    # the receiver at another centre cannot receive here
    r = api("samson.bhxh.motcua").post("/api/v1/dossiers/", receipt_body(), format="json")
    assert r.status_code == 403 and r.json()["error"] == "permission_denied"
    assert api(None).get(f"/api/v1/dossiers/{code}/").status_code == 401
    assert api(BHXH["desk"]).get("/api/v1/dossiers/38.14797-261130-9999/").status_code == 404
    assert act(api(BHXH["desk"]), "38.14797-261130-9999", "claim").status_code == 404


def test_superuser_may_act_in_any_role(received, api):
    admin = api("admin")
    code = received["code"]
    for _ in range(2):
        assert act(admin, code, "claim").status_code == 200
        assert act(admin, code, "advance").status_code == 200
    assert act(admin, code, "return", {"method": "post"}).json()["status"] == "returned"


def test_idempotency_key(demo, clock, api):
    desk = api(BHXH["desk"])
    first = desk.post(
        "/api/v1/dossiers/", receipt_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == 201
    again = desk.post(
        "/api/v1/dossiers/", receipt_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert again.status_code == 200
    assert again.json()["code"] == first.json()["code"] and "tracking_pin" not in again.json()
    other = desk.post(
        "/api/v1/dossiers/", receipt_body(note="khác"), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert other.status_code == 409 and other.json()["error"] == "idempotency_conflict"
    assert Dossier.objects.count() == 1


def test_list_filters_and_scoping(received, clock, api):
    desk = api(BHXH["desk"])
    online = desk.post("/api/v1/dossiers/", receipt_body(channel="online"), format="json").json()
    act(api(BHXH["handler"]), received["code"], "claim")
    page = desk.get("/api/v1/dossiers/").json()
    assert page["count"] == 2 and set(page) == {"count", "next", "previous", "results"}
    assert (
        desk.get("/api/v1/dossiers/?status=submitted").json()["results"][0]["code"]
        == (online["code"])
    )
    mine = api(BHXH["handler"]).get("/api/v1/dossiers/?assigned_to=me").json()
    assert [d["code"] for d in mine["results"]] == [received["code"]]
    assert desk.get("/api/v1/dossiers/?q=Viết Anh").json()["count"] == 2
    assert desk.get("/api/v1/dossiers/?q=038090001234").json()["count"] == 2
    assert desk.get("/api/v1/dossiers/?procedure=1.001193").json()["count"] == 0
    assert api("samson.quanly").get("/api/v1/dossiers/").json()["count"] == 0
    assert api("hacthanh.chuyenvien").get("/api/v1/dossiers/").json()["count"] == 0
    assert desk.get("/api/v1/dossiers/?overdue=maybe").status_code == 400


# --- tracking and rating --------------------------------------------------------------------------


def test_public_tracking_and_rating(received, clock, api):
    code, pin = received["code"], received["tracking_pin"]
    public = api(None)
    r = public.get(f"/api/v1/track/{code}/?pin={pin}")
    assert r.status_code == 200
    t = r.json()
    assert t["applicant_name"] == "Nguyễn V*** A**"
    assert t["status_label"] == "Đã tiếp nhận"
    assert t["timeline"] == [
        {"status": "received", "status_label": "Đã tiếp nhận", "at": "2026-11-30T08:00:00+07:00"}
    ]
    assert "id_number" not in str(t) and "0912345678" not in str(t)
    wrong = public.get(
        f"/api/v1/track/{code}/?pin=000000"
        if pin != "000000"
        else f"/api/v1/track/{code}/?pin=111111"
    )
    unknown = public.get(f"/api/v1/track/38.14797-261130-9999/?pin={pin}")
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()
    early = public.post(
        f"/api/v1/track/{code}/rating/?pin={pin}", {"score": "satisfied"}, format="json"
    )
    assert early.status_code == 409 and early.json()["error"] == "not_returned_yet"
    for who in ("handler", "leader"):
        act(api(BHXH[who]), code, "claim")
        act(api(BHXH[who]), code, "advance")
    act(api(BHXH["desk"]), code, "return", {"method": "counter"})
    t = public.get(f"/api/v1/track/{code}/?pin={pin}").json()
    assert [s["status"] for s in t["timeline"]] == [
        "received",
        "in_progress",
        "result_ready",
        "returned",
    ]
    assert t["can_rate"] is True
    bad = public.post(f"/api/v1/track/{code}/rating/?pin={pin}", {"score": "great"}, format="json")
    assert bad.status_code == 400
    ok = public.post(
        f"/api/v1/track/{code}/rating/?pin={pin}",
        {"score": "very_satisfied", "comment": "Nhanh"},
        format="json",
    )
    assert ok.status_code == 201
    twice = public.post(
        f"/api/v1/track/{code}/rating/?pin={pin}", {"score": "satisfied"}, format="json"
    )
    assert twice.status_code == 409 and twice.json()["error"] == "already_rated"


# --- forms ------------------------------------------------------------------------------------------


def test_statutory_forms_print(received, clock, api, client):
    from django.contrib.auth.models import User

    code, pin = received["code"], received["tracking_pin"]
    client.force_login(User.objects.get(username=BHXH["desk"]))
    slip = client.get(f"/dossiers/{code}/forms/01/?pin={pin}")
    assert slip.status_code == 200
    html = slip.content.decode()
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in html.upper()
    assert code in html and "08 giờ 00 phút, ngày 09/12/2026" in html
    # the PIN is printed on the slip, never put in the QR code's link: the link
    # carries the signed tracking token instead
    assert "<svg" in html and f"<b>{pin}</b>" in html and "pin=" not in html
    assert "t=" in slip.context["tracking_url"] and pin not in slip.context["tracking_url"]
    wrong = "999999" if pin != "999999" else "888888"
    no_pin = client.get(f"/dossiers/{code}/forms/01/?pin={wrong}").content.decode()
    assert f"<b>{wrong}</b>" not in no_pin
    sheet = client.get(f"/dossiers/{code}/forms/06/").content.decode()
    assert "Bộ phận nghiệp vụ BHXH" in sheet and "đang xử lý" in sheet
    assert client.get(f"/dossiers/{code}/forms/02/").status_code == 404
    act(api(BHXH["handler"]), code, "claim")
    act(
        api(BHXH["handler"]),
        code,
        "request-supplement",
        {"reason": "Thiếu", "items": ["Giấy ra viện bản sao"]},
    )
    assert "Giấy ra viện bản sao" in client.get(f"/dossiers/{code}/forms/02/").content.decode()
    act(api(BHXH["desk"]), code, "supplement")
    act(
        api(BHXH["leader"]),
        code,
        "extend",
        {"reason": "Chờ xác minh", "new_due_at": "2026-12-20T08:00:00+07:00"},
    )
    assert "Chờ xác minh" in client.get(f"/dossiers/{code}/forms/04/").content.decode()
    act(api(BHXH["handler"]), code, "refuse", {"reason": "Không đủ điều kiện"})
    assert "Không đủ điều kiện" in client.get(f"/dossiers/{code}/forms/03/").content.decode()
    client.force_login(User.objects.get(username="samson.motcua"))
    assert client.get(f"/dossiers/{code}/forms/06/").status_code == 404
    client.logout()
    assert client.get(f"/dossiers/{code}/forms/06/").status_code == 302


def test_dossier_admin_is_read_only_with_history(received, client):
    from django.contrib.auth.models import User

    client.force_login(User.objects.get(username="admin"))
    pk = Dossier.objects.get(code=received["code"]).pk
    page = client.get(f"/admin/workflows/dossier/{pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Mẫu 01" in html and received["code"] in html
    assert 'name="_save"' not in html
    assert client.get("/admin/workflows/dossier/").status_code == 200


def test_history_is_append_only_in_python(received):
    event = DossierEvent.objects.first()
    event.kind = "changed"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
    assert Handover.objects.count() == 1


def test_list_query_count_does_not_grow_with_the_page(received, clock, api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    desk, handler = api(BHXH["desk"]), api(BHXH["handler"])
    for _ in range(12):
        code = desk.post("/api/v1/dossiers/", receipt_body(), format="json").json()["code"]
        act(handler, code, "claim")
    counts = {}
    for size in (2, 13):
        with CaptureQueriesContext(connection) as q:
            r = desk.get(f"/api/v1/dossiers/?page_size={size}")
        assert len(r.json()["results"]) == size
        assert all(d["current_task"]["assignee"] for d in r.json()["results"][: size - 1])
        counts[size] = len(q.captured_queries)
    assert counts[2] == counts[13], counts
    with CaptureQueriesContext(connection) as q:
        desk.get(f"/api/v1/dossiers/{code}/")
    assert len(q.captured_queries) <= 25
