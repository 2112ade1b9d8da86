"""The statutory forms as PDF (issue 9, point 5): the same page as the
browser's print, laid out by WeasyPrint on A4, under the same scope rule."""

from __future__ import annotations

import datetime as dt
import re
import zlib

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.integration.conftest import BHXH, ICT, receipt_body
from workflows.printing import pdf_document
from workflows.services.escalation import deadlines_sweep

pytestmark = pytest.mark.django_db


def act(client, code, action, body=None):
    r = client.post(f"/api/v1/dossiers/{code}/{action}/", body or {}, format="json")
    assert r.status_code < 300, r.json()
    return r.json()


def officer(username: str = BHXH["desk"]) -> Client:
    page = Client()
    page.force_login(User.objects.get(username=username))
    return page


def pdf_of(page: Client, code: str, form: str) -> bytes:
    r = page.get(f"/dossiers/{code}/forms/{form}.pdf")
    assert r.status_code == 200, r.content[:500]
    assert r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"] == f'inline; filename="{code}-mau-{form}.pdf"'
    assert r.content.startswith(b"%PDF-")
    return r.content


def pages_of(page: Client, code: str, form: str) -> int:
    """The A4 sheets WeasyPrint lays the form out on (the PDF view's own HTML)."""
    html = page.get(f"/dossiers/{code}/forms/{form}/")
    assert html.status_code == 200
    return len(pdf_document(html.content.decode()).pages)


def pdf_text_objects(pdf: bytes) -> bytes:
    """Every stream of the PDF, inflated where compressed: enough to read the
    fonts' names and their glyph-to-Unicode maps without a PDF library."""
    chunks = [pdf]
    for match in re.finditer(rb"stream\r?\n", pdf):
        try:
            chunks.append(zlib.decompressobj().decompress(pdf[match.end() :]))
        except zlib.error:
            continue
    return b"\n".join(chunks)


def fonts_and_letters(pdf: bytes) -> tuple[set[str], set[str]]:
    """The font families embedded, and the characters drawn with them."""
    text = pdf_text_objects(pdf)
    names = set(re.findall(rb"/BaseFont\s*/[A-Z]{6}\+([A-Za-z0-9-]+)", text))
    families = {re.sub(r"(-(Bold|Italic|Oblique|Regular))+$", "", n.decode()) for n in names}
    letters = {
        chr(int(u, 16))
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S)
        for u in re.findall(rb"<[0-9a-fA-F]+>\s*<([0-9a-fA-F]{4})>", block)
    }
    return families, letters


# --- 1. every form as a PDF --------------------------------------------------------------


def test_each_form_is_a_pdf_named_after_the_dossier(received, clock, api):
    code = received["code"]
    page = officer()
    pdf_of(page, code, "01")
    pdf_of(page, code, "06")
    handler = api(BHXH["handler"])
    act(handler, code, "claim")
    act(handler, code, "request-supplement", {"reason": "Thiếu", "items": ["Giấy ra viện"]})
    pdf_of(page, code, "02")
    act(api(BHXH["desk"]), code, "supplement")
    act(
        api(BHXH["leader"]),
        code,
        "extend",
        {"reason": "Chờ xác minh", "new_due_at": "2026-12-20T08:00:00+07:00"},
    )
    pdf_of(page, code, "04")
    act(handler, code, "refuse", {"reason": "Không đủ điều kiện"})
    pdf_of(page, code, "03")


@pytest.mark.vietnamese_fonts
def test_vietnamese_letters_are_drawn_in_one_serif_font(received):
    """ư ơ ạ ễ come out of the same font as the rest of the text: no letter
    falls back to another font (Debian's fonts-liberation 1.07 has no
    Vietnamese; fonts-liberation2 has)."""
    families, letters = fonts_and_letters(pdf_of(officer(), received["code"], "01"))
    assert len(families) == 1, families
    assert {"ư", "ơ", "ạ", "ễ", "Ộ", "Đ"} <= letters


