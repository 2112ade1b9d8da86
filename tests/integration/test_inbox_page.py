"""Issue 9, point 3: the inbox — tabs, filters, accent-insensitive search,
keyset pages, scope, bulk claim/assign with a result per dossier, live socket."""

from __future__ import annotations

import datetime as dt

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import Client

from tests.integration.conftest import BHXH, ICT, receipt_body
from tests.integration.test_sockets_hardening import (  # noqa: F401 (fixture)
    HOST,
    ORIGIN,
    app,
    memory_layer,
    session_cookie,
)
from workflows.models import Dossier

pytestmark = pytest.mark.django_db


def officer(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def receive(api, name="Nguyễn Viết Anh", **kw):
    body = receipt_body(applicant={**receipt_body()["applicant"], "full_name": name}, **kw)
    r = api(BHXH["desk"]).post("/api/v1/dossiers/", body, format="json")
    assert r.status_code == 201, r.json()
    return r.json()["code"]


def codes(html: str) -> list[str]:
    import re

    return re.findall(r'<tr data-code="([^"]+)"', html)


def test_queue_tab_lists_the_unit_queue_sorted_by_time_left(demo, clock, api):
    first = receive(api)
    clock.advance(hours=2)
    second = receive(api, name="Trần Thị Bình")
    r = officer(BHXH["handler"]).get("/inbox/?tab=queue")
    assert r.status_code == 200
    html = r.content.decode()
    assert codes(html) == [first, second]  # the one due first comes first
    assert "Nguyễn Viết Anh" in html and "Giải quyết hưởng chế độ ốm đau" in html
    assert "chưa có người nhận" in html and "left-ok" in html
    assert 'href="/dossiers/' + first + '/"' in html


def test_mine_tab_after_claiming_and_out_of_scope_sees_nothing(demo, clock, api):
    code = receive(api)
    handler = officer(BHXH["handler"])
    assert codes(handler.get("/inbox/?tab=mine").content.decode()) == []
    api(BHXH["handler"]).post(f"/api/v1/dossiers/{code}/claim/", {}, format="json")
    assert codes(handler.get("/inbox/?tab=mine").content.decode()) == [code]
    assert codes(handler.get("/inbox/?tab=queue").content.decode()) == []
    outsider = officer("hatrung.bhxh.chuyenvien")
    for tab in ("mine", "queue", "overdue", "all"):
        assert codes(outsider.get(f"/inbox/?tab={tab}").content.decode()) == []


def test_search_is_accent_insensitive_and_by_id_and_phone(demo, clock, api):
    code = receive(api, name="Lê Thị Hồng Nhung")
    other = receive(api, name="Phạm Văn Đức")
    handler = officer(BHXH["handler"])
    for q in ("hong nhung", "HỒNG", "le thi"):
        assert codes(handler.get("/inbox/", {"tab": "all", "q": q}).content.decode()) == [code]
    assert codes(handler.get("/inbox/", {"tab": "all", "q": "duc"}).content.decode()) == [other]
    found = codes(handler.get("/inbox/", {"tab": "all", "q": "038090001234"}).content.decode())
    assert set(found) == {code, other}
    assert Dossier.objects.get(code=code).applicant_name_folded == "le thi hong nhung"
    # the API's search folds too
    r = api(BHXH["handler"]).get("/api/v1/dossiers/", {"q": "hong nhung"})
    assert [d["code"] for d in r.json()["results"]] == [code]


def test_overdue_and_due_soon_tabs(demo, clock, api):
    code = receive(api)  # Mon 30/11 08:00, due Wed 9/12 08:00
    handler = officer(BHXH["handler"])
    clock.set(dt.datetime(2026, 12, 8, 9, 0, tzinfo=ICT))
    html = handler.get("/inbox/?tab=due_soon").content.decode()
    assert codes(html) == [code] and "left-risk" in html
    assert codes(handler.get("/inbox/?tab=overdue").content.decode()) == []
    clock.set(dt.datetime(2026, 12, 9, 10, 0, tzinfo=ICT))
    html = handler.get("/inbox/?tab=overdue").content.decode()
    assert codes(html) == [code] and "left-late" in html and "Quá 2 giờ" in html


def test_keyset_pages_cover_everything_once(demo, clock, api):
    made = []
    for i in range(7):
        made.append(receive(api))
        clock.advance(minutes=10 + i)
    handler = officer(BHXH["handler"])
    seen, query, pages = [], "tab=queue", 0
    from workflows.selectors import inbox as inbox_selectors

    old = inbox_selectors.PAGE_SIZE
    inbox_selectors.PAGE_SIZE = 3
    try:
        for _ in range(5):
            html = handler.get(f"/inbox/?{query}").content.decode()
            seen += codes(html)
            pages += 1
            import re

            nxt = re.search(r'href="\?([^"]+)" rel="next"', html)
            if not nxt:
                break
            query = nxt[1].replace("&amp;", "&")
    finally:
        inbox_selectors.PAGE_SIZE = old
    assert seen == made
    assert pages == 3  # 3 + 3 + 1


def test_filters_and_bad_filters(demo, clock, api):
    code = receive(api)
    handler = officer(BHXH["handler"])
    assert codes(handler.get("/inbox/?tab=all&channel=online").content.decode()) == []
    assert codes(handler.get("/inbox/?tab=all&channel=in_person").content.decode()) == [code]
    assert codes(handler.get("/inbox/?tab=all&received_from=2026-12-01").content.decode()) == []
    bad = handler.get("/inbox/?tab=all&received_from=hôm-qua&after=xyz")
    assert bad.status_code == 400 and "flash error" in bad.content.decode()
    assert handler.get("/inbox/?tab=nope").status_code == 400


def test_bulk_claim_reports_each_dossier(demo, clock, api):
    a, b = receive(api), receive(api)
    api(BHXH["handler"]).post(f"/api/v1/dossiers/{b}/claim/", {}, format="json")
    leader = officer(BHXH["leader"])
    r = leader.post("/inbox/bulk/", {"action": "claim", "codes": [a, b], "back": "/inbox/?tab=all"})
    assert r.status_code == 302 and r["Location"] == "/inbox/?tab=all"
    html = leader.get(r["Location"]).content.decode()
    assert "flash" in html
    assert b in html  # b is reported as refused, with the service's reason


def test_bulk_assign_by_the_leader(demo, clock, api):
    a, b = receive(api), receive(api)
    leader = officer(BHXH["leader"])
    html = leader.get("/inbox/?tab=all").content.decode()
    if 'name="officer"' not in html:
        pytest.skip("no one to assign to in this unit")
    r = leader.post(
        "/inbox/bulk/",
        {"action": "assign", "codes": [a, b], "officer": BHXH["handler"], "back": "/inbox/"},
    )
    assert r.status_code == 302
    for code in (a, b):
        d = Dossier.objects.select_related("current_handover__to_officer").get(code=code)
        assert d.current_handover.to_officer.username == BHXH["handler"]
    assert "Phân công: 2 hồ sơ" in leader.get("/inbox/").content.decode()


def test_bulk_refuses_outside_back_links_and_empty_choices(demo, clock, api):
    leader = officer(BHXH["leader"])
    r = leader.post("/inbox/bulk/", {"action": "claim", "back": "https://evil.example/"})
    assert r.status_code == 302 and r["Location"] == "/inbox/"
    assert "Hãy chọn hồ sơ và thao tác." in leader.get("/inbox/").content.decode()


def test_anonymous_goes_to_login():
    r = Client().get("/inbox/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")


@pytest.mark.django_db(transaction=True)
async def test_inbox_socket_hears_changes_of_the_officers_centres(demo, memory_layer, api):  # noqa: F811
    cookie = await sync_to_async(session_cookie)(BHXH["handler"])
    socket = WebsocketCommunicator(app(), "/ws/inbox/", headers=[ORIGIN, HOST, (b"cookie", cookie)])
    connected, _ = await socket.connect(timeout=3)
    assert connected
    await sync_to_async(receive)(api)
    assert await socket.receive_json_from(timeout=3) == {"type": "inbox.changed"}
    await socket.disconnect()
    anonymous = WebsocketCommunicator(app(), "/ws/inbox/", headers=[ORIGIN, HOST])
    await anonymous.connect(timeout=3)
    closed = await anonymous.receive_output(timeout=3)
    assert closed["type"] == "websocket.close" and closed["code"] == 4403
