"""The organization page in a real Chromium against `missionos serve` with the demo loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_the_page_shows_each_team_and_a_service_link_opens_its_delivery_page(
    page: Any, live_server: LiveServer
) -> None:
    page.goto(live_server.url + "/")
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Organization").click()
    page.wait_for_url("**/org")
    assert page.get_by_role("heading", name="Organization", level=1).is_visible()
    for team in ("Intake", "Eligibility", "Payments", "Platform"):
        assert page.get_by_role("heading", name=team, level=2).is_visible()
    intake = page.locator("section.team", has=page.get_by_role("heading", name="Intake", level=2))
    assert "intake-web" in intake.inner_text() and "intake-api" in intake.inner_text()
    drawing = page.get_by_role("img", name="Teams and their services")
    assert drawing.is_visible()
    eligibility = page.locator("section.team", has=page.get_by_role("heading", name="Eligibility", level=2))
    eligibility.get_by_role("link", name="eligibility-engine").click()
    page.wait_for_url("**/delivery/services/eligibility-engine")
    assert "eligibility-engine" in page.get_by_role("heading", level=1).inner_text()


def test_the_organization_downloads_as_yaml(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/org")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download org.yaml").click()
    download = info.value
    assert download.suggested_filename == "org.yaml"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert "teams:" in text and "name: eligibility-engine" in text


def test_the_page_fits_a_phone(page: Any, live_server: LiveServer) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/org")
    overflow = page.evaluate(
        "[...document.querySelectorAll('main > *')].filter(e => e.getBoundingClientRect().right > 391).length"
    )
    assert overflow == 0