def test_pdf_follows_the_scope_rule_and_the_login(received, api):
    code = received["code"]
    elsewhere = api("samson.bhxh.motcua").post(
        "/api/v1/dossiers/", receipt_body(centre="16531"), format="json"
    )
    assert elsewhere.status_code == 201
    page = officer()
    assert page.get(f"/dossiers/{elsewhere.json()['code']}/forms/01.pdf").status_code == 404
    assert page.get("/dossiers/38.14797-261130-0999/forms/01.pdf").status_code == 404
    assert officer("samson.motcua").get(f"/dossiers/{code}/forms/06.pdf").status_code == 404
    assert Client().get(f"/dossiers/{code}/forms/01.pdf").status_code == 302
    assert page.get(f"/dossiers/{code}/forms/09.pdf").status_code == 404


def test_a_form_that_does_not_apply_refuses_as_in_the_browser(received):
    """No supplement was asked: form 02 answers the same Vietnamese 404 page."""
    r = officer().get(f"/dossiers/{received['code']}/forms/02.pdf")
    assert r.status_code == 404
    assert r["Content-Type"].startswith("text/html")
    assert "Hồ sơ chưa có yêu cầu bổ sung." in r.content.decode()


# --- 2. the receipt slip on one A4 sheet -----------------------------------------------------

TWELVE_DOCUMENTS = [
    {"name": name, "kind": kind, "quantity": quantity}
    for name, kind, quantity in [
        ("Giấy ra viện", "copy", 1),
        ("Giấy chứng nhận nghỉ việc hưởng bảo hiểm xã hội", "original", 1),
        ("Tờ khai đề nghị hưởng chế độ ốm đau (mẫu 01B-HSB)", "original", 1),
        ("Bản sao sổ bảo hiểm xã hội", "certified_copy", 1),
        ("Căn cước của người lao động", "copy", 1),
        ("Giấy khai sinh của con (trường hợp con ốm)", "certified_copy", 1),
        ("Biên bản giám định mức suy giảm khả năng lao động", "copy", 1),
        ("Trích sao hồ sơ bệnh án điều trị nội trú", "certified_copy", 2),
        ("Giấy xác nhận của người sử dụng lao động", "original", 1),
        ("Danh sách người lao động đề nghị hưởng chế độ", "original", 2),
        ("Văn bản ủy quyền nhận thay (nếu có)", "original", 1),
        ("Giấy tờ chứng minh tài khoản ngân hàng nhận tiền", "copy", 1),
    ]
]


def test_the_receipt_slip_fits_one_a4_sheet(received):
    assert pages_of(officer(), received["code"], "01") == 1


def test_the_receipt_slip_fits_one_sheet_with_twelve_documents(demo, clock, api):
    r = api(BHXH["desk"]).post(
        "/api/v1/dossiers/", receipt_body(documents=TWELVE_DOCUMENTS), format="json"
    )
    assert r.status_code == 201, r.json()
    code = r.json()["code"]
    page = officer()
    assert pages_of(page, code, "01") == 1
    html = page.get(f"/dossiers/{code}/forms/01/").content.decode()
    assert html.count('<td class="no">') == 12
    pdf_of(page, code, "01")
    # waiting for a supplement, item 5 says why there is no appointment: still one sheet
    handler = api(BHXH["handler"])
    act(handler, code, "claim")
    act(handler, code, "request-supplement", {"reason": "Thiếu", "items": ["Giấy ra viện"]})
    assert "chưa có hẹn" in page.get(f"/dossiers/{code}/forms/01/").content.decode()
    assert pages_of(page, code, "01") == 1


# --- 3. the defects ------------------------------------------------------------------------


def html_of(page: Client, code: str, form: str) -> str:
    r = page.get(f"/dossiers/{code}/forms/{form}/")
    assert r.status_code == 200
    return r.content.decode()


