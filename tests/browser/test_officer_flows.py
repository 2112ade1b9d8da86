"""The officers' other jobs through the pages alone (issue 9): a supplement
asked at reception and after appraisal, an extension with form 04, a refusal
with form 03, a closure with form 05, and a leader's bulk assignment. Each
printed form is fetched as the officer's browser would (its PDF) and read
back with ``pdftotext``: the reason, the items and dd/mm/yyyy dates are on
the page, and no ISO date is."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, PASSWORD
from tests.browser.test_tracking_live import receive
from tests.browser.test_whole_day import act, person
from tests.integration.conftest import BHXH

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils"),
]
ISO_DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")


def pdf_text(pg, server, path: str) -> str:
    """The text of a form's PDF, fetched with the officer's session."""
    response = pg.request.get(server.url + path)
    assert response.status == 200, (path, response.status)
    assert response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF")
    out = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=body, capture_output=True, check=True
    )
    text = out.stdout.decode()
    assert not ISO_DATE.search(text), ISO_DATE.search(text)
    return " ".join(text.split())


def shot(pg, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}-1366.png"), full_page=True)


def status(pg):
    return pg.locator(".dossier-head .status")


def test_supplement_at_reception_gives_form_02(server, page):
    desk = person(page, server, BHXH["desk"])
    desk.goto(f"{server.url}/desk/receive/1.001667/")
    boxes = desk.locator('input[name^="doc_"]').all()
    assert len(boxes) >= 2
    for box in boxes[1:]:  # the first document was not brought
        box.check()
    missing = desk.locator(f'label[for="{boxes[0].get_attribute("id")}"]').inner_text()
    desk.fill("#id_full_name", "Lò Thị Sen")
    desk.fill("#id_id_number", "038190004321")
    desk.fill("#id_phone", "0987654321")
    desk.locator("details", has_text="yêu cầu bổ sung").locator("summary").click()
    desk.click('button[value="supplement"]')
    desk.wait_for_url(re.compile(r"/desk/receipt/"))
    expect(desk.locator("#print")).to_have_text("In Mẫu 02")
    code = desk.locator(".big-code").inner_text().strip()
    shot(desk, "desk-supplement")
    text = pdf_text(desk, server, f"/dossiers/{code}/forms/02.pdf")
    assert "PHIẾU YÊU CẦU BỔ SUNG" in text.upper()
    assert code in text and "Lò Thị Sen" in text
    first_words = " ".join(missing.split()[:4])
    assert first_words in text, (first_words, text[:600])
    assert re.search(r"\d\d/\d\d/20\d\d", text)


def test_supplement_after_appraisal_then_received_at_the_desk(server, page):
    code, _ = receive(server, {"desk": server.token(BHXH["desk"], PASSWORD)})
    handler = person(page, server, BHXH["handler"])
    handler.goto(f"{server.url}/dossiers/{code}/")
    act(handler, "claim")
    act(
        handler,
        "request-supplement",
        items="Bản sao sổ bảo hiểm xã hội\nGiấy ra viện có xác nhận của bệnh viện",
        reason="Giấy ra viện chưa có dấu của bệnh viện",
    )
    expect(status(handler)).to_have_text("Chờ bổ sung")
    expect(handler.locator(".flash.ok a")).to_have_text(re.compile("Mẫu 02"))
    text = pdf_text(handler, server, f"/dossiers/{code}/forms/02.pdf")
    assert "Bản sao sổ bảo hiểm xã hội" in text and "Giấy ra viện chưa có dấu" in text

    desk = person(page, server, BHXH["desk"])
    desk.goto(f"{server.url}/dossiers/{code}/")
    act(desk, "supplement", note="Đã nhận đủ giấy tờ bổ sung")
    expect(status(desk)).to_have_text("Đang giải quyết")
    expect(desk.locator("#dossier-live")).to_contain_text("Nhận hồ sơ bổ sung")
    shot(desk, "dossier-supplemented")


def test_extension_gives_form_04_with_the_new_appointment(server, page):
    code, _ = receive(server, {"desk": server.token(BHXH["desk"], PASSWORD)})
    handler = person(page, server, BHXH["handler"])
    handler.goto(f"{server.url}/dossiers/{code}/")
    act(handler, "claim")
    from config.clock import local_now

    new_due = local_now().date() + dt.timedelta(days=45)
    while new_due.weekday() >= 5:
        new_due += dt.timedelta(days=1)
    act(
        handler,
        "extend",
        new_due_at=f"{new_due.isoformat()}T16:00",
        reason="Cần xác minh thêm với đơn vị sử dụng lao động",
    )
    expect(handler.locator(".flash.ok a")).to_have_text(re.compile("Mẫu 04"))
    expect(handler.locator(".dossier-head")).to_contain_text(f"16:00 {new_due:%d/%m/%Y}")
    shot(handler, "dossier-extended")
    text = pdf_text(handler, server, f"/dossiers/{code}/forms/04.pdf")
    assert "Cần xác minh thêm với đơn vị sử dụng lao động" in text
    assert f"{new_due:%d/%m/%Y}" in text


def test_refusal_after_appraisal_gives_form_03(server, page):
    code, _ = receive(server, {"desk": server.token(BHXH["desk"], PASSWORD)})
    handler = person(page, server, BHXH["handler"])
    handler.goto(f"{server.url}/dossiers/{code}/")
    act(handler, "claim")
    act(handler, "refuse", reason="Người lao động không thuộc đối tượng hưởng chế độ ốm đau")
    expect(status(handler)).to_have_text("Từ chối")
    expect(handler.locator(".flash.ok a")).to_have_text(re.compile("Mẫu 03"))
    shot(handler, "dossier-refused")
    text = pdf_text(handler, server, f"/dossiers/{code}/forms/03.pdf")
    assert "không thuộc đối tượng hưởng chế độ ốm đau" in text


@pytest.fixture
def supplement_overdue(demo_live):
    """A dossier whose supplement was asked 30 days ago and never brought
    (set up through the services, as of then; the page acts today)."""
    from django.contrib.auth.models import User

    from config.clock import frozen, now
    from workflows.services.actions import dossier_act
    from workflows.services.intake import Applicant, dossier_receive

    desk = User.objects.get(username=BHXH["desk"])
    handler = User.objects.get(username=BHXH["handler"])
    with frozen(now() - dt.timedelta(days=30)):
        receipt = dossier_receive(
            actor=desk,
            procedure="1.001667",
            centre="14797",
            channel="in_person",
            applicant=Applicant(
                full_name="Cầm Văn Pọm", id_number="038080007777", phone="0911222333"
            ),
        )
        code = receipt.dossier.code
        dossier_act(actor=handler, code=code, action="claim")
        dossier_act(
            actor=handler,
            code=code,
            action="request-supplement",
            reason="Thiếu giấy ra viện",
            items=["Giấy ra viện"],
        )
    return code


def test_closure_after_the_supplement_never_came_gives_form_05(supplement_overdue, server, page):
    code = supplement_overdue
    desk = person(page, server, BHXH["desk"])
    desk.goto(f"{server.url}/dossiers/{code}/")
    expect(status(desk)).to_have_text("Chờ bổ sung")
    act(desk, "close")
    expect(status(desk)).to_have_text("Dừng giải quyết")
    expect(desk.locator(".flash.ok a")).to_have_text(re.compile("Mẫu 05"))
    expect(desk.locator(".prints")).to_contain_text("Mẫu 05")
    shot(desk, "dossier-closed")
    text = pdf_text(desk, server, f"/dossiers/{code}/forms/05.pdf")
    assert "DỪNG GIẢI QUYẾT" in text.upper() and code in text and "Cầm Văn Pọm" in text


def test_a_leader_assigns_several_dossiers_at_once(server, page):
    tokens = {"desk": server.token(BHXH["desk"], PASSWORD)}
    codes = [receive(server, tokens)[0] for _ in range(3)]
    leader = person(page, server, BHXH["leader"])
    leader.goto(f"{server.url}/inbox/?tab=all")
    for code in codes[:2]:
        leader.locator(f'tr[data-code="{code}"] input[name="codes"]').check()
    leader.select_option("#bulk-officer", BHXH["handler"])
    leader.click('button[name="action"][value="assign"]')
    flash = leader.locator(".flash.ok")
    expect(flash).to_contain_text("Phân công: 2 hồ sơ")
    for code in codes[:2]:
        expect(flash).to_contain_text(code)
    shot(leader, "inbox-bulk-assigned")

    handler = person(page, server, BHXH["handler"])
    handler.goto(f"{server.url}/inbox/?tab=mine")
    for code in codes[:2]:
        expect(handler.locator(f'tr[data-code="{code}"]')).to_be_visible()
    expect(handler.locator(f'tr[data-code="{codes[2]}"]')).to_have_count(0)
