"""The platform's measures, as a plan reads them through the registry."""

from __future__ import annotations

import datetime as dt

import pytest

from missionos import measures
from missionos.errors import NotFoundError
from missionos.measures import Scope, Window
from missionos.store import Database
from tests.platform import scenario
from tests.platform.test_service import _apply

WINDOW = Window(scenario.NOW - dt.timedelta(days=90), scenario.NOW)


def test_unverified_offers_blocked_teams_and_days_to_first_deploy(db: Database) -> None:
    scenario.load(db)
    _apply(db)
    with measures.reading():
        offers = measures.query(db, "platform.unverified_offers", Scope("org"), WINDOW)
        blocked = measures.query(db, "platform.teams_blocked", Scope("org"), WINDOW)
        web = measures.query(db, "platform.days_to_first_deploy", Scope("team", "Web"), WINDOW)
        new = measures.query(db, "platform.days_to_first_deploy", Scope("team", "Newcomers"), WINDOW)
    assert offers.latest is not None and offers.latest.value == 3 and offers.latest.at == scenario.NOW
    assert offers.detail["never_deployed_with"] == ["language go", "service message-queue", "stage sast"]
    assert (
        blocked.latest is not None and blocked.latest.value == 1 and blocked.detail["teams"] == ["Newcomers"]
    )
    assert (
        web.latest is not None
        and web.latest.value == pytest.approx(20 + 10 / 24)
        and not web.detail["waiting"]
    )
    assert new.latest is not None and new.latest.value == 61 and new.detail["waiting"]
    # before the first deployments (2026-03-21), nothing was verified and both teams were blocked
    early = Window(scenario.NOW - dt.timedelta(days=200), dt.datetime(2026, 3, 20, tzinfo=dt.UTC))
    assert measures.query(db, "platform.unverified_offers", Scope("org"), early).latest.value == 9  # type: ignore[union-attr]
    assert measures.query(db, "platform.teams_blocked", Scope("org"), early).latest.value == 2  # type: ignore[union-attr]
    with pytest.raises(NotFoundError):
        measures.query(db, "platform.days_to_first_deploy", Scope("team", "Nobody"), WINDOW)