def test_slip_of_a_dossier_waiting_for_a_supplement_says_there_is_no_appointment(
    received, clock, api
):
    code = received["code"]
    handler = api(BHXH["handler"])
    act(handler, code, "claim")
    act(handler, code, "request-supplement", {"reason": "Thiếu", "items": ["Giấy ra viện"]})
    page = officer()
    for form in ("01", "06"):
        html = html_of(page, code, form)
        assert not re.search(r"giờ\s+phút", html), form  # no empty "giờ phút, ngày ."
        assert "08 giờ 00 phút, ngày 30/11/2026" in html  # received: Mon 30/11 08:00
        assert "chưa có hẹn: hồ sơ chờ bổ sung đến 08:00 15/12/2026" in html
        assert "tính lại từ đầu" in html and "khoản 5 Điều 19" in html
    assert "tạm dừng: chờ công dân bổ sung hồ sơ" in html_of(page, code, "06")
    pdf_of(page, code, "01")
    # the complete dossier is back: a new appointment, 7 working days from now
    act(api(BHXH["desk"]), code, "supplement")
    html = html_of(page, code, "01")
    assert "chưa có hẹn" not in html and "08 giờ 00 phút, ngày 09/12/2026" in html


def test_slip_of_an_incomplete_dossier_at_the_desk_was_not_received_yet(demo, clock, api):
    r = api(BHXH["desk"]).post(
        "/api/v1/dossiers/",
        receipt_body(complete=False, missing_items=["Giấy ra viện"]),
        format="json",
    )
    assert r.status_code == 201, r.json()
    html = html_of(officer(), r.json()["code"], "01")
    assert not re.search(r"giờ\s+phút", html)
    assert "4. Thời gian nhận hồ sơ: <b>—</b> <i>(chưa tiếp nhận: hồ sơ chưa đầy đủ" in html
    assert "đã nhận hồ sơ (chưa tiếp nhận) của:" in html and "đã tiếp nhận hồ sơ của" not in html
    assert "chưa có hẹn: hồ sơ chờ bổ sung đến 08:00 15/12/2026" in html


def test_slip_of_a_closed_dossier_has_no_appointment_left(received, clock, api):
    code = received["code"]
    handler = api(BHXH["handler"])
    act(handler, code, "claim")
    act(handler, code, "request-supplement", {"reason": "Thiếu", "items": ["Giấy ra viện"]})
    clock.advance(days=15)
    act(api(BHXH["desk"]), code, "close")
    html = html_of(officer(), code, "01")
    assert not re.search(r"giờ\s+phút", html)
    assert "không còn hẹn trả: hồ sơ đã dừng giải quyết lúc 08:00 15/12/2026" in html


def test_supplement_request_prints_its_deadline_as_a_vietnamese_date(received, clock, api):
    code = received["code"]
    handler = api(BHXH["handler"])
    act(handler, code, "claim")
    act(handler, code, "request-supplement", {"reason": "Thiếu", "items": ["Giấy ra viện"]})
    html = html_of(officer(), code, "02")
    assert "2026-12-15" not in html
    assert "Thời hạn bổ sung: trước <b>08 giờ 00 phút, ngày 15/12/2026</b>" in html


