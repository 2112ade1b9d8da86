from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from config.errors import Conflict
from procedures.models import ServiceCentre
from workflows.models import CalendarOverride, ClockEvent
from workflows.services.deadlines import clock_append, clock_open

ICT = dt.timezone(dt.timedelta(hours=7))
AT = dt.datetime(2026, 11, 25, 9, 0, tzinfo=ICT)


def preview(client, **params):
    return client.get("/api/v1/deadlines/preview/?" + urlencode(params))


def login(username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.get(username=username))
    return client


# --- preview ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "due", "skipped"),
    [
        ("2026-02-13T10:00:00+07:00", "P2D", "2026-02-24T10:00:00+07:00", 9),
        ("2025-04-25T16:00:00+07:00", "P1D", "2025-04-26T16:00:00+07:00", 0),
        ("2026-11-23T13:30:00+07:00", "PT4H", "2026-11-23T17:30:00+07:00", 0),
        ("2026-11-23T15:30:00+07:00", "PT4H", "2026-11-25T09:30:00+07:00", 1),  # 24/11
        ("2026-11-23T06:30:00+00:00", "P1D", "2026-11-25T11:30:00+07:00", 1),  # UTC in, ends 11:30
    ],
)
def test_preview_cases(demo, start, duration, due, skipped):
    r = preview(APIClient(), centre="16531", start=start, duration=duration)
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["due_at"] == due
    assert len(body["skipped_days"]) == skipped
    assert body["centre"] == "16531"


def test_preview_explains_tet(demo):
    body = preview(
        APIClient(), centre="14797", start="2026-02-13T10:00:00+07:00", duration="P2D"
    ).json()
    days = {d["date"]: d["reason"] for d in body["skipped_days"]}
    assert days["2026-02-14"] == "Thứ Bảy"
    assert days["2026-02-15"] == "Chủ Nhật"
    assert "Tết Nguyên Đán" in days["2026-02-17"]
    assert list(days) == [f"2026-02-{d}" for d in range(14, 23)]


def test_preview_accepts_unencoded_plus(demo):
    r = APIClient().get(
        "/api/v1/deadlines/preview/?centre=14797&start=2026-02-13T10:00:00+07:00&duration=P2D"
    )
    assert r.status_code == 200
    assert r.json()["due_at"] == "2026-02-24T10:00:00+07:00"


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"start": "hôm qua", "duration": "P1D"}, "start", "invalid_datetime"),
        ({"start": "2026-02-13T10:00:00", "duration": "P1D"}, "start", "naive_datetime"),
        ({"duration": "P1D"}, "start", "required"),
        (
            {"start": "2026-02-13T10:00:00+07:00", "duration": "3 ngày"},
            "duration",
            "invalid_duration",
        ),
        (
            {"start": "2026-02-13T10:00:00+07:00", "duration": "-P1D"},
            "duration",
            "negative_duration",
        ),
        (
            {"start": "2026-02-13T10:00:00+07:00", "duration": "P366D"},
            "duration",
            "duration_too_long",
        ),
        ({"start": "2026-02-13T10:00:00+07:00", "duration": "P1M"}, "duration", "invalid_duration"),
        ({"start": "2026-02-13T10:00:00+07:00"}, "duration", "required"),
        ({"start": "2099-02-13T10:00:00+07:00", "duration": "P1D"}, "start", "out_of_range"),
    ],
)
def test_preview_bad_input_names_the_parameter(demo, params, field, code):
    r = preview(APIClient(), centre="14797", **params)
    assert r.status_code == 400
    body = r.json()
    assert body["fields"][field][0]["code"] == code, body
    assert body["error"] == code


def test_preview_unknown_or_missing_centre_is_400(demo):
    r = preview(APIClient(), centre="00000", start="2026-02-13T10:00:00+07:00", duration="P1D")
    assert r.status_code == 400
    assert r.json()["fields"]["centre"][0]["code"] == "unknown_centre"
    r = preview(APIClient(), start="2026-02-13T10:00:00+07:00", duration="P1D")
    assert r.status_code == 400 and "centre" in r.json()["fields"]


