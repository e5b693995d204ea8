"""The Flow pages in a real Chromium against `missionos serve` with the demo loaded."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_stream_page_shows_the_map_the_constraint_and_the_charts(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/flow")
    page.get_by_role("link", name="change-approval").click()
    page.wait_for_url("**/flow/streams/change-approval")
    assert "The constraint is CAB approval" in page.locator("#constraint").inner_text()
    hot = page.locator("#vsm svg g.step.constraint")
    assert hot.count() == 1 and hot.get_attribute("data-step") == "CAB approval"
    assert page.locator("#vsm svg g.step").count() == 4
    page.wait_for_selector("body[data-charts-ready='5']", timeout=30_000)
    assert page.locator("#chart-cfd svg path").count() > 0
    assert page.locator("#chart-scatter svg .mark-symbol path").count() > 10


def test_drill_down_from_a_step_to_an_item(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/flow/streams/claims")
    page.locator("#steps").get_by_role("link", name="Build").click()
    page.wait_for_url("**/flow/streams/claims/items?state=done&step=Build")
    first = page.locator("#items tbody tr a").first
    key = first.inner_text()
    first.click()
    assert page.locator("h1").inner_text() == key
    assert page.locator("#transitions tbody tr").count() >= 5


def test_the_overview_draws_where_time_goes_and_the_weeks_of_each_stream(
    page: Any, live_server: LiveServer
) -> None:
    page.goto(live_server.url + "/flow")
    row = page.locator("table.streams tbody tr", has=page.get_by_role("link", name="change-approval"))
    hot = row.locator("svg.time-strip rect[data-step='CAB approval']")
    assert hot.count() == 2, "the constraint's wait and its work"
    widest = max(row.locator("svg.time-strip rect").all(), key=lambda r: float(r.get_attribute("width") or 0))
    assert (
        widest.get_attribute("data-step") == "CAB approval" and widest.get_attribute("data-part") == "waits"
    )
    assert row.locator("svg.weekly-bars rect").count() >= 12, "a column per week of the 90-day window"
    assert "CAB approval" in (row.locator("svg.time-strip").get_attribute("aria-label") or "")


def test_the_value_stream_map_explains_its_figures_and_the_cumulative_flow_in_words(
    page: Any, live_server: LiveServer
) -> None:
    page.goto(live_server.url + "/flow/streams/claims")
    terms = page.locator("#vsm-terms").inner_text()
    for said in (
        "W/T",
        "wait time",
        "P/T",
        "process time",
        "L/T",
        "W/T + P/T",
        "%C&A",
        "complete and accurate",
    ):
        assert said in terms, said
    assert page.locator("#steps abbr[title='percent complete and accurate']").count() == 1
    caption = page.locator("#cfd-caption").inner_text()
    assert caption.startswith(("Work piles up in “", "No state's band widens")), caption
    assert "the done band grew by" in caption
    assert caption in (page.locator("#chart-cfd").get_attribute("aria-label") or "")
