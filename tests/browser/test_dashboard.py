"""A manager follows a dashboard figure to its dossiers (issue 10): the
figure, the inbox list it opens and the list's count agree; the dashboard
refreshes by itself when a dossier comes in."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_tracking_live import act, receive
from tests.browser.test_whole_day import person
from tests.integration.conftest import BHXH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_figure_opens_its_list_and_the_board_refreshes(server, tokens, page):
    codes = [receive(server, tokens)[0] for _ in range(3)]
    act(server, tokens["handler"], codes[0], "claim")
    manager = person(page, server, BHXH["manager"])
    manager.goto(f"{server.url}/")
    manager.wait_for_url(f"{server.url}/dashboard/")
    manager.goto(f"{server.url}/dashboard/?period=today")
    received = manager.locator("#f-received")
    expect(received).to_have_text("3")
    manager.screenshot(path="test-results/browser/dashboard-1366.png", full_page=True)
    received.click()
    manager.wait_for_url(lambda url: "/inbox/" in url)
    expect(manager.locator("#drill-count")).to_have_text("3")
    listed = manager.locator("table.inbox tbody tr[data-code]").evaluate_all(
        "rows => rows.map(r => r.dataset.code)"
    )
    assert sorted(listed) == sorted(codes)
    # who holds what: the handler holds one
    manager.go_back()
    row = manager.locator("table.report tr", has_text="Bộ phận nghiệp vụ BHXH").first
    expect(row).to_be_visible()
    # a fourth dossier: the figure follows without a reload (at most 30 s)
    receive(server, tokens)
    expect(manager.locator("#f-received")).to_have_text("4", timeout=40_000)
