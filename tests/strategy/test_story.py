"""The plan's story in plain words (strategy/story.py) on the demo organization: what we bet, what we learned,
where work waits, who cannot ship yet, each a sentence with a link."""

from __future__ import annotations

from pathlib import Path

from missionos import measures
from missionos.demo import load_demo
from missionos.store import Database
from missionos.strategy import loop, service, story
from tests.strategy.conftest import Toys
from tests.strategy.plans import VALID


def test_the_demo_plan_tells_its_story_with_a_link_for_each_sentence(db: Database, tmp_path: Path) -> None:
    load_demo(db, seed=7, home=tmp_path)
    measures.load_publishers()
    view = service.evaluate(db, "benefits-2027")
    told = story.tell(db, view, loop.assess(db, view))
    by_kind = {s.kind: s for s in told}
    assert [s.kind for s in told] == ["bet", "learned", "waits", "cannot-ship"]

    bet = by_kind["bet"]
    assert bet.text.startswith(
        "We bet on 4 strategies and 5 bets to reach: Residents get a benefits decision"
    )
    assert "B3b and B4 are still being tested" in bet.text
    assert bet.link == "/strategy/plans/benefits-2027#strategies-h"

    learned = by_kind["learned"].text
    assert "B1 validated (+15.0%" in learned and "scale it" in learned
    assert "B3 invalidated (−8.1%" in learned and "stop it" in learned
    assert by_kind["learned"].link == "/strategy/plans/benefits-2027#loop"

    # The top of the register by CD3: the weekly change advisory board, before CAB approval.
    waits = by_kind["waits"]
    assert "before CAB approval in the change-approval stream" in waits.text
    assert "a month" in waits.text and "can clear it" in waits.text
    assert waits.link == "/friction/weekly-cab"

    # Payments waits for offers nobody has used in production; its service has never shipped.
    ship = by_kind["cannot-ship"].text
    assert ship.startswith("Team Payments cannot ship yet")
    assert "advertised but never used in production" in ship
    assert "payments-batch has never reached production" in ship
    assert by_kind["cannot-ship"].link == "/platform"


def test_a_plan_without_verdicts_or_blockers_says_so(db: Database, toys: Toys) -> None:
    service.apply_plan(db, VALID, actor="test")
    view = service.evaluate(db, "benefits-2027")
    told = {s.kind: s for s in story.tell(db, view)}
    assert told["learned"].text.startswith("No bet has a verdict yet")
    assert told["waits"].text == "No open blocker is on the friction register."