def test_preview_365_days_is_the_limit(demo):
    ok = preview(APIClient(), centre="14797", start="2026-01-05T08:00:00+07:00", duration="P365D")
    assert ok.status_code == 200


# --- overrides -----------------------------------------------------------------------------


def test_centre_override_changes_only_that_centre(demo):
    manager = login("samson.quanly")
    r = manager.post(
        "/api/v1/calendar/overrides/",
        {
            "date": "2026-12-01",
            "kind": "day_off",
            "scope": "centre",
            "centre": "16531",
            "reason": "Bão số 15 đổ bộ",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["centres"] == 1
    start = {"start": "2026-11-30T08:00:00+07:00", "duration": "P1D"}
    samson = preview(APIClient(), centre="16531", **start).json()
    hatrung = preview(APIClient(), centre="15271", **start).json()
    assert samson["due_at"] == "2026-12-02T08:00:00+07:00"
    assert {"date": "2026-12-01", "reason": "Bão số 15 đổ bộ"} in samson["skipped_days"]
    assert hatrung["due_at"] == "2026-12-01T08:00:00+07:00"

    listed = login("samson.motcua").get("/api/v1/calendar/overrides/?centre=16531").json()
    assert [o["reason"] for o in listed] == ["Bão số 15 đổ bộ"]


def test_province_override_and_later_scope_wins(demo):
    admin = login("admin")
    r = admin.post(
        "/api/v1/calendar/overrides/",
        {
            "date": "2026-12-05",
            "kind": "working_day",
            "scope": "province",
            "province": "38",
            "reason": "Làm bù cho ngày 31/12",
        },
        format="json",
    )
    assert r.status_code == 201 and r.json()["centres"] == 3
    r = admin.post(
        "/api/v1/calendar/overrides/",
        {
            "date": "2026-12-05",
            "kind": "day_off",
            "scope": "centre",
            "centre": "15271",
            "reason": "Trung tâm sửa chữa",
        },
        format="json",
    )
    assert r.status_code == 201
    # Friday 17:30 + 1 working hour: the province works Saturday 5 December…
    start = {"start": "2026-12-04T17:30:00+07:00", "duration": "PT1H"}
    assert preview(APIClient(), centre="14797", **start).json()["due_at"] == (
        "2026-12-05T08:30:00+07:00"
    )
    # … except Hà Trung, whose own day off wins.
    assert preview(APIClient(), centre="15271", **start).json()["due_at"] == (
        "2026-12-07T08:30:00+07:00"
    )


def test_override_permissions(demo):
    body = {
        "date": "2026-12-01",
        "kind": "day_off",
        "scope": "centre",
        "centre": "16531",
        "reason": "x",
    }
    assert (
        login("samson.motcua").post("/api/v1/calendar/overrides/", body, format="json").status_code
        == 403
    )
    other = login("hatrung.quanly").post("/api/v1/calendar/overrides/", body, format="json")
    assert other.status_code == 403
    national = login("samson.quanly").post(
        "/api/v1/calendar/overrides/", {**body, "scope": "nation", "centre": None}, format="json"
    )
    assert national.status_code == 403
    assert APIClient().post("/api/v1/calendar/overrides/", body, format="json").status_code == 401
    assert not CalendarOverride.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2026-13-01", "kind": "day_off", "scope": "nation", "reason": "x"}, "date"),
        ({"date": "2026-12-01", "kind": "holiday", "scope": "nation", "reason": "x"}, "kind"),
        ({"date": "2026-12-01", "kind": "day_off", "scope": "commune", "reason": "x"}, "scope"),
        ({"date": "2026-12-01", "kind": "day_off", "scope": "province", "reason": "x"}, "province"),
        (
            {
                "date": "2026-12-01",
                "kind": "day_off",
                "scope": "centre",
                "centre": "00000",
                "reason": "x",
            },
            "centre",
        ),
        ({"date": "2026-12-01", "kind": "day_off", "scope": "nation"}, "reason"),
        ({"date": "2026-12-01", "kind": "day_off", "scope": "nation", "reason": "  "}, "reason"),
        ({"date": "2099-12-01", "kind": "day_off", "scope": "nation", "reason": "x"}, "date"),
    ],
)
def test_override_bad_input(demo, body, field):
    r = login("admin").post("/api/v1/calendar/overrides/", body, format="json")
    assert r.status_code == 400
    assert field in r.json()["fields"], r.json()
    assert not CalendarOverride.objects.exists()


