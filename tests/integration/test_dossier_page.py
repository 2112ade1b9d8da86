"""Issue 9, point 4: the dossier page — what it shows, the actions through
their forms (the services' rules and messages), scope, conflicts, and the
live socket that tells the page the dossier changed."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import Client

from tests.integration.conftest import BHXH
from tests.integration.test_sockets_hardening import (  # noqa: F401 (fixture)
    HOST,
    ORIGIN,
    app,
    memory_layer,
    session_cookie,
)
from workflows.models import Dossier, DossierEvent

pytestmark = pytest.mark.django_db


def officer(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def page(client, code):
    r = client.get(f"/dossiers/{code}/")
    assert r.status_code == 200, r.status_code
    return r.content.decode()


def events(code):
    return list(DossierEvent.objects.filter(dossier__code=code).values_list("kind", flat=True))


def test_the_page_shows_the_dossier_and_the_allowed_actions(received, clock):
    html = page(officer(BHXH["handler"]), received["code"])
    assert received["code"] in html and "Đã tiếp nhận" in html
    assert "Giải quyết hưởng chế độ ốm đau" in html and "7 ngày làm việc" in html
    assert "Nguyễn Viết Anh" in html and "038090001234" in html  # staff in scope: not masked
    assert "Hẹn trả kết quả" in html and "08:00 09/12/2026" in html
    assert "Bộ phận nghiệp vụ BHXH" in html and "(chưa có người nhận)" in html
    assert 'data-action="claim"' in html
    assert "Tiếp nhận</b> – 08:00 30/11/2026" in html
    assert "Theo Nghị định 118" in html and "Theo Quyết định 766" in html


def test_out_of_scope_is_404_and_anonymous_goes_to_login(received):
    assert (
        officer("hatrung.bhxh.chuyenvien").get(f"/dossiers/{received['code']}/").status_code == 404
    )
    assert (
        officer("hatrung.quanly").post(f"/dossiers/{received['code']}/act/claim/").status_code
        == 404
    )
    r = Client().get(f"/dossiers/{received['code']}/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
    assert officer(BHXH["handler"]).get("/dossiers/38.14797-261130-9999/").status_code == 404


def test_claim_then_advance_through_the_page(received, clock):
    code = received["code"]
    handler = officer(BHXH["handler"])
    r = handler.post(f"/dossiers/{code}/act/claim/")
    assert r.status_code == 302 and r["Location"] == f"/dossiers/{code}/?done=claim"
    html = handler.get(r["Location"]).content.decode()
    assert "Đã thực hiện: Nhận xử lý." in html and "Đang giải quyết" in html
    r = handler.post(f"/dossiers/{code}/act/advance/", {"advance-note": "Đủ điều kiện hưởng"})
    assert r.status_code == 302
    assert events(code) == ["received", "claimed", "advanced"]
    html = page(handler, code)
    assert "Ý kiến: Đủ điều kiện hưởng" in html
    # the timeline names officers as people do, not by their sign-in names
    assert "(Trần Văn Nam)" in html and f"({BHXH['handler']})" not in html


def test_a_refusal_without_reason_says_why_and_writes_nothing(received, clock):
    code = received["code"]
    r = officer(BHXH["handler"]).post(f"/dossiers/{code}/act/refuse/", {"refuse-reason": "  "})
    assert r.status_code == 400
    html = r.content.decode()
    assert "errorlist" in html and "Trường này là bắt buộc." in html
    assert events(code) == ["received"]
    assert Dossier.objects.get(code=code).status == "received"


def test_an_action_no_longer_allowed_is_a_clear_conflict_on_the_fresh_state(received, clock, api):
    code = received["code"]
    handler = officer(BHXH["handler"])
    handler.get(f"/dossiers/{code}/")  # the page is open with "Nhận xử lý"…
    api(BHXH["handler"]).post(f"/api/v1/dossiers/{code}/claim/", {}, format="json")  # …meanwhile
    r = handler.post(f"/dossiers/{code}/act/claim/")
    assert r.status_code == 409
    html = r.content.decode()
    assert 'class="flash error"' in html and "Traceback" not in html
    assert "Đang giải quyết" in html  # the fresh state
    assert events(code) == ["received", "claimed"]


def test_extend_from_the_page_reads_vietnam_time(received, clock):
    import datetime as dt

    from tests.integration.conftest import ICT

    clock.set(dt.datetime(2026, 12, 7, 8, 0, tzinfo=ICT))
    code = received["code"]
    r = officer(BHXH["leader"]).post(
        f"/dossiers/{code}/act/extend/",
        {"extend-new_due_at": "2026-12-15T17:30", "extend-reason": "Chờ xác minh thông tin"},
    )
    assert r.status_code == 302, r.content.decode()[:500]
    d = Dossier.objects.select_related("extension").get(code=code)
    assert d.extension.new_due_at.isoformat() == "2026-12-15T10:30:00+00:00"  # 17:30 +07:00
    html = page(officer(BHXH["leader"]), code)
    assert "Hẹn lại: 17:30 15/12/2026" in html


def test_request_supplement_takes_one_item_per_line(received, clock):
    code = received["code"]
    handler = officer(BHXH["handler"])
    handler.post(f"/dossiers/{code}/act/claim/")
    r = handler.post(
        f"/dossiers/{code}/act/request-supplement/",
        {
            "request-supplement-items": "Giấy ra viện\n\n  Sổ BHXH  \n",
            "request-supplement-reason": "Thiếu giấy tờ",
        },
    )
    assert r.status_code == 302
    assert r["Location"].endswith("?done=request-supplement")
    html = handler.get(r["Location"]).content.decode()
    assert "/forms/02/" in html and "Cần bổ sung: Giấy ra viện; Sổ BHXH" in html


def test_assign_offers_the_officers_of_the_step_unit(received, clock):
    code = received["code"]
    html = page(officer(BHXH["leader"]), code)
    if 'data-action="assign"' not in html:
        pytest.skip("the leader of this step's agency does not assign in the demo flow")
    assert BHXH["handler"] in html
    r = officer(BHXH["leader"]).post(
        f"/dossiers/{code}/act/assign/", {"assign-officer": BHXH["handler"]}
    )
    assert r.status_code == 302
    assert events(code)[-1] == "assigned"


def test_unknown_action_is_404_and_get_is_405(received):
    handler = officer(BHXH["handler"])
    assert handler.post(f"/dossiers/{received['code']}/act/explode/").status_code == 404
    assert handler.get(f"/dossiers/{received['code']}/act/claim/").status_code == 405


@pytest.mark.django_db(transaction=True)
async def test_the_socket_tells_the_page_the_dossier_changed(received, memory_layer, api):  # noqa: F811
    code = received["code"]
    cookie = await sync_to_async(session_cookie)(BHXH["handler"])
    socket = WebsocketCommunicator(
        app(), f"/ws/dossiers/{code}/", headers=[ORIGIN, HOST, (b"cookie", cookie)]
    )
    connected, _ = await socket.connect(timeout=3)
    assert connected
    assert await socket.receive_nothing(timeout=0.3)
    client = await sync_to_async(api)(BHXH["handler"])
    await sync_to_async(client.post)(f"/api/v1/dossiers/{code}/claim/", {}, format="json")
    message = await socket.receive_json_from(timeout=3)
    assert message == {"type": "dossier.changed", "event": "claimed"}
    await socket.disconnect()

    outsider = await sync_to_async(session_cookie)("hatrung.bhxh.chuyenvien")
    socket = WebsocketCommunicator(
        app(), f"/ws/dossiers/{code}/", headers=[ORIGIN, HOST, (b"cookie", outsider)]
    )
    connected, _ = await socket.connect(timeout=3)
    closed = await socket.receive_output(timeout=3)
    assert closed["type"] == "websocket.close" and closed["code"] == 4404


def test_the_page_lists_the_notifications_sent(received, clock):
    html = page(officer(BHXH["handler"]), received["code"])
    assert "Thông báo đã gửi" in html
    assert "Công dân" in html or "Bộ phận" in html  # the receipt told the citizen and the unit


def test_bell_items_link_to_the_dossier(received, clock):
    html = officer(BHXH["handler"]).get("/notifications/").content.decode()
    assert f'href="/dossiers/{received["code"]}/"' in html
