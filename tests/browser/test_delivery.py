"""The Delivery pages in a real Chromium against `missionos serve` with the demo loaded."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_navigation_to_delivery_and_a_service(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Delivery").click()
    page.wait_for_url("**/delivery")
    page.get_by_role("link", name="eligibility-engine").first.click()
    assert page.locator("h1").inner_text() == "eligibility-engine"
