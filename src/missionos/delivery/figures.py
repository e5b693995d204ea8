"""The figures of delivery (metrics.md §1): which services a scope holds, their records loaded once, the
five metrics, the weekly trend and each service's readiness."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from missionos.accounts import Principal, limits
from missionos.delivery import levels, metrics, queries
from missionos.delivery import stored_settings as delivery_settings
from missionos.delivery.catalog import require_services, service_teams
from missionos.delivery.queries import ScopeServices
from missionos.measures import Scope, Window


def scope_of(
    session: Session,
    *,
    services: Sequence[str] = (),
    team: str | None = None,
    who: Principal | None = None,
) -> ScopeServices:
    """The services selected by `--service` names, else by `--team`, else the whole organization; for a
    team-limited `who`, a named team or service must be theirs, and the organization is cut to their teams."""
    if services:
        require_services(session, who, services, "viewer")
        return queries.services_named(session, services)
    if team:
        limits.require_team(who, team, "viewer")
        return queries.services_in(session, Scope("team", team))
    found = queries.services_in(session, Scope("org"))
    if limits.team_filter(who) is None:
        return found
    teams = service_teams(session)
    kept = [(i, n) for i, n in zip(found.ids, found.names, strict=True) if limits.sees(who, teams.get(n))]
    return ScopeServices(found.scope, tuple(i for i, _ in kept), tuple(n for _, n in kept))


@dataclass(frozen=True)
class ScopeRecords:
    """The records of some services over a window with their failures, loaded once and shared by the figures
    of those services and of any subset of them: a page showing the organization, its teams and its services
    loads the organization's records once. Failures are decided per service (an incident or a remediation
    only ever names its own service's deployments), so cutting the records down keeps them exact."""

    selected: ScopeServices
    window: Window
    data: queries.DeliveryRecords
    found: metrics.Failures

    def of(self, selected: ScopeServices, window: Window) -> queries.DeliveryRecords:
        """The records of `selected` (services these records cover) over the same window."""
        if window != self.window or not set(selected.ids) <= set(self.selected.ids):
            raise ValueError(
                f"records of {self.selected.scope} over {self.window} do not cover {selected.scope}"
            )
        if set(selected.ids) == set(self.selected.ids):
            return self.data
        return self.data.only(selected.names)


def scope_records(
    session: Session,
    selected: ScopeServices,
    window: Window,
    *,
    deployments: metrics.Deployments | None = None,
) -> ScopeRecords:
    """The records behind every figure of `selected` over `window` (and of its teams and services);
    `deployments`: their production deployments from a week before the window, when already read
    (`queries.production`)."""
    data = queries.load(session, selected, window, deployments=deployments)
    found = metrics.failures(
        data.production,
        data.incidents,
        commit_deployments=data.commit_deployments,
        window=delivery_settings.load(session).attribution_window,
    )
    return ScopeRecords(selected, window, data, found)


def _records(
    session: Session, selected: ScopeServices, window: Window, records: ScopeRecords | None
) -> tuple[queries.DeliveryRecords, metrics.Failures]:
    loaded = records or scope_records(session, selected, window)
    return loaded.of(selected, window), loaded.found


def delivery_metrics(
    session: Session,
    selected: ScopeServices,
    window: Window,
    *,
    year: int = levels.DEFAULT_YEAR,
    records: ScopeRecords | None = None,
) -> dict[str, Any]:
    """The figures of `missionos delivery metrics` (metrics.md §1) for `selected` over `window`, from
    `records` when given (`scope_records` of `selected` or of a scope holding it, over `window`)."""
    data, found = _records(session, selected, window, records)
    figures = metrics.summary(
        data.production,
        data.changes,
        data.incidents,
        window,
        commit_deployments=data.commit_deployments,
        year=year,
        found=found,
    )
    return {
        "window": {"since": window.since.isoformat(), "until": window.until.isoformat()},
        "scope": {**selected.scope.as_dict(), "services": list(selected.names)},
        **figures,
    }


def weekly_figures(
    session: Session, selected: ScopeServices, window: Window, *, records: ScopeRecords | None = None
) -> list[dict[str, Any]]:
    """The metrics of each Monday-started week of `window` (the trend behind every chart and measure), from
    `records` when given; the arithmetic is `metrics.weekly`."""
    data, found = _records(session, selected, window, records)
    return metrics.weekly(data.production, data.changes, found, window)


def readiness(session: Session, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every service as shipping, stalled or never shipped, with its time to first production deployment."""
    moment = now or dt.datetime.now(dt.UTC)
    result = []
    for row in queries.readiness_rows(session):
        finishes = [m for m in (row["first_deployment"], row["last_deployment"]) if m is not None]
        figures = metrics.readiness(row["first_commit_at"], finishes, moment)
        result.append(
            {
                "service": row["service"],
                "team": row["team"],
                "status": figures["status"],
                "first_commit_at": row["first_commit_at"],
                "first_deployment": figures["first_deployment"],
                "last_deployment": figures["last_deployment"],
                "production_deployments": row["production_deployments"],
                "time_to_first_deployment_days": figures["time_to_first_deployment_days"],
            }
        )
    return result
