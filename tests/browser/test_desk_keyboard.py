"""A desk officer receives a dossier with the keyboard alone, prints the
receipt slip, and the handler sees it appear in the unit's queue without a
reload (issue 9). The time from the procedure search to the receipt is
printed (``keyboard receipt: N.N s``) for the record."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, PASSWORD
from tests.integration.conftest import BHXH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, server, username):
    page.goto(f"{server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.wait_for_load_state("networkidle")


def test_receive_by_keyboard_then_the_queue_updates_live(server, page):
    handler = page.context.browser.new_context(
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    ).new_page()
    sign_in(handler, server, BHXH["handler"])
    handler.goto(f"{server.url}/inbox/?tab=queue")
    expect(handler.locator("tbody tr")).to_have_count(1)  # "no dossier" row
    sign_in(page, server, BHXH["desk"])
    page.set_viewport_size({"width": 1366, "height": 768})
    assert page.url.endswith("/desk/receive/")

    expect(page.locator("#q")).to_be_focused()
    started = time.monotonic()
    page.keyboard.type("che do om dau")
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#results a").first).to_be_focused()
    page.keyboard.press("Enter")  # the first result has the focus
    page.wait_for_url(re.compile(r"/desk/receive/1\.001667/$"))
    expect(page.locator(".appointment")).to_contain_text("hẹn trả kết quả")
    expect(page.locator('input[name^="doc_"]').first).to_be_focused()
    boxes = page.locator('input[type="checkbox"][name^="doc_"]').count()
    for _i in range(boxes):
        page.keyboard.press("Space")
        page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past "other documents"
    page.keyboard.type("Nguyễn Viết Anh")
    page.keyboard.press("Tab")
    page.keyboard.type("038090001234")
    page.keyboard.press("Tab")
    page.keyboard.type("0912345678")
    page.keyboard.press("Enter")  # the form's first button: receive
    page.wait_for_url(re.compile(r"/desk/receipt/"))
    elapsed = time.monotonic() - started
    print(f"keyboard receipt: {elapsed:.1f} s")
    expect(page.locator("#pin")).to_have_text(re.compile(r"^\d{6}$"))
    code = page.locator(".big-code").inner_text().strip()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "desk-receipt-1366.png"), full_page=True)

    # the handler's queue shows it without a reload
    expect(handler.locator(f'tr[data-code="{code}"]')).to_be_visible(timeout=8_000)
    handler.screenshot(path=str(ARTIFACTS / "inbox-queue-1366.png"), full_page=True)
