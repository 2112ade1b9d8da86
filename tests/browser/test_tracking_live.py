"""The citizen's tracking page follows the dossier live.

Chromium opens ``/track/?code=…&pin=…`` on a live Daphne server; officers act
through the same server's REST API; the page shows each new status without a
reload (its WebSocket receives ``dossier.updated``, broadcast after commit).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.integration.conftest import receipt_body

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE_UPDATE_MS = 5_000  # how long the page may take to show an officer's action


def receive(server, tokens) -> tuple[str, str]:
    """A dossier received at the desk of Hạc Thành through the server's API."""
    r = server.post("/api/v1/dossiers/", receipt_body(), token=tokens["desk"])
    assert r.status == 201, r.body
    assert r.body["status"] == "received"
    return r.body["code"], r.body["tracking_pin"]


def act(server, token: str, code: str, action: str, body: dict | None = None) -> dict:
    r = server.post(f"/api/v1/dossiers/{code}/{action}/", body or {}, token=token)
    assert r.status == 200, (action, r.status, r.body)
    return r.body


def timeline(page) -> list[str]:
    return page.locator("#timeline li").evaluate_all("items => items.map(li => li.dataset.status)")


def test_page_shows_officer_actions_without_reload(server, tokens, page):
    code, pin = receive(server, tokens)
    navigations: list[str] = []

    page.goto(f"{server.url}/track/?code={code}&pin={pin}")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
    status = page.locator("#status")
    expect(status).to_have_attribute("data-status", "received")
    expect(status).to_have_text("Đã tiếp nhận")
    assert timeline(page) == ["received"]
    # From here on the page must never load again: a marker in the window
    # survives only if it does not, and the frame must not navigate.
    page.evaluate("window.__marker = 1")
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    act(server, tokens["handler"], code, "claim")
    expect(status).to_have_attribute("data-status", "in_progress", timeout=LIVE_UPDATE_MS)
    expect(status).not_to_have_text("Đã tiếp nhận")
    assert page.evaluate("window.__marker") == 1
    assert timeline(page) == ["received", "in_progress"]

    act(server, tokens["handler"], code, "advance", {"note": "Đủ điều kiện hưởng"})
    act(server, tokens["leader"], code, "claim")
    act(server, tokens["leader"], code, "advance", {"result": "Quyết định số 123/QĐ-BHXH"})
    expect(status).to_have_attribute("data-status", "result_ready", timeout=LIVE_UPDATE_MS)
    expect(page.locator("#timeline li")).to_have_count(3)
    assert timeline(page) == ["received", "in_progress", "result_ready"]
    expect(page.locator("#ended-at")).not_to_have_text("–")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
    assert page.evaluate("window.__marker") == 1
    assert navigations == []


def test_wrong_pin_shows_the_error_and_no_result(server, tokens, page):
    code, pin = receive(server, tokens)
    wrong = f"{(int(pin) + 1) % 1_000_000:06d}"

    page.goto(f"{server.url}/track/?code={code}&pin={wrong}")
    message = page.locator("#message")
    expect(message).to_be_visible()
    expect(message).to_have_class("error")
    expect(message).to_contain_text("Không tìm thấy hồ sơ")
    expect(page.locator("#result")).to_be_hidden()
    expect(page.locator("#status")).to_have_attribute("data-status", "")
    expect(page.locator("#timeline li")).to_have_count(0)
    assert code not in page.locator("#result").inner_text()
    expect(page.locator("#live-state")).to_have_attribute("data-state", "off")


def test_page_says_why_live_supplement_then_refusal(server, tokens, page):
    """Issue 9, point 6: what to bring and why, then the refusal's reason,
    arrive on the open page without a reload (the page asks the socket for
    the full state after such events). Screenshot at 375 px for the record."""
    from tests.browser.conftest import ARTIFACTS

    code, pin = receive(server, tokens)
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{server.url}/track/?code={code}&pin={pin}")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
    act(server, tokens["handler"], code, "claim")
    act(
        server,
        tokens["handler"],
        code,
        "request-supplement",
        {"reason": "Giấy ra viện bị mờ, không đọc được", "items": ["Giấy ra viện (bản rõ nét)"]},
    )
    expect(page.locator("#supplement-items li")).to_have_text(
        ["Giấy ra viện (bản rõ nét)"], timeout=LIVE_UPDATE_MS
    )
    expect(page.locator("#supplement-reason")).to_have_text(
        "Lý do: Giấy ra viện bị mờ, không đọc được"
    )
    expect(page.locator("#supplement-deadline")).to_contain_text("Hạn bổ sung:")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "track-supplement-375.png"), full_page=True)

    act(server, tokens["desk"], code, "supplement")
    act(server, tokens["handler"], code, "refuse", {"reason": "Không đủ điều kiện <b>hưởng</b>"})
    refusal = page.locator("#refusal")
    expect(refusal).to_have_text(
        "Lý do từ chối: Không đủ điều kiện <b>hưởng</b>", timeout=LIVE_UPDATE_MS
    )
    expect(page.locator("#supplement")).to_be_hidden()
    page.screenshot(path=str(ARTIFACTS / "track-refused-375.png"), full_page=True)