def test_control_sheet_prints_the_return_method_label_not_its_code(received, api):
    code = received["code"]
    for who in ("handler", "leader"):
        act(api(BHXH[who]), code, "claim")
        act(api(BHXH[who]), code, "advance")
    act(api(BHXH["desk"]), code, "return", {"method": "counter"})
    page = officer()
    html = html_of(page, code, "06")
    assert "Trả kết quả: counter" not in html
    assert "<td>Trả kết quả: Tại quầy</td>" in html
    assert "Hình thức trả kết quả: Tại quầy" in html
    # a statutory form stays Vietnamese whatever language the officer's browser asks for
    english = page.get(f"/dossiers/{code}/forms/06/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Trả kết quả: Tại quầy" in english.content.decode()
    assert english["Content-Language"] == "vi"
    pdf_of(page, code, "06")


# --- 4. form 05: the stop notice ---------------------------------------------------------


def _waiting_for_a_supplement(code, api):
    handler = api(BHXH["handler"])
    act(handler, code, "claim")
    act(
        handler,
        code,
        "request-supplement",
        {"reason": "Thiếu giấy tờ", "items": ["Giấy ra viện bản sao có chứng thực", "Sổ BHXH"]},
    )


def test_stop_notice_of_a_dossier_closed_by_the_sweep(received, clock, api):
    code = received["code"]
    _waiting_for_a_supplement(code, api)
    # Fifteen days on, five minutes past the deadline, the sweep stops the dossier.
    moment = clock.set(dt.datetime(2026, 12, 15, 8, 5, tzinfo=ICT))
    assert deadlines_sweep(now=moment)["supplement_expired"] == 1
    page = officer()
    html = html_of(page, code, "05")
    assert "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in html.upper()
    for text in (
        "Trung tâm Phục vụ hành chính công Phường Hạc Thành",  # the centre
        code,
        "Nguyễn Viết Anh",
        "Giải quyết hưởng chế độ ốm đau",  # the procedure
        "Lúc 08 giờ 00 phút, ngày 30/11/2026, Trung tâm Phục vụ hành chính công Phường Hạc "
        "Thành đã tiếp nhận",  # received
        "Lúc 08 giờ 00 phút, ngày 30/11/2026, Bộ phận nghiệp vụ BHXH đã yêu cầu",  # asked
        "Giấy ra viện bản sao có chứng thực",
        "Sổ BHXH",
        "Thời hạn bổ sung: trước <b>08 giờ 00 phút, ngày 15/12/2026</b> (15 ngày",
        "Đến <b>08 giờ 05 phút, ngày 15/12/2026</b>, đã quá thời hạn",  # closed
        "Căn cứ khoản 5 Điều 19 Nghị định số 118/2025/NĐ-CP",
        "tự động, khi hết thời hạn bổ sung",
    ):
        assert text in html, text
    pdf_of(page, code, "05")
    assert pages_of(page, code, "05") == 1


def test_stop_notice_names_the_officer_who_closed_it(received, clock, api):
    code = received["code"]
    _waiting_for_a_supplement(code, api)
    clock.advance(days=15, hours=1)
    act(api(BHXH["desk"]), code, "close")
    html = html_of(officer(), code, "05")
    assert "Dừng giải quyết: Phạm Văn Hùng (Bộ phận một cửa BHXH tại trung tâm)." in html
    assert "Đến <b>09 giờ 00 phút, ngày 15/12/2026</b>" in html


def test_stop_notice_only_for_a_closed_dossier(received, clock, api):
    code = received["code"]
    page = officer()
    message = "Hồ sơ không bị dừng giải quyết"
    for url in (f"/dossiers/{code}/forms/05/", f"/dossiers/{code}/forms/05.pdf"):
        r = page.get(url)
        assert r.status_code == 404 and message in r.content.decode()
    # waiting, and then withdrawn: still no stop notice
    _waiting_for_a_supplement(code, api)
    assert page.get(f"/dossiers/{code}/forms/05.pdf").status_code == 404
    act(api(BHXH["desk"]), code, "withdraw", {"reason": "Công dân rút hồ sơ"})
    r = page.get(f"/dossiers/{code}/forms/05/")
    assert r.status_code == 404 and message in r.content.decode()
    # and another centre's officer never sees one
    clock.advance(days=15)
    assert officer("samson.motcua").get(f"/dossiers/{code}/forms/05/").status_code == 404


def test_the_dossier_admin_links_every_form_and_its_pdf(received):
    from workflows.models import Dossier

    code = received["code"]
    pk = Dossier.objects.get(code=code).pk
    html = officer("admin").get(f"/admin/workflows/dossier/{pk}/change/").content.decode()
    for form in ("01", "02", "03", "04", "05", "06"):
        assert f"/dossiers/{code}/forms/{form}/" in html
        assert f"/dossiers/{code}/forms/{form}.pdf" in html
