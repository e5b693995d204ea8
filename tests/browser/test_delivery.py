"""The Delivery pages in a real Chromium against `missionos serve` with the demo loaded."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_navigation_to_delivery_and_a_service(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Delivery", exact=True).click()
    page.wait_for_url("**/delivery")
    page.get_by_role("link", name="eligibility-engine").first.click()
    assert page.locator("h1").inner_text() == "eligibility-engine"


def test_delivery_page_draws_the_keys_breakdown_and_readiness(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/delivery")
    # five trend charts and the lead-time breakdown, rendered by the locally served Vega bundle
    page.wait_for_selector("body[data-charts-ready='6']", timeout=30_000)
    assert (
        page.locator(
            "#org-deployment_frequency svg path.mark-line, #org-deployment_frequency svg .mark-line path"
        ).count()
        >= 1
    )
    bars = page.locator("#lead-time-breakdown-chart svg .mark-rect path")
    assert bars.count() == 4 * 4, "four parts for each of the four services that ship"
    readiness = page.locator("table.readiness tbody tr")
    statuses = {
        readiness.nth(i).locator("td").nth(0).inner_text(): readiness.nth(i).locator("td").nth(2).inner_text()
        for i in range(readiness.count())
    }
    assert statuses["payments-batch"] == "never shipped"
    assert statuses["intake-web"] == "shipping"
    levels = page.locator("table.delivery-scopes").nth(1)
    intake = levels.locator("tr", has_text="intake-web").locator(".badge").first.inner_text()
    eligibility_cfr = levels.locator("tr", has_text="eligibility-engine").locator("td").nth(5).inner_text()
    assert intake == "elite"
    assert float(eligibility_cfr.rstrip("%")) > 20


def test_drill_down_from_a_failed_deployment_to_its_remediation(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/delivery/services/eligibility-engine")
    page.wait_for_selector("body[data-charts-ready='6']", timeout=30_000)
    failed = page.locator("table.deployments tr.failed").first
    assert failed.locator(".badge").first.inner_text() == "failed"
    link = failed.locator("a", has_text="eligibility-engine-")
    if link.count():
        target = link.first.inner_text()
        link.first.click()
        assert page.url.endswith(f"#deployment-{target}")
    assert page.locator("table.incidents td", has_text="heuristic").count() >= 1
    assert page.locator("table.incidents .badge", has_text="open").count() == 1


def test_the_page_reads_without_javascript(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        pg = context.new_page()
        pg.goto(live_server.url + "/delivery/teams/Intake")
        assert pg.locator("h1").inner_text() == "Intake"
        assert "per week" in pg.locator(".delivery-keys").inner_text()
        assert pg.locator("table.deployments tbody tr").count() > 50
    finally:
        context.close()


def test_a_never_shipped_service_shows_its_blocker_and_path_to_production(
    page: Any, live_server: LiveServer
) -> None:
    page.goto(live_server.url + "/delivery/services/payments-batch")
    path = page.locator("#path-to-production")
    assert "payments-batch cannot ship until the platform proves" in path.locator("#blocker").inner_text()
    stages = path.locator("li")
    reached = {
        stages.nth(i).get_attribute("data-stage"): stages.nth(i).get_attribute("data-reached")
        for i in range(stages.count())
    }
    assert reached == {"code": "yes", "deployed": "yes", "platform": "no", "production": "no"}
    assert "advertised but never used in production" in path.locator("li[data-stage='platform']").inner_text()
    assert page.locator("[data-vega-spec]").count() == 0, "no empty charts for a service with no figures"
    path.locator("#blocker a").click()
    assert page.url.endswith("/platform")
    # A service that ships shows its figures, not a path.
    page.goto(live_server.url + "/delivery/services/eligibility-engine")
    assert page.locator("#path-to-production").count() == 0
    assert page.locator("[data-vega-spec]").count() > 0
