"""Measures the platform context publishes (metrics.md §7), so a plan can bind its goals to them.

Each is one point at the end of the window (or at now, when the window ends later): the state of the offers
and teams as the production deployments finished by then show it.
"""

from __future__ import annotations

import datetime as dt

from missionos.errors import NotFoundError
from missionos.measures import Direction, Point, Scope, Series, Window, measure, memoized
from missionos.platform import service
from missionos.store import Database


def _moment(window: Window) -> dt.datetime:
    return min(window.until, dt.datetime.now(dt.UTC))


def _overview(db: Database, at: dt.datetime) -> service.Overview:
    """The overview at `at`, computed once per reading block however many measures ask."""

    def compute() -> service.Overview:
        with db.session() as session:
            return service.overview(session, now=at)

    return memoized(("platform.overview", id(db), at), compute)


@measure(
    "platform.unverified_offers",
    unit="offers",
    direction=Direction.LOWER_IS_BETTER,
    description="Offers the platform advertises that no production deployment has used",
)
def unverified_offers(db: Database, scope: Scope, window: Window) -> Series:
    at = _moment(window)
    found = _overview(db, at)
    names = [f"{s.offer.kind} {s.offer.name}" for s in found.unverified]
    detail = {"never_deployed_with": names, "advertised": len(found.offers)}
    return Series("platform.unverified_offers", scope, "offers", (Point(at, float(len(names))),), detail)


@measure(
    "platform.teams_blocked",
    unit="teams",
    direction=Direction.LOWER_IS_BETTER,
    description="Teams with no production deployment whose needs are not all verified offers",
)
def teams_blocked(db: Database, scope: Scope, window: Window) -> Series:
    at = _moment(window)
    found = _overview(db, at)
    blocked = [t for t in found.teams if t.state == "blocked"]
    detail = {
        "teams": [t.team for t in blocked],
        "blocked_by": {t.team: t.as_dict()["blocked_by"] for t in blocked},
        "not_offered": {t.team: t.as_dict()["not_offered"] for t in blocked},
        "services": {t.team: list(t.services) for t in blocked},
    }
    return Series("platform.teams_blocked", scope, "teams", (Point(at, float(len(blocked))),), detail)


@measure(
    "platform.days_to_first_deploy",
    unit="days",
    direction=Direction.LOWER_IS_BETTER,
    description="Days from the team's creation to its first production deployment (while none: days waiting)",
    scopes=("team",),
)
def days_to_first_deploy(db: Database, scope: Scope, window: Window) -> Series:
    assert scope.name is not None
    at = _moment(window)
    found = next((t for t in _overview(db, at).teams if t.team == scope.name), None)
    if found is None:
        raise NotFoundError("team", scope.name)
    value = found.days_to_first_deploy if found.days_to_first_deploy is not None else found.days_waiting
    detail = {
        "state": found.state,
        "waiting": found.first_deploy is None,
        "blocked_by": found.as_dict()["blocked_by"],
    }
    return Series("platform.days_to_first_deploy", scope, "days", (Point(at, value),), detail)
