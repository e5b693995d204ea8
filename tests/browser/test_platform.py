"""The platform page in a real Chromium against `missionos serve` with the demo loaded."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_the_page_says_payments_is_blocked_by_what_no_one_has_deployed_with(
    page: Any, live_server: LiveServer
) -> None:
    page.goto(live_server.url + "/")
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Platform").click()
    page.wait_for_url("**/platform")
    summary = " ".join(page.locator("section.summary").inner_text().split())
    assert "No one has ever deployed with language go and service message-queue." in summary
    assert "Payments cannot ship yet" in summary and "payments-hello has not reached production" in summary
    first = page.locator("table.teams tbody tr").first
    assert "Payments" in first.inner_text() and "blocked" in first.inner_text()
    never = page.locator("table.offers tbody tr", has_text="never deployed with")
    assert never.count() == 2
    python = page.locator("table.offers tbody tr", has_text="python").inner_text()
    assert "verified" in python and "its SBOM lists pkg:pypi packages" in python
    page.get_by_text("What Payments needs").click()
    needs = page.locator("details.needs[open]").inner_text()
    assert "go: unverified" in " ".join(needs.split()) and "postgres: verified by intake-api" in needs


def test_the_page_fits_a_phone(page: Any, live_server: LiveServer) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/platform")
    overflow = page.evaluate(
        "[...document.querySelectorAll('main > *')].filter(e => e.getBoundingClientRect().right > 391).length"
    )
    assert overflow == 0
    assert page.locator("table.teams").is_visible()


def test_a_team_declares_its_needs_on_the_page_and_sees_its_gap(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/platform")
    page.get_by_text("Declare what a team needs").click()
    form = page.locator("details.declare form")
    form.get_by_label("Team").fill("Records")
    form.get_by_label("Created on").fill("2026-10-01")
    form.get_by_label("Languages, comma-separated").fill("go, python")
    form.get_by_label("Backing services, comma-separated").fill("postgres")
    assert form.locator("#hint-languages").inner_text() == "Offered: go, java, javascript, python"
    form.get_by_role("button", name="Declare").click()
    page.wait_for_url("**/platform#team-records")
    row = page.locator("#team-records").inner_text()
    assert "blocked" in row and "go" in row and "python" not in row
