"""The figures of the delivery pages, computed once per change to the database (`Database.cached`, a minute
old at most): the organization's overview, whose records are loaded once and cut per team and service, and
the detail of one service or team."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from missionos.accounts import Principal, limits
from missionos.delivery import queries
from missionos.delivery.catalog import ServiceInfo, list_services, list_teams
from missionos.delivery.figures import (
    ScopeRecords,
    delivery_metrics,
    readiness,
    scope_of,
    scope_records,
    weekly_figures,
)
from missionos.delivery.published import changes, deployments, incidents
from missionos.delivery.queries import ScopeServices
from missionos.measures import Scope, Window
from missionos.store import Database

# How long a view stays an answer when nothing is written: its window ends when it was computed.
MAX_AGE = 60


@dataclass(frozen=True)
class ScopeView:
    """The figures of one scope (`delivery_metrics`) and their weekly trend (`weekly_figures`)."""

    doc: dict[str, Any]
    weeks: list[dict[str, Any]]


@dataclass(frozen=True)
class Overview:
    """The organization's figures, each service's and each team's, and every service's readiness."""

    services: list[ServiceInfo]
    window: Window
    org: ScopeView
    rows: list[dict[str, Any]]
    teams: list[dict[str, Any]]
    readiness: list[dict[str, Any]]


@dataclass(frozen=True)
class ScopeDetail:
    """The figures of one service or team, and the deployments, incidents and changes behind them."""

    window: Window
    view: ScopeView
    deployments: list[dict[str, Any]]
    incidents: list[dict[str, Any]]
    changes: list[dict[str, Any]]


def scope_view(
    session: Session, selected: ScopeServices, window: Window, records: ScopeRecords | None = None
) -> ScopeView:
    """The figures of `selected` over `window` and their weekly trend, from `records` when given."""
    records = records or scope_records(session, selected, window)
    doc = delivery_metrics(session, selected, window, records=records)
    return ScopeView(doc, weekly_figures(session, selected, window, records=records))


def overview(db: Database, session: Session, window: Window, *, who: Principal | None = None) -> Overview:
    """The overview of `window` (the last days up to now, `Window.last`) as `who` may see it, read in
    `session`. A team-limited reader's is computed for it; everyone else's once per change to the database,
    and a view at most a minute old (its window is the one it shows) answers the next readers."""
    if who is not None and who.teams is not None:
        return _overview(session, window, who)
    return db.cached(
        ("delivery.index", window.until - window.since), lambda: _overview(session, window), max_age=MAX_AGE
    )


def _overview(session: Session, window: Window, who: Principal | None = None) -> Overview:
    services = limits.filter_teams(who, list_services(session))
    everything = scope_of(session, who=who)
    # the organization's records, loaded once: every team's and service's figures are cut from them
    records = scope_records(session, everything, window)
    org = scope_view(session, everything, window, records)

    def figures(scope: Scope) -> dict[str, Any]:
        selected = queries.services_in(session, scope)
        return delivery_metrics(session, selected, window, records=records)

    rows: list[dict[str, Any]] = [
        {"kind": "service", "name": s.name, "team": s.team, "doc": figures(Scope("service", s.name))}
        for s in services
    ]
    teams: list[dict[str, Any]] = [
        {"kind": "team", "name": team, "doc": figures(Scope("team", team))}
        for team in list_teams(session)
        if limits.sees(who, team)
    ]
    return Overview(
        services=services,
        window=window,
        org=org,
        rows=rows,
        teams=teams,
        readiness=limits.filter_teams(who, readiness(session)),
    )


def scope_detail(db: Database, session: Session, selected: ScopeServices, window: Window) -> ScopeDetail:
    """The detail of `selected` over `window` (the last days up to now), read in `session`; like the
    overview, computed once per change to the database, and a minute old at most."""
    key = ("delivery.detail", selected.scope.kind, selected.scope.name, window.until - window.since)
    return db.cached(key, lambda: _scope_detail(session, selected, window), max_age=MAX_AGE)


def _scope_detail(session: Session, selected: ScopeServices, window: Window) -> ScopeDetail:
    return ScopeDetail(
        window=window,
        view=scope_view(session, selected, window),
        deployments=deployments(session, selected, window),
        incidents=incidents(session, selected, window),
        changes=changes(session, selected, window),
    )
