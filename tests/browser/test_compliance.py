"""The Compliance pages in a real Chromium against `missionos serve` with the demo loaded."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_system_page_tells_the_demo_story(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/compliance")
    page.get_by_role("link", name="benefits-portal").click()
    page.wait_for_url("**/compliance/benefits-portal")
    assert page.locator("h1").inner_text() == "benefits-portal"
    assert page.locator(".family-grid .cell").count() == 287, "one cell per MODERATE control"
    assert page.locator(".family-grid .cell.status-inherited").count() > 0
    freshness = page.locator("#freshness + table").inner_text()
    assert "eligibility-engine" in freshness
    findings = page.locator("#findings + table").inner_text()
    assert "eligibility-engine is from" in findings, "the stale scan is a finding"
    assert "IR-4" in findings, "the expired attestation is a finding"
    page.wait_for_selector("body[data-charts-ready]", state="attached", timeout=30_000)
    assert page.locator("#compliance-trend svg .mark-line path").count() == 1
    page.get_by_role("link", name="Report for the authorizing official").click()
    assert "where its authorization stands today" in page.locator("h1").inner_text()


def test_overdue_high_finding_on_payments(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/compliance/payments-legacy")
    findings = page.locator("#findings + table").inner_text()
    assert "log4j" in findings.lower() and "overdue" in findings


def test_attesting_in_the_browser_satisfies_the_control(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/compliance/benefits-portal")
    form = page.locator("form.attest")
    form.locator("input[name=controls]").fill("pl-2")
    form.locator("input[name=by]").fill("Riley Chen (system owner)")
    form.locator("textarea[name=statement]").fill(
        "The system security plan is kept in the repository and reviewed yearly."
    )
    form.get_by_role("button", name="Record attestation").click()
    page.wait_for_url("**/compliance/benefits-portal#attestations")
    assert "Riley Chen" in page.locator("#attestations + table").inner_text()
    assert "satisfied" in (page.locator("#control-pl-2").text_content() or "")  # in the folded list


def test_a_control_in_the_grid_opens_its_row_in_the_folded_list(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/compliance/benefits-portal")
    row = page.locator("#control-ra-5")
    assert not row.is_visible(), "the list of every control starts folded"
    page.locator("a.cell[href='#control-ra-5']").click()
    row.wait_for(state="visible")
    assert page.locator("details.fold").get_attribute("open") is not None
    page.locator("details.fold > summary").click()  # folding it again works as any <details> does
    assert not row.is_visible()
    page.goto(live_server.url + "/compliance/benefits-portal#control-cm-3")  # a link from elsewhere
    page.locator("#control-cm-3").wait_for(state="visible")
