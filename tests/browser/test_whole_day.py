"""A whole day through the pages alone (issue 9): the desk receives, the
handler claims and appraises on the dossier page, the leader approves, the
desk hands the result back, and the citizen's tracking page follows live."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, PASSWORD
from tests.integration.conftest import BHXH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LIVE = 8_000


def person(page, server, username):
    pg = page.context.browser.new_context(
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", viewport={"width": 1366, "height": 768}
    ).new_page()
    pg.set_default_timeout(10_000)
    pg.goto(f"{server.url}/accounts/login/")
    pg.fill("#id_username", username)
    pg.fill("#id_password", PASSWORD)
    pg.keyboard.press("Enter")
    pg.wait_for_url(lambda url: "/accounts/login/" not in url)
    return pg


def act(pg, action, **fields):
    box = pg.locator(f'details[data-action="{action}"]')
    box.locator("summary").click()
    for name, value in fields.items():
        box.locator(f'[name="{action}-{name}"]').fill(value)
    box.locator('button[type="submit"]').click()
    pg.wait_for_url(re.compile(rf"\?done={action}$"))
    expect(pg.locator(".flash.ok")).to_be_visible()


def test_a_whole_day_through_the_pages(server, page):
    desk = person(page, server, BHXH["desk"])
    desk.goto(f"{server.url}/desk/receive/1.001667/")
    for box in desk.locator('input[name^="doc_"]').all():
        box.check()
    desk.fill("#id_full_name", "Nguyễn Viết Anh")
    desk.fill("#id_id_number", "038090001234")
    desk.fill("#id_phone", "0912345678")
    desk.click('button[value="receive"]')
    desk.wait_for_url(re.compile(r"/desk/receipt/"))
    code = desk.locator(".big-code").inner_text().strip()
    pin = desk.locator("#pin").inner_text().strip()

    citizen = page  # the citizen's phone
    citizen.set_viewport_size({"width": 375, "height": 812})
    citizen.goto(f"{server.url}/track/?code={code}&pin={pin}")
    expect(citizen.locator("#live-state")).to_have_attribute("data-state", "live")
    status = citizen.locator("#status")
    expect(status).to_have_attribute("data-status", "received")

    handler = person(page, server, BHXH["handler"])
    handler.goto(f"{server.url}/dossiers/{code}/")
    act(handler, "claim")
    expect(status).to_have_attribute("data-status", "in_progress", timeout=LIVE)
    act(handler, "advance", note="Đủ điều kiện hưởng")
    expect(handler.locator(".timeline")).to_contain_text("Ý kiến: Đủ điều kiện hưởng")

    leader = person(page, server, BHXH["leader"])
    leader.goto(f"{server.url}/inbox/?tab=queue")
    leader.locator(f'tr[data-code="{code}"] a').click()
    act(leader, "claim")
    act(leader, "advance", result="Quyết định số 123/QĐ-BHXH")
    expect(status).to_have_attribute("data-status", "result_ready", timeout=LIVE)
    leader.screenshot(path=str(ARTIFACTS / "dossier-approved-1366.png"), full_page=True)

    desk.goto(f"{server.url}/desk/return/")
    desk.fill("#q", code)
    desk.keyboard.press("Enter")
    row = desk.locator(f'tr[data-code="{code}"]')
    expect(row).to_be_visible()
    row.locator("select").select_option("counter")
    row.locator("button").click()
    expect(desk.locator(".flash.ok")).to_contain_text("Đã trả kết quả")
    expect(desk.locator(f'a[href="/dossiers/{code}/forms/06/"]')).to_be_visible()

    expect(status).to_have_attribute("data-status", "returned", timeout=LIVE)
    expect(citizen.locator("#rating-form")).to_be_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    citizen.screenshot(path=str(ARTIFACTS / "track-returned-375.png"), full_page=True)


def test_a_claim_after_someone_else_acted_is_told_on_the_fresh_state(server, page):
    """Two pages open on the same step (here the unit's one handler in two
    windows, as the demo unit has one specialist); the second claim loses."""
    from tests.browser.test_tracking_live import receive

    tokens = {"desk": server.token(BHXH["desk"], PASSWORD)}
    code, _ = receive(server, tokens)
    first = person(page, server, BHXH["handler"])
    second = first.context.new_page()
    for pg in (first, second):
        pg.goto(f"{server.url}/dossiers/{code}/")
        pg.locator('details[data-action="claim"] summary').click()
    first.locator('details[data-action="claim"] button').click()
    first.wait_for_url(re.compile(r"\?done=claim$"))
    # The second window hears of the claim but keeps the form its officer opened.
    expect(second.locator("#live-note")).to_be_visible()
    second.locator('details[data-action="claim"] button').click()
    expect(second.locator(".flash.error")).to_be_visible()
    expect(second.locator(".dossier-head .status")).to_have_text("Đang giải quyết")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    second.screenshot(path=str(ARTIFACTS / "dossier-conflict-1366.png"), full_page=True)
