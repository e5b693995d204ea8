"""Every page a leader reads, checked in a real Chromium against `missionos serve` with the demo loaded:
axe-core (shipped inside the `axe-playwright-python` wheel, so nothing is fetched) finds no critical or
serious violation, charts included; and on a phone (390 x 844) the page itself never scrolls sideways (a wide
table scrolls inside its own box)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

# (name, path): one of each kind of page, in the demo organization.
PAGES = [
    ("plan (home)", "/"),
    ("plan", "/strategy/plans/benefits-2027"),
    ("plans", "/strategy"),
    ("goal", "/strategy/plans/benefits-2027/goals/G1"),
    ("strategy history", "/strategy/plans/benefits-2027/history"),
    ("re-plan form", "/strategy/plans/intake-2027/replan"),
    ("plan editor", "/strategy/plans/eligibility-2027/edit"),
    ("learning", "/strategy/learning"),
    ("delivery", "/delivery"),
    ("service", "/delivery/services/eligibility-engine"),
    ("never-shipped service", "/delivery/services/payments-batch"),
    ("team", "/delivery/teams/Intake"),
    ("flow", "/flow"),
    ("stream", "/flow/streams/claims"),
    ("stream items", "/flow/streams/claims/items"),
    ("experiments", "/experiments"),
    ("experiment", "/experiments/auto-eligibility-hints"),
    ("flags", "/experiments/flags"),
    ("flag", "/experiments/flags/guided-intake"),
    ("compliance", "/compliance"),
    ("system", "/compliance/benefits-portal"),
    ("friction", "/friction"),
    ("maps", "/maps"),
    ("map", "/maps/benefits-landscape"),
    ("platform", "/platform"),
    ("organization", "/org"),
    ("accounts", "/accounts"),
    ("audit", "/accounts/audit"),
]
IDS = [name for name, _ in PAGES]
PHONE = {"width": 390, "height": 844}
TOLERANCE_PX = 2


def _open(page: Any, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    if page.locator("[data-vega-spec]").count():
        page.wait_for_selector("body[data-charts-ready]", state="attached", timeout=30_000)
        assert page.locator("body[data-charts-error]").count() == 0


def _serious(results: dict[str, Any]) -> list[str]:
    """One line per element with a critical or serious violation: rule, impact, target, help."""
    lines = []
    for violation in results["violations"]:
        if violation["impact"] not in ("critical", "serious"):
            continue
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"{violation['id']} ({violation['impact']}) at {target}: {violation['help']}")
    return lines


@pytest.mark.parametrize(("name", "path"), PAGES, ids=IDS)
def test_axe_finds_no_critical_or_serious_violation(
    page: Any, live_server: LiveServer, name: str, path: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    _open(page, live_server.url + path)
    results = Axe().run(page, options={"resultTypes": ["violations"]}).response
    assert results["testEngine"]["name"] == "axe-core", "axe-core ran in the page"
    found = _serious(results)
    assert not found, f"{name} ({path}) has {len(found)} critical or serious violations:\n" + "\n".join(found)


def test_the_check_reports_a_violation_it_is_shown(page: Any, live_server: LiveServer) -> None:
    """The check is not blind: an unlabelled image and input are reported with their rule and target."""
    from axe_playwright_python.sync_playwright import Axe

    _open(page, live_server.url + "/friction")
    page.evaluate(
        """() => {
            const main = document.querySelector('main');
            main.insertAdjacentHTML('beforeend', '<img id="bad-img" src="/static/favicon.svg">');
            main.insertAdjacentHTML('beforeend', '<input id="bad-input" type="text">');
        }"""
    )
    found = "\n".join(_serious(Axe().run(page, options={"resultTypes": ["violations"]}).response))
    assert "image-alt (critical) at #bad-img" in found
    assert "label (critical) at #bad-input" in found


def test_charts_have_a_text_alternative(page: Any, live_server: LiveServer) -> None:
    """Each drawn chart is named for assistive technology, and its drawing is hidden from it."""
    for path in ("/", "/delivery", "/flow/streams/claims", "/experiments/auto-eligibility-hints"):
        _open(page, live_server.url + path)
        charts = page.locator("[data-vega-spec]")
        assert charts.count() > 0, path
        for i in range(charts.count()):
            chart = charts.nth(i)
            assert chart.get_attribute("role") == "img", path
            assert len(chart.get_attribute("aria-label") or "") > 10, f"{path}: chart {i} has no text"
            assert chart.locator("svg").get_attribute("aria-hidden") == "true", path


@pytest.fixture
def phone(browser: Any) -> Any:
    context = browser.new_context(viewport=PHONE)
    yield context.new_page()
    context.close()


def test_no_page_scrolls_sideways_on_a_phone(phone: Any, live_server: LiveServer) -> None:
    wide = []
    for name, path in PAGES:
        _open(phone, live_server.url + path)
        width = phone.evaluate("document.scrollingElement.scrollWidth")
        if width > PHONE["width"] + TOLERANCE_PX:
            culprits = phone.evaluate(
                """(limit) => [...document.querySelectorAll('main *, header *')]
                    .filter(e => e.getBoundingClientRect().right > limit && !e.closest('table'))
                    .slice(0, 3).map(e => e.tagName.toLowerCase() + ' ' + e.getAttribute('class'))""",
                PHONE["width"] + TOLERANCE_PX,
            )
            wide.append(f"{name} ({path}): {width}px wide, past the edge: {culprits}")
    assert not wide, "\n".join(wide)
