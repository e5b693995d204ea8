"""Strategic maps in a real Chromium against `missionos serve` with the demo loaded."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_the_program_map_is_drawn_and_a_component_links_to_its_strategy(
    page: Any, live_server: LiveServer
) -> None:
    page.goto(live_server.url + "/maps")
    page.get_by_role("link", name="Benefits Modernization landscape").click()
    page.wait_for_url("**/maps/benefits-landscape")
    assert page.locator("#map svg g.component").count() >= 9
    assert page.locator("#history li").count() == 2
    link = page.locator("#map svg a:has(g.component[data-name='Change approval'])").first
    href = link.get_attribute("href") or link.get_attribute("xlink:href") or ""
    assert href.endswith("/strategy/plans/benefits-2027#strategy-S4"), href
    link.click()  # a click anywhere on the component, dot or label, opens it
    page.wait_for_url("**/strategy/plans/benefits-2027#strategy-S4")
