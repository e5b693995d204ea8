"""The delivery context's published measures: weekly series per org, team or service (metrics.md §1).

Each point is the figure of one Monday-started week (the first and last may be partial), at the week's start.

Inside a `measures.reading()` block (one page view) the weekly figures of a scope and window are computed once
and shared by every measure that reads them, and the organization's records of a window are loaded once for
every scope read over it (each scope's figures are cut from them). Production deployment counts skip that
computation: they are the production deployments' finish times counted per week (`metrics.counts_per_bucket`),
taken from the organization's production deployments of the window when the block has read them (the
organization's own counts read them, and its records reuse them), else from one query, so that an all-time
window (the strategy context's "has this service ever shipped") costs one query rather than a pass over
thousands of empty weeks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from missionos.delivery import metrics, queries
from missionos.delivery.service import ScopeRecords, readiness, scope_records, weekly_figures
from missionos.measures import Direction, Point, Scope, Series, Window, measure, memoized, memoized_already
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
        # The organization's records of a window are kept for the block: a team or service read over the same
        # window after it has its figures cut from them instead of loading its own.
        key = ("delivery.organization_records", id(db), window)
        records: ScopeRecords | None = memoized_already(key)
        if scope.kind == "org":
            records = memoized(
                key,
                lambda: scope_records(
                    session, selected, window, deployments=_organization_production(db, session, window)
                ),
            )
        return selected, weekly_figures(session, selected, window, records=records)


def _organization_production(db: Database, session: Session, window: Window) -> metrics.Deployments:
    """The organization's production deployments from a week before `window` (what its records over the
    window hold), read once in a reading block: its deployment counts and its records share them."""
    return memoized(
        ("delivery.organization_production", id(db), window),
        lambda: queries.production(
            session, queries.services_in(session, Scope("org")), window.since - queries.lookback_span(session)
        ),
    )


def week_starts(window: Window) -> list[dt.datetime]:
    """The starts of the window's Monday-started weeks (the first is the window's start when it cuts a week);
    the same weeks as `metrics.weeks`."""
    start = dt.datetime.combine(
        window.since.date() - dt.timedelta(days=window.since.weekday()), dt.time(), dt.UTC
    )
    step = dt.timedelta(days=7)
    count = -(-(window.until - start) // step) if window.until > start else 0
    return [max(start + i * step, window.since) for i in range(count)]


def _weeks(window: Window) -> tuple[list[Point], Any]:
    """A zero point at each of `week_starts(window)`, and the starts in microseconds since the epoch, once
    per reading block: the counts of every scope over the window share them (an all-time window has
    thousands of weeks, nearly all empty)."""

    def compute() -> tuple[list[Point], Any]:
        starts = week_starts(window)
        return [Point(s, 0.0) for s in starts], metrics.micros_array(starts)

    return memoized(("delivery.week_starts", window), compute)


def _deployment_counts(name: str, unit: str) -> Callable[[Database, Scope, Window], Series]:
    def compute(db: Database, scope: Scope, window: Window) -> Series:
        def load() -> tuple[queries.ScopeServices, Any]:
            with db.session() as session:
                selected = queries.services_in(session, scope)
                # the organization's production deployments of the window, when read or about to be read
                # for its records, hold every scope's
                deployed: metrics.Deployments | None = memoized_already(
                    ("delivery.organization_production", id(db), window)
                )
                if deployed is None and scope.kind == "org":
                    deployed = _organization_production(db, session, window)
                if deployed is None:
                    return selected, queries.production_finishes(session, selected, window)
                if scope.kind != "org":
                    deployed = deployed.only(selected.names)
                return selected, deployed.finished[deployed.within(window)]

        selected, finishes = memoized(("delivery.production_finishes", id(db), scope, window), load)
        zeros, micros = _weeks(window)
        points = list(zeros)
        for week, count in metrics.counts_per_bucket(micros, finishes).items():
            points[week] = Point(zeros[week].at, float(count))
        return Series(
            name, scope, unit, tuple(points), detail={"services": list(selected.names), "period": "week"}
        )

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


@measure(
    "delivery.services_never_shipped",
    unit="services",
    direction=Direction.LOWER_IS_BETTER,
    description="Services with commits but no production deployment yet (metrics.md §1, readiness).",
    scopes=SCOPES,
)
def services_never_shipped(db: Database, scope: Scope, window: Window) -> Series:
    at = min(window.until, dt.datetime.now(dt.UTC))

    def compute() -> list[dict[str, Any]]:
        with db.session() as session:
            return readiness(session, now=at)

    rows = memoized(("delivery.readiness", id(db), at), compute)
    waiting = [
        r
        for r in rows
        if r["status"] == "never shipped"
        and (scope.kind == "org" or r[scope.kind] == scope.name)  # scope.kind: "team" or "service"
    ]
    detail = {"services": [{"service": r["service"], "team": r["team"]} for r in waiting]}
    return Series(
        "delivery.services_never_shipped", scope, "services", (Point(at, float(len(waiting))),), detail
    )