def test_override_emptying_a_week_needs_confirmation(demo):
    admin = login("admin")
    # Mon 7 – Fri 11 December 2026: four days off are fine, the fifth empties the week.
    for day in (7, 8, 9, 10):
        r = admin.post(
            "/api/v1/calendar/overrides/",
            {
                "date": f"2026-12-{day:02d}",
                "kind": "day_off",
                "scope": "centre",
                "centre": "14797",
                "reason": "Sửa chữa trụ sở",
            },
            format="json",
        )
        assert r.status_code == 201
    body = {
        "date": "2026-12-11",
        "kind": "day_off",
        "scope": "centre",
        "centre": "14797",
        "reason": "Sửa chữa trụ sở",
    }
    refused = admin.post("/api/v1/calendar/overrides/", body, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"] == "week_without_working_time"
    assert "confirm" in refused.json()["fields"]
    confirmed = admin.post("/api/v1/calendar/overrides/", {**body, "confirm": True}, format="json")
    assert confirmed.status_code == 201


def test_duplicate_override_is_409(demo):
    admin = login("admin")
    body = {"date": "2026-12-01", "kind": "day_off", "scope": "nation", "reason": "x"}
    assert admin.post("/api/v1/calendar/overrides/", body, format="json").status_code == 201
    again = admin.post("/api/v1/calendar/overrides/", body, format="json")
    assert again.status_code == 409 and again.json()["error"] == "override_exists"


# --- ledger in the database -------------------------------------------------------------------


def test_override_recomputes_open_due_times_and_records_why(demo):
    centre = ServiceCentre.objects.get(code="14797")
    clock = clock_open(kind="dossier", centre=centre, budget="P3D")
    start = dt.datetime(2026, 11, 30, 8, 0, tzinfo=ICT)  # Monday
    state = clock_append(clock=clock, kind="start", at=start)
    assert state.due_at == dt.datetime(2026, 12, 3, 8, 0, tzinfo=ICT)
    ended = clock_open(kind="dossier", centre=centre, budget="P3D")
    clock_append(clock=ended, kind="start", at=start)
    clock_append(clock=ended, kind="end", at=start + dt.timedelta(hours=2))

    r = login("admin").post(
        "/api/v1/calendar/overrides/",
        {"date": "2026-12-01", "kind": "day_off", "scope": "nation", "reason": "Quốc tang"},
        format="json",
    )
    assert r.status_code == 201 and r.json()["moved_due_times"] == 1
    clock.refresh_from_db()
    assert clock.due_at == dt.datetime(2026, 12, 4, 8, 0, tzinfo=ICT)
    last = ClockEvent.objects.filter(clock=clock).order_by("-seq").first()
    assert last.kind == "recalculate" and "Quốc tang" in last.reason
    assert last.due_at == clock.due_at
    assert ended.events.count() == 2  # closed clocks are history: untouched

    override_id = r.json()["id"]
    assert (
        login("admin")
        .delete(f"/api/v1/calendar/overrides/{override_id}/")
        .json()["moved_due_times"]
        == 1
    )
    clock.refresh_from_db()
    assert clock.due_at == dt.datetime(2026, 12, 3, 8, 0, tzinfo=ICT)


def test_clock_pause_resume_restart_extend_in_db(demo):
    centre = ServiceCentre.objects.get(code="16531")
    clock = clock_open(kind="dossier", centre=centre, budget="P2D")
    monday = dt.datetime(2026, 11, 30, 7, 30, tzinfo=ICT)
    clock_append(clock=clock, kind="start", at=monday)
    clock_append(clock=clock, kind="pause", at=monday + dt.timedelta(hours=2), reason="Chờ bổ sung")
    state = clock_append(clock=clock, kind="resume", at=monday + dt.timedelta(days=1, hours=2))
    # P2D from Mon 07:30 is Tue 17:30 (a session's end stays put); paused 09:30 Mon →
    # 09:30 Tue = 8 working hours, so the due time moves to Wed 17:30.
    assert state.due_at == dt.datetime(2026, 12, 2, 17, 30, tzinfo=ICT)
    assert state.paused_seconds == 8 * 3600
    with pytest.raises(Conflict) as e:
        clock_append(clock=clock, kind="resume", at=monday + dt.timedelta(days=1, hours=3))
    assert e.value.code == "not_paused"
    restart_at = dt.datetime(2026, 12, 1, 14, 0, tzinfo=ICT)
    state = clock_append(clock=clock, kind="restart", at=restart_at, reason="Đã bổ sung")
    assert state.due_at == dt.datetime(2026, 12, 3, 14, 0, tzinfo=ICT)
    new_due = dt.datetime(2026, 12, 7, 17, 30, tzinfo=ICT)
    state = clock_append(
        clock=clock, kind="extend", at=restart_at, new_due_at=new_due, reason="Xin lỗi, hẹn lại"
    )
    assert state.due_at == new_due and state.appointment_due_at.day == 3
    with pytest.raises(Conflict) as e:
        clock_append(clock=clock, kind="extend", at=restart_at, new_due_at=new_due)
    assert e.value.code == "already_extended"
    clock.refresh_from_db()
    assert clock.extended and clock.due_at == new_due and clock.events_count == 5


# --- the command --------------------------------------------------------------------------------


def test_due_date_command(demo, capsys):
    call_command("due_date", centre="14797", start="2026-02-13T10:00:00+07:00", duration="P2D")
    out = capsys.readouterr().out
    assert "10:00 Thứ Ba 24/02/2026" in out
    assert "Mùng hai Tết Nguyên Đán" in out
    with pytest.raises(CommandError, match="múi giờ"):
        call_command("due_date", centre="14797", start="2026-02-13T10:00", duration="P2D")
    with pytest.raises(CommandError, match="00000"):
        call_command("due_date", centre="00000", start="2026-02-13T10:00+07:00", duration="P2D")


def test_admin_adds_an_override_through_the_service(demo, client):
    client.force_login(User.objects.get(username="admin"))
    form = {
        "date": "2026-12-01",
        "kind": "day_off",
        "scope": "centre",
        "province": "",
        "reason": "Bão đổ bộ",
    }
    form["centre"] = ServiceCentre.objects.get(code="16531").pk
    added = client.post("/admin/workflows/calendaroverride/add/", form)
    assert added.status_code == 302, added.content.decode()[:2000]
    override = CalendarOverride.objects.get()
    assert override.created_by.username == "admin" and override.reason == "Bão đổ bộ"
    # the same slot again: the service's refusal shows on the form, nothing is written
    again = client.post("/admin/workflows/calendaroverride/add/", form)
    assert again.status_code == 200 and "đã có điều chỉnh lịch" in again.content.decode()
    assert CalendarOverride.objects.count() == 1
    # a manager of another centre may not
    client.force_login(User.objects.get(username="hatrung.quanly"))
    form["date"] = "2026-12-02"
    refused = client.post("/admin/workflows/calendaroverride/add/", form)
    assert refused.status_code in (200, 403)
    assert CalendarOverride.objects.count() == 1
