"""The delivery context's published measures: weekly series per org, team or service (METRICS.md §1).

Each point is the figure of one Monday-started week (the first and last may be partial), at the week's start.

Inside a `measures.reading()` block (one page view) the weekly figures of a scope and window are computed once
and shared by every measure that reads them. Production deployment counts skip that computation: they come
from one query of the production deployments' finish times, bucketed by week, so that an all-time window (the
strategy context's "has this service ever shipped") costs one query rather than a pass over thousands of
empty weeks.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from missionos.delivery import queries
from missionos.delivery.models import Deployment
from missionos.delivery.service import weekly_figures
from missionos.measures import Direction, Point, Scope, Series, Window, measure, memoized
from missionos.store import Database

SCOPES = ("org", "team", "service")


def _series(name: str, unit: str, column: str) -> Callable[[Database, Scope, Window], Series]:
    def compute(db: Database, scope: Scope, window: Window) -> Series:
        selected, rows = memoized(
            ("delivery.weekly_figures", id(db), scope, window), lambda: _weekly(db, scope, window)
        )
        points = tuple(Point(r["week"], _value(r[column])) for r in rows)
        return Series(name, scope, unit, points, detail={"services": list(selected.names), "period": "week"})

    return compute


def _weekly(db: Database, scope: Scope, window: Window) -> tuple[queries.ScopeServices, list[dict[str, Any]]]:
    with db.session() as session:
        selected = queries.services_in(session, scope)
        return selected, weekly_figures(session, selected, window)


def week_starts(window: Window) -> list[dt.datetime]:
    """The starts of the window's Monday-started weeks (the first is the window's start when it cuts a week);
    the same weeks as `metrics.weeks`."""
    start = dt.datetime.combine(
        window.since.date() - dt.timedelta(days=window.since.weekday()), dt.time(), dt.UTC
    )
    step = dt.timedelta(days=7)
    count = -(-(window.until - start) // step) if window.until > start else 0
    return [max(start + i * step, window.since) for i in range(count)]


def _deployment_counts(name: str, unit: str) -> Callable[[Database, Scope, Window], Series]:
    def compute(db: Database, scope: Scope, window: Window) -> Series:
        def load() -> tuple[queries.ScopeServices, list[dt.datetime]]:
            with db.session() as session:
                selected = queries.services_in(session, scope)
                slack = dt.timedelta(seconds=1)  # times are compared after rounding to the millisecond
                rows = session.scalars(
                    select(queries.epoch(session, Deployment.finished_at)).where(
                        Deployment.service_id.in_(list(selected.ids)),
                        Deployment.is_production.is_(True),
                        Deployment.finished_at >= window.since - slack,
                        Deployment.finished_at < window.until + slack,
                    )
                ).all()
            # as `queries.load` reads them: epoch seconds rounded to the millisecond
            finishes = sorted(dt.datetime.fromtimestamp(round(r, 3), dt.UTC) for r in rows)
            return selected, [f for f in finishes if f in window]

        selected, finishes = memoized(("delivery.production_finishes", id(db), scope, window), load)
        starts = week_starts(window)
        counts = [0.0] * len(starts)
        for finished in finishes:  # each finish falls in the last week starting at or before it
            counts[bisect.bisect_right(starts, finished) - 1] += 1.0
        points = tuple(map(Point, starts, counts))
        return Series(name, scope, unit, points, detail={"services": list(selected.names), "period": "week"})

    return compute


def _value(value: Any) -> float | None:
    return None if value is None else float(value)


measure(
    "delivery.deployment_frequency",
    unit="deployments/week",
    direction=Direction.HIGHER_IS_BETTER,
    description="Production deployments per week (successful deployments to production).",
    scopes=SCOPES,
)(_deployment_counts("delivery.deployment_frequency", "deployments/week"))

measure(
    "delivery.production_deployments",
    unit="deployments",
    direction=Direction.HIGHER_IS_BETTER,
    description="Production deployments in each week; summed over all time, whether a service ever shipped.",
    scopes=SCOPES,
)(_deployment_counts("delivery.production_deployments", "deployments"))

measure(
    "delivery.lead_time",
    unit="hours",
    direction=Direction.LOWER_IS_BETTER,
    description="Median lead time for changes deployed in the week: deployed minus the change's start.",
    scopes=SCOPES,
)(_series("delivery.lead_time", "hours", "lead_time_hours"))

measure(
    "delivery.change_failure_rate",
    unit="share",
    direction=Direction.LOWER_IS_BETTER,
    description="Share of the week's production deployments that failed (incident or remediation).",
    scopes=SCOPES,
)(_series("delivery.change_failure_rate", "share", "change_failure_rate"))

measure(
    "delivery.recovery_time",
    unit="hours",
    direction=Direction.LOWER_IS_BETTER,
    description="Median failed deployment recovery time of the week's failed production deployments.",
    scopes=SCOPES,
)(_series("delivery.recovery_time", "hours", "recovery_hours"))

measure(
    "delivery.rework_rate",
    unit="share",
    direction=Direction.LOWER_IS_BETTER,
    description="Share of the week's production deployments that were hotfixes or rollbacks.",
    scopes=SCOPES,
)(_series("delivery.rework_rate", "share", "rework_rate"))
