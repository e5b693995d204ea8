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
        # The share needs only each assessment's status counts; findings need the per-control results.
        if share:
            moments = [
                (at, service.satisfied_share(counts))
                for at, counts in service.history_counts(
                    session, scope.name, since=window.since, until=window.until
                )
            ]
            latest = service.latest(session, scope.name, before=window.until)
            found_count = len(moments)
        else:
            found = service.history(session, scope.name, since=window.since, until=window.until)
            moments = [(a.assessed_at, float(a.open_findings)) for a in found]
            latest = found[-1] if found else None
            found_count = len(found)
    start = (window.since - dt.timedelta(days=window.since.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    weeks: dict[dt.datetime, float] = {}
    for assessed_at, value in moments:
        week = (assessed_at - dt.timedelta(days=assessed_at.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        weeks[week] = value
    points = []
    moment = start
    while moment < window.until:
        points.append(Point(moment, weeks.get(moment)))
        moment += dt.timedelta(days=7)
    detail: dict[str, Any] = {"assessments": found_count}
    if found_count and latest is not None:
        detail["latest_assessment"] = latest.as_dict()
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
