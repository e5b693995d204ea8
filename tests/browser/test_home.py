"""The home page (the one-page plan) and plan editing in a real Chromium against `missionos serve` with the
demo loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_home_page_is_the_demo_one_page_plan_with_its_chart(
    page: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    page.goto(live_server.url + "/")
    assert "Benefits Modernization 2027" in page.title()
    objective = page.locator(".objective-text").inner_text()
    assert "benefits decision in days, not months" in objective
    # The story at the top, each sentence with its link: bet, learned, where work waits, who cannot ship.
    story = page.locator("#story li")
    assert [story.nth(i).get_attribute("data-kind") for i in range(story.count())] == [
        "bet",
        "learned",
        "waits",
        "cannot-ship",
    ]
    assert "B3 invalidated" in page.locator("#story li[data-kind='learned']").inner_text()
    assert "Team Payments cannot ship yet" in page.locator("#story li[data-kind='cannot-ship']").inner_text()
    story_box, goals_box = page.locator("#story").bounding_box(), page.locator("table.goals").bounding_box()
    assert story_box and goals_box and story_box["y"] < goals_box["y"], "the story comes before the goals"
    page.locator("#story li[data-kind='waits'] a").click()
    assert page.url.endswith("/friction/weekly-cab")
    page.goto(live_server.url + "/")
    goals = page.locator("table.goals tbody tr")
    assert goals.count() == 4
    assert page.locator("table.goals svg.sparkline").count() == 4
    # Findings beside the items they name: the wish (S4), the payments bet (B4), the overdue action.
    assert page.locator("#strategy-S4 [data-rule='wish']").count() == 1
    assert page.locator("#bet-B4 [data-rule='no-path-to-production']").count() == 1
    assert page.locator("#strategy-S3 [data-rule='overdue']").count() == 1
    # Each finding is a sentence with what to do and a link to where it is done, not a rule's name.
    wish = page.locator("#strategy-S4 [data-rule='wish']")
    assert wish.inner_text().startswith("Strategy S4 names no bet")
    assert wish.locator("a").get_attribute("href") == "/strategy/plans/benefits-2027/replan"
    no_path = page.locator("#bet-B4 [data-rule='no-path-to-production'] a")
    assert no_path.get_attribute("href") == "/delivery/services/payments-batch"
    assert page.locator(".finding .badge").count() == 0, "no bare rule names as chips"
    # G3, the change-failure guardrail (under 5%), over the 180 demo days ending today: its status moves with
    # the date, so the page must show what the API says for the same database, and its trend when at risk.
    g3 = page.locator("#goal-G3")
    api = httpx.get(live_server.url + "/api/v1/strategy/plans/benefits-2027", timeout=30).json()
    expected = next(g for g in api["goals"] if g["id"] == "G3")
    assert expected["kind"] == "guardrail"
    assert g3.get_attribute("data-status") == expected["status"]
    if expected["status"] == "at risk":
        assert "points a week" in g3.inner_text() and "crosses its limit around" in g3.inner_text()
    # The loop: the invalidated bet asks to stop its experiment, at the top; version 2 answered it with B3b.
    assert page.locator("#bet-B3").get_attribute("data-status") == "invalidated"
    assert page.locator("#loop .loop-prompt[data-kind='stop'][data-bet='B3']").count() == 1
    assert page.locator("#bet-B3b").get_attribute("data-status") == "open"
    # The cascade tree reaches both team plans.
    tree = page.locator(".cascade-tree").inner_text()
    assert "Intake team plan" in tree and "Eligibility team plan" in tree
    page.wait_for_selector("body[data-charts-ready]", state="attached", timeout=30_000)
    bars = page.locator("#goal-progress svg .mark-rect path")
    assert bars.count() >= 1, "one progress bar per goal with data"
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)

    # Drill down: a goal, then the team plan below a strategy.
    page.click("#goal-G4 a")
    assert "call-centre-wait-minutes" in page.locator("main").inner_text()
    page.goto(live_server.url + "/")
    page.click("#strategy-S1 a[href='/strategy/plans/intake-2027']")
    assert "Cascaded from" in page.locator(".cascade-up").inner_text()


def test_editing_a_plan_in_the_browser_saves_a_new_version(
    page: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    page.goto(live_server.url + "/strategy/plans/eligibility-2027/edit")
    source = page.locator("#plan-source")
    text = source.input_value()
    assert "plan: eligibility-2027" in text
    # A bad value is refused with the field's path, and the text stays for fixing.
    source.fill(text.replace("direction: decrease", "direction: down", 1))
    page.click("button[type=submit]")
    assert "primary_metric.direction: expected increase|decrease" in page.locator(".errors").inner_text()
    fixed = text.replace(
        "Caseworkers reach a correct determination the same day.", "Caseworkers decide the same day."
    )
    page.locator("#plan-source").fill(fixed)
    page.click("button[type=submit]")
    page.wait_for_url("**/strategy/plans/eligibility-2027?saved=*")
    assert "Saved as version" in page.locator(".notice").inner_text()
    assert "Caseworkers decide the same day." in page.locator(".objective-text").inner_text()
    page.goto(live_server.url + "/strategy/plans/eligibility-2027/history")
    assert "objective moved from" in page.locator("main").inner_text()
    page.screenshot(path=str(tmp_path / "edit.png"), full_page=True)
