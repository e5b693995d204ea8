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


def test_the_overview_draws_each_effect_and_shows_the_invalid_one_as_invalid(
    page: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/experiments")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280, (
        "readable without scrolling sideways"
    )

    guided = page.locator('tr[data-experiment="guided-intake"]')
    plot = guided.locator("svg.forest")
    assert plot.get_attribute("data-verdict") == "validated"
    assert plot.get_attribute("data-better") == "right"  # claim completed: higher is better
    assert "verdict validated" in (plot.get_attribute("aria-label") or "")
    zero = float(plot.locator("line.zero").get_attribute("x1") or "nan")
    interval = plot.locator("line.interval")
    assert interval.count() == 1
    lo, hi = (float(interval.get_attribute(a) or "nan") for a in ("x1", "x2"))
    assert zero < lo < hi, "the whole interval lies on the improving side of zero"
    dot = float(plot.locator("circle.estimate").get_attribute("cx") or "nan")
    assert lo < dot < hi
    mme = float(plot.locator("line.mme").get_attribute("x1") or "nan")
    assert zero < mme < lo, "and beyond the minimum meaningful effect"
    # Drawn, not only written: the interval has a width on screen, right of the zero line.
    line_box, zero_box = interval.bounding_box(), plot.locator("line.zero").bounding_box()
    assert line_box and zero_box and line_box["x"] > zero_box["x"] and line_box["width"] > 10
    assert "benefits-2027 / B1" in guided.inner_text() and "Replace paper intake" in guided.inner_text()
    assert "3,751" in guided.inner_text() and "3,670" in guided.inner_text()

    srm = page.locator('tr[data-experiment="status-page-redesign"]')
    srm_plot = srm.locator("svg.forest")
    assert srm_plot.get_attribute("data-verdict") == "invalid"
    assert srm_plot.locator("line.interval").count() == 0, "no result is drawn"
    assert srm_plot.locator("circle.estimate").count() == 0
    assert srm_plot.locator("rect.invalid").count() == 1
    assert "invalid: sample-ratio mismatch" in (srm_plot.text_content() or "")
    assert "no result is shown" in (srm_plot.get_attribute("aria-label") or "")
    assert "SRM mismatch" in srm.inner_text()
    assert srm.locator(".badge").filter(has_text="invalid").count() == 1

    assert page.locator("main svg.forest").count() == 4
    assert "minimum meaningful effect" in page.locator("p.legend").inner_text()
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)


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
