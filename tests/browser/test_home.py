"""The home page in a real Chromium against `missionos serve` with the demo loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_home_page_shows_demo_services_and_renders_its_chart(
    page: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    page.goto(live_server.url + "/")
    assert "Mission OS" in page.title()
    table = page.locator("table").first.inner_text()
    assert "intake-web" in table and "payments-batch" in table
    page.wait_for_selector("body[data-charts-ready]", state="attached", timeout=30_000)
    bars = page.locator("#services-per-team svg .mark-rect path")
    assert bars.count() == 4, "one bar per demo team"
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
