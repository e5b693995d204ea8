"""Measures the compliance context publishes (scope `system`), read from stored assessments.

Each point is the last assessment of a week (weeks start on Monday, UTC) within the window; a week without
an assessment carries no point (None) rather than a guess.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from missionos.compliance import service
from missionos.measures import Direction, Point, Scope, Series, Window, measure
from missionos.store import Database


def _weekly(db: Database, scope: Scope, window: Window, name: str, unit: str, *, share: bool) -> Series:
    assert scope.name is not None
    with db.session() as session:
        found = service.history(session, scope.name, since=window.since, until=window.until)
    start = (window.since - dt.timedelta(days=window.since.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    weeks: dict[dt.datetime, float] = {}
    for a in found:
        week = (a.assessed_at - dt.timedelta(days=a.assessed_at.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        weeks[week] = a.satisfied_share if share else float(a.open_findings)
    points = []
    moment = start
    while moment < window.until:
        points.append(Point(moment, weeks.get(moment)))
        moment += dt.timedelta(days=7)
    detail: dict[str, Any] = {"assessments": len(found)}
    if found:
        detail["latest_assessment"] = found[-1].as_dict()
    return Series(name, scope, unit, tuple(points), detail)


@measure(
    "compliance.controls_satisfied",
    unit="share",
    direction=Direction.HIGHER_IS_BETTER,
    description="Share (0..1) of the system's baseline controls satisfied or inherited (last assessment)",
    scopes=("system",),
)
def controls_satisfied(db: Database, scope: Scope, window: Window) -> Series:
    return _weekly(db, scope, window, "compliance.controls_satisfied", "share", share=True)


@measure(
    "compliance.open_findings",
    unit="count",
    direction=Direction.LOWER_IS_BETTER,
    description="Open findings (each a POA&M item) of the system at its last assessment",
    scopes=("system",),
)
def open_findings(db: Database, scope: Scope, window: Window) -> Series:
    return _weekly(db, scope, window, "compliance.open_findings", "count", share=False)
