"""Issue 9, point 2: the reception desk pages."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.integration.conftest import BHXH
from workflows.models import Dossier, DossierEvent

pytestmark = pytest.mark.django_db

DESK = BHXH["desk"]


def officer(username: str = DESK) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def form_page(client, code="1.001667"):
    r = client.get(f"/desk/receive/{code}/")
    assert r.status_code == 200
    html = r.content.decode()
    key = re.search(r'name="key" value="([0-9a-f]+)"', html)[1]
    docs = re.findall(r'name="(doc_\d+)"', html)
    return html, key, docs


def body(key, docs, **extra):
    data = {
        "centre": "14797",
        "full_name": "Nguyễn Viết Anh",
        "id_number": "038090001234",
        "phone": "0912 345 678",
        "email": "",
        "address": "Phường Hạc Thành",
        "key": key,
        "outcome": "receive",
    }
    data.update({d: "on" for d in docs})
    data.update(extra)
    return data


def test_procedure_search_is_accent_insensitive(demo):
    client = officer()
    for q in ("om dau", "ốm đau", "1.001667", "OM DAU"):
        html = client.get("/desk/receive/", {"q": q}).content.decode()
        assert 'href="/desk/receive/1.001667/"' in html, q
    assert (
        "Không có thủ tục nào khớp" in client.get("/desk/receive/", {"q": "zzzz"}).content.decode()
    )


def test_only_desk_officers(demo):
    assert officer(BHXH["handler"]).get("/desk/receive/").status_code == 404
    assert Client().get("/desk/receive/").status_code == 302


def test_the_form_shows_limit_fee_version_checklist_and_appointment(demo, clock):
    html, _key, docs = form_page(officer())
    assert "Giải quyết hưởng chế độ ốm đau" in html and "7 ngày làm việc" in html
    assert "01/07/2025" in html and "phí, lệ phí" in html
    assert len(docs) >= 1 and "Giấy ra viện" in html
    # Mon 30/11 08:00 + 7 working days → Wed 9/12 08:00; the weekend is explained.
    assert "hẹn trả kết quả: 08:00 09/12/2026" in html
    assert "05/12/2026" in html and "06/12/2026" in html


def test_receive_prints_slip_and_pin_once_and_never_twice(demo, clock):
    client = officer()
    _, key, docs = form_page(client)
    r = client.post("/desk/receive/1.001667/", body(key, docs))
    assert r.status_code == 302, r.content.decode()[:2000]
    code = re.search(r"/desk/receipt/([^/]+)/", r["Location"])[1]
    receipt = client.get(r["Location"]).content.decode()
    pin = re.search(r'id="pin">(\d{6})<', receipt)[1]
    assert f"/dossiers/{code}/forms/01/" in receipt and "08:00 09/12/2026" in receipt
    slip = client.get(f"/dossiers/{code}/forms/01/").content.decode()
    assert pin in slip
    # the same form again (double click, back + resubmit): the same dossier, once
    again = client.post("/desk/receive/1.001667/", body(key, docs))
    assert again.status_code == 302 and code in again["Location"]
    assert Dossier.objects.count() == 1
    d = Dossier.objects.get(code=code)
    assert d.status == "received" and d.applicant_phone == "0912345678"


def test_bad_applicant_input_is_shown_next_to_the_field_and_writes_nothing(demo, clock):
    client = officer()
    _, key, docs = form_page(client)
    r = client.post("/desk/receive/1.001667/", body(key, docs, id_number="12345", phone="abc"))
    assert r.status_code == 400
    html = r.content.decode()
    assert "12 chữ số" in html and "Số điện thoại không hợp lệ" in html
    assert 'value="Nguyễn Viết Anh"' in html  # what was typed stays
    assert Dossier.objects.count() == 0 and DossierEvent.objects.count() == 0


def test_receive_with_a_mandatory_document_missing_is_refused_with_the_way_out(demo, clock):
    client = officer()
    _, key, _docs = form_page(client)
    r = client.post("/desk/receive/1.001667/", body(key, []))
    assert r.status_code == 400
    assert "Còn thiếu giấy tờ bắt buộc" in r.content.decode()
    assert Dossier.objects.count() == 0


def test_supplement_at_reception_lists_unticked_documents(demo, clock):
    client = officer()
    _html, key, docs = form_page(client)
    r = client.post(
        "/desk/receive/1.001667/",
        body(key, docs[1:], outcome="supplement", missing_extra="Bản sao sổ hộ khẩu"),
    )
    assert r.status_code == 302 and r["Location"].endswith("?outcome=supplement")
    d = Dossier.objects.get()
    assert d.status == "awaiting_supplement"
    req = d.supplement_requests.get()
    assert "Bản sao sổ hộ khẩu" in req.items and len(req.items) >= 2
    assert "/forms/02/" in client.get(r["Location"]).content.decode()


def test_refusal_at_reception_needs_a_reason_and_prints_form_03(demo, clock):
    client = officer()
    _, key, docs = form_page(client)
    r = client.post("/desk/receive/1.001667/", body(key, docs, outcome="refuse"))
    assert r.status_code == 400 and "Cần ghi lý do từ chối tiếp nhận." in r.content.decode()
    assert Dossier.objects.count() == 0
    r = client.post(
        "/desk/receive/1.001667/",
        body(key, docs, outcome="refuse", refuse_reason="Không thuộc thẩm quyền"),
    )
    assert r.status_code == 302
    d = Dossier.objects.get()
    assert d.status == "refused"
    assert "/forms/03/" in client.get(r["Location"]).content.decode()


def test_return_desk_finds_and_returns(received, clock, api):
    code = received["code"]
    for who in ("handler", "leader"):
        api(BHXH[who]).post(f"/api/v1/dossiers/{code}/claim/", {}, format="json")
        api(BHXH[who]).post(f"/api/v1/dossiers/{code}/advance/", {}, format="json")
    client = officer()
    html = client.get("/desk/return/", {"q": "nguyen viet"}).content.decode()
    assert f'data-code="{code}"' in html
    assert (
        f'data-code="{code}"' not in client.get("/desk/return/", {"q": "khong co"}).content.decode()
    )
    r = client.post("/desk/act/return/", {"code": code, "method": "counter"})
    assert r.status_code == 302 and r["Location"] == f"/desk/return/?returned={code}"
    assert Dossier.objects.get(code=code).status == "returned"
    assert f"/dossiers/{code}/forms/06/" in client.get(r["Location"]).content.decode()
    assert client.get("/desk/act/return/").status_code == 405


def test_online_submissions_oldest_first_with_the_acceptance_deadline(demo, clock, api):
    from tests.integration.conftest import receipt_body

    first = api(DESK).post("/api/v1/dossiers/", receipt_body(channel="online"), format="json")
    assert first.status_code == 201, first.json()
    clock.advance(hours=1)
    second = api(DESK).post("/api/v1/dossiers/", receipt_body(channel="online"), format="json")
    client = officer()
    html = client.get("/desk/online/").content.decode()
    assert re.findall(r'<tr data-code="([^"]+)"', html) == [
        first.json()["code"],
        second.json()["code"],
    ]
    assert "08:00 01/12/2026" in html  # Mon 08:00 + 8 working hours → Tue 08:00
    r = client.post("/desk/act/accept/", {"code": first.json()["code"]})
    assert r.status_code == 302
    assert Dossier.objects.get(code=first.json()["code"]).status == "received"
    assert f'data-code="{first.json()["code"]}"' not in client.get("/desk/online/").content.decode()
