"""The friction register in a real Chromium against `missionos serve` with the demo loaded."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_the_register_ranks_the_weekly_cab_first_and_opens_its_price(
    page: Any, live_server: LiveServer
) -> None:
    page.goto(live_server.url + "/")
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Friction").click()
    page.wait_for_url("**/friction")
    first = page.locator("table.register tbody tr").first
    assert "weekly change advisory board" in first.inner_text()
    chart = page.locator("figure.cod svg[role='group'][aria-labelledby='cod-title']")  # its bars are links
    assert "weekly-cab" in (chart.locator("title").text_content() or "")
    first.get_by_role("link").click()
    page.wait_for_url("**/friction/weekly-cab")
    price = page.locator("section.price").inner_text()
    assert "a month" in price and "CD3" in price and "lead time goes from" in price


def test_a_cleared_blocker_shows_its_measured_effect(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/friction?status=cleared")
    page.get_by_role("link", name="Test environments booked through a shared spreadsheet").click()
    page.wait_for_url("**/friction/test-env-spreadsheet")
    effect = page.locator("section.effect").inner_text()
    assert "90 days before clearing" in effect and "Since clearing" in effect
