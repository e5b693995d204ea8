"""Flow measures published to the registry (scopes: stream and team), weekly series per metrics.md §2."""

from __future__ import annotations

from missionos.flow import metrics, service
from missionos.measures import Direction, Point, Scope, Series, Window, measure
from missionos.store import Database


def _flows(db: Database, scope: Scope) -> tuple[list[metrics.ItemFlow], tuple[str, ...]]:
    """The item figures of the stream, or of every stream of the team (pooled)."""
    with db.session() as session:
        if scope.kind == "stream":
            streams = [service.get_stream(session, scope.name or "")]
        else:
            streams = service.streams_of_team(session, scope.name or "")
        flows = [f for s in streams for _, f in service.stream_flows(session, s)]
    steps = tuple(dict.fromkeys(step for s in streams for step in s.steps))
    return flows, steps


def _series(name: str, unit: str, scope: Scope, points: list[Point], **detail: object) -> Series:
    return Series(name, scope, unit, tuple(points), detail=detail)


@measure(
    "flow.flow_time",
    unit="days",
    direction=Direction.LOWER_IS_BETTER,
    description="Median flow time (done − start) of the items done each week",
    scopes=("stream", "team"),
)
def flow_time(db: Database, scope: Scope, window: Window) -> Series:
    flows, _ = _flows(db, scope)
    weeks = metrics.weekly(flows, window)
    points = [Point(w.week, w.flow_time_median_days) for w in weeks]
    return _series("flow.flow_time", "days", scope, points, items=sum(w.items_done for w in weeks))


@measure(
    "flow.flow_efficiency",
    unit="ratio",
    direction=Direction.HIGHER_IS_BETTER,
    description="Σ active time / Σ flow time of the items done each week",
    scopes=("stream", "team"),
)
def flow_efficiency(db: Database, scope: Scope, window: Window) -> Series:
    flows, _ = _flows(db, scope)
    points = [Point(w.week, w.flow_efficiency) for w in metrics.weekly(flows, window)]
    return _series("flow.flow_efficiency", "ratio", scope, points)


@measure(
    "flow.flow_velocity",
    unit="items/week",
    direction=Direction.HIGHER_IS_BETTER,
    description="Items done each week",
    scopes=("stream", "team"),
)
def flow_velocity(db: Database, scope: Scope, window: Window) -> Series:
    flows, _ = _flows(db, scope)
    points = [Point(w.week, float(w.items_done)) for w in metrics.weekly(flows, window)]
    return _series("flow.flow_velocity", "items/week", scope, points)


@measure(
    "flow.flow_load",
    unit="items",
    direction=Direction.LOWER_IS_BETTER,
    description="Mean daily count of items started and not done, per week",
    scopes=("stream", "team"),
)
def flow_load(db: Database, scope: Scope, window: Window) -> Series:
    flows, _ = _flows(db, scope)
    points = [Point(w.week, w.load_mean) for w in metrics.weekly(flows, window)]
    return _series("flow.flow_load", "items", scope, points)


@measure(
    "flow.constraint_share",
    unit="ratio",
    direction=Direction.LOWER_IS_BETTER,
    description="Share of the total step time taken by the constraint step, per week",
    scopes=("stream", "team"),
)
def constraint_share(db: Database, scope: Scope, window: Window) -> Series:
    flows, steps = _flows(db, scope)
    points = []
    names: list[str | None] = []
    for w in metrics.weekly(flows, window, steps):
        total = sum(w.step_hours.values())
        top = max(w.step_hours.items(), key=lambda kv: kv[1], default=None)
        points.append(Point(w.week, top[1] / total if top and total else None))
        names.append(top[0] if top and total else None)
    return _series("flow.constraint_share", "ratio", scope, points, steps=names)
