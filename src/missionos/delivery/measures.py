"""The delivery context's published measures: weekly series per org, team or service (METRICS.md §1).

Each point is the figure of one Monday-started week (the first and last may be partial), at the week's start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from missionos.delivery import queries
from missionos.delivery.service import weekly_figures
from missionos.measures import Direction, Point, Scope, Series, Window, measure
from missionos.store import Database

SCOPES = ("org", "team", "service")


def _series(name: str, unit: str, column: str) -> Callable[[Database, Scope, Window], Series]:
    def compute(db: Database, scope: Scope, window: Window) -> Series:
        with db.session() as session:
            selected = queries.services_in(session, scope)
            rows = weekly_figures(session, selected, window)
        points = tuple(Point(r["week"], _value(r[column])) for r in rows)
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
)(_series("delivery.deployment_frequency", "deployments/week", "deployments"))

measure(
    "delivery.production_deployments",
    unit="deployments",
    direction=Direction.HIGHER_IS_BETTER,
    description="Production deployments in each week; summed over all time, whether a service ever shipped.",
    scopes=SCOPES,
)(_series("delivery.production_deployments", "deployments", "deployments"))

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
