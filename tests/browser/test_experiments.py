"""The Experiments and Flags pages in a real Chromium against `missionos serve` with the demo loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_the_srm_experiment_is_called_out_and_its_charts_draw(
    page: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Experiments").first.click()
    page.wait_for_url("**/experiments")
    rows = page.locator("main table tbody tr")
    assert rows.count() == 4
    assert "invalid" in page.locator("tr", has_text="status-page-redesign").inner_text()
    page.get_by_role("link", name="status-page-redesign").click()
    alert = page.get_by_role("alert")
    assert "Sample-ratio mismatch" in alert.inner_text()
    assert page.locator("#verdict").inner_text() == "invalid"
    page.wait_for_selector("body[data-charts-ready]", state="attached", timeout=30_000)
    assert page.locator("body").get_attribute("data-charts-ready") == "2"
    lines = page.locator("#exposures-chart svg .mark-line path")
    assert lines.count() == 2, "one line of new units per variation"
    page.screenshot(path=str(tmp_path / "srm.png"), full_page=True)


def test_a_validated_experiment_shows_its_intervals_and_power(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/experiments/guided-intake")
    assert page.locator("#verdict").inner_text() == "validated"
    assert page.locator("table.results").count() == 3  # primary, guardrail, secondary
    page.wait_for_selector("body[data-charts-ready]", state="attached", timeout=30_000)
    assert page.locator("#ci-claim-completed svg .mark-rule line").count() >= 2  # interval and zero line
    page.goto(live_server.url + "/experiments/document-reminder")
    assert page.locator("#verdict").inner_text() == "inconclusive"
    assert "days" in page.locator("p.power").inner_text()


def test_raising_a_rollout_from_the_flags_page_adds_a_version(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/experiments/flags")
    page.get_by_role("link", name="document-upload-v2").click()
    assert page.locator("#rollout-now").inner_text() == "25%"
    before = page.locator("table.history tbody tr").count()
    # The form posts and redirects back to the same URL, so wait for that navigation, not for the URL.
    with page.expect_navigation(url="**/experiments/flags/document-upload-v2"):
        page.get_by_role("button", name="50%").click()
    assert page.locator("#rollout-now").inner_text() == "50%"
    history = page.locator("table.history tbody tr")
    assert history.count() == before + 1
    assert "rollout to 50%" in history.first.inner_text()
    assert "update" in page.locator("ul.audit").inner_text()
