"""Measures the strategy context publishes: manual series, for goals that no system measures yet."""

from __future__ import annotations

from missionos.measures import Direction, Point, Scope, Series, Window, measure
from missionos.store import Database


@measure(
    "strategy.manual",
    unit="value",
    direction=Direction.HIGHER_IS_BETTER,
    description="A manual series recorded with `missionos strategy record`",
    scopes=("series",),
)
def manual_series(db: Database, scope: Scope, window: Window) -> Series:
    """The values recorded for the manual series `scope.name` in `window`, oldest first."""
    from missionos.strategy.manual import manual_values

    with db.session() as session:
        values = manual_values(session, scope.name or "", since=window.since, until=window.until)
    return Series("strategy.manual", scope, "value", tuple(Point(at, value) for at, value in values))
