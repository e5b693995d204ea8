"""Loading the delivery records a metric needs, with SQL, for a scope and a window.

Times come back as epoch seconds computed by the database (much faster than parsing SQLite's text times in
Python) and are turned into timezone-aware UTC datetimes here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Float, and_, cast, func, select
from sqlalchemy.orm import Session

from missionos.delivery import metrics
from missionos.delivery.metrics import ATTRIBUTION_WINDOW, ChangeSpans, Deployments
from missionos.delivery.models import Commit, Deployment, Incident, PullRequest, Repository, Service, Team
from missionos.delivery.records import IncidentRecord
from missionos.errors import NotFoundError
from missionos.measures import Scope, Window

UTC = dt.UTC


def epoch(session: Session, column: Any) -> ColumnElement[Any]:
    """`column` (a stored UTC time) as seconds since the epoch, computed by the database."""
    if session.get_bind().dialect.name == "sqlite":
        return cast((func.julianday(column) - 2440587.5) * 86400.0, Float)
    return cast(func.extract("epoch", column), Float)


def _moment(seconds: float | None) -> dt.datetime | None:
    return None if seconds is None else dt.datetime.fromtimestamp(round(seconds, 3), UTC)


@dataclass(frozen=True)
class ScopeServices:
    """The services a scope covers: their ids and names."""

    scope: Scope
    ids: tuple[int, ...]
    names: tuple[str, ...]


def services_in(session: Session, scope: Scope) -> ScopeServices:
    """The services of an org, team or service scope; an unknown team or service is a `NotFoundError`."""
    query = select(Service.id, Service.name).order_by(Service.name)
    if scope.kind == "service":
        query = query.where(Service.name == scope.name)
    elif scope.kind == "team":
        team = session.scalar(select(Team.id).where(Team.name == scope.name))
        if team is None:
            raise NotFoundError("team", scope.name or "")
        query = query.where(Service.team_id == team)
    rows = session.execute(query).all()
    if scope.kind == "service" and not rows:
        raise NotFoundError("service", scope.name or "")
    return ScopeServices(scope, tuple(r.id for r in rows), tuple(r.name for r in rows))


def services_named(session: Session, names: Sequence[str]) -> ScopeServices:
    rows = session.execute(select(Service.id, Service.name).where(Service.name.in_(list(names)))).all()
    missing = set(names) - {r.name for r in rows}
    if missing:
        raise NotFoundError("service", sorted(missing)[0])
    scope = Scope("service", names[0]) if len(names) == 1 else Scope("org")
    return ScopeServices(scope, tuple(r.id for r in rows), tuple(sorted(r.name for r in rows)))


@dataclass(frozen=True)
class DeliveryRecords:
    """What the metrics of one scope and window are computed from.

    `change_services` holds each change's service name, in the order of `changes`, so that the records of a
    larger scope can be cut down to a smaller one (`only`) instead of being loaded again.
    """

    production: Deployments
    changes: ChangeSpans
    incidents: list[IncidentRecord]
    commit_deployments: dict[tuple[str, str], str]
    change_services: Any

    def only(self, names: Collection[str]) -> DeliveryRecords:
        """The records of the services `names` (all of them loaded with these records)."""
        wanted = set(names)
        keep = np.isin(self.change_services, list(wanted))
        return DeliveryRecords(
            self.production.only(wanted),
            self.changes.take(keep),
            [i for i in self.incidents if i.service in wanted],
            {k: v for k, v in self.commit_deployments.items() if k[0] in wanted},
            self.change_services[keep],
        )


def plain_rows(session: Session, query: Any) -> list[Any]:
    """The rows of `query` as plain tuples read from the DBAPI cursor (no Row objects)."""
    result = session.connection().execute(query)
    rows = list(result.cursor.fetchall()) if result.cursor is not None else []
    result.close()
    return rows


def micros(seconds: Any) -> Any:
    """Epoch seconds as the database computes them (floating point) to whole microseconds, rounded to the
    millisecond exactly as `round(seconds, 3)` rounds (the database's arithmetic is only that precise)."""
    scaled = np.asarray(seconds, dtype=float) * 1000.0
    millis = np.rint(scaled)
    # where the product lies within its rounding error of a half millisecond, numpy's rounding may not be
    # Python's correctly rounded one: those few take Python's
    close = np.flatnonzero(np.abs(np.abs(scaled - np.floor(scaled)) - 0.5) < 1e-3)
    flat = np.asarray(seconds, dtype=float).reshape(-1)
    for i in close.tolist():
        millis.flat[i] = round(round(float(flat[i]), 3) * 1000.0)
    return millis.astype(np.int64) * 1000


def production(session: Session, services: ScopeServices, since: dt.datetime) -> Deployments:
    """The production deployments of `services` finished from `since` onward, as columns."""
    rows = plain_rows(
        session,
        select(
            Deployment.service_id,
            Deployment.external_id,
            epoch(session, Deployment.finished_at),
            Deployment.effective_kind,
            Deployment.remediates,
        ).where(
            Deployment.service_id.in_(list(services.ids)),
            Deployment.is_production.is_(True),
            Deployment.finished_at >= since,
        ),
    )
    codes = np.full(max(services.ids, default=0) + 1, -1, dtype=np.intp)
    names = sorted(services.names)
    by_name = {name: i for i, name in enumerate(names)}
    for sid, name in zip(services.ids, services.names, strict=True):
        codes[sid] = by_name[name]
    service_ids, ids, finished, kinds, remediates = (
        (list(c) for c in zip(*rows, strict=True)) if rows else ([], [], [], [], [])
    )
    return Deployments.ordered(
        names,
        codes[np.asarray(service_ids, dtype=np.intp)],
        ids,
        micros(finished),
        kinds,
        [r or "" for r in remediates],
    )


def lookback_span(session: Session) -> dt.timedelta:
    """How far before a window its records reach back: the attribution window, at least a week (an
    incident or a remediation at the window's start finds its deployment)."""
    from missionos.delivery.settings import load as settings

    return max(ATTRIBUTION_WINDOW, settings(session).attribution_window)


def load(
    session: Session, services: ScopeServices, window: Window, *, deployments: Deployments | None = None
) -> DeliveryRecords:
    """Production deployments finished from a week before the window onward (so that incidents and
    remediations at its start find their deployment), the changes deployed in the window, and the incidents
    started from a week before it onward.

    `deployments`: those production deployments when already read (`production` of these services from a
    week before the window)."""
    ids = list(services.ids)
    lookback = window.since - lookback_span(session)
    names = dict(zip(services.ids, services.names, strict=True))
    deployed = deployments if deployments is not None else production(session, services, lookback)
    # The change query can return millions of rows: they are read from the DBAPI cursor as plain tuples
    # straight into a numpy array.
    change_rows = plain_rows(
        session,
        select(
            epoch(session, Deployment.finished_at),
            epoch(session, Commit.start_at),
            epoch(session, PullRequest.created_at),
            epoch(session, PullRequest.first_review_at),
            epoch(session, PullRequest.merged_at),
            Deployment.service_id,
        )
        .join(Deployment, Deployment.id == Commit.deployment_id)
        .outerjoin(PullRequest, PullRequest.id == Commit.pull_request_id)
        .where(
            Deployment.service_id.in_(ids),
            Deployment.finished_at >= window.since,
            Deployment.finished_at < window.until,
        ),
    )
    table = np.array(change_rows, dtype=float).reshape(-1, 6)
    # rounded to the millisecond: the database's epoch arithmetic is floating point
    changes = ChangeSpans.from_epochs(np.round(table[:, :5], 3))
    service_names = np.array([names[int(i)] for i in table[:, 5]], dtype=object)
    incident_rows = plain_rows(
        session,
        select(
            Incident.service_id,
            Incident.external_id,
            epoch(session, Incident.started_at),
            epoch(session, Incident.resolved_at),
            Incident.severity,
            Incident.cause,
            Incident.remediation,
        ).where(Incident.service_id.in_(ids), Incident.started_at >= lookback),
    )
    fromts = dt.datetime.fromtimestamp
    incidents = [
        IncidentRecord(
            id=r[1],
            service=names[r[0]],
            started_at=fromts(round(r[2], 3), UTC),
            resolved_at=_moment(r[3]),
            severity=r[4],
            cause=r[5],
            remediation=r[6],
        )
        for r in incident_rows
    ]
    causes = {(i.service, i.cause) for i in incidents if i.cause}
    causes -= set(deployed.rows(causes))  # those name a deployment
    return DeliveryRecords(
        deployed, changes, incidents, _commit_deployments(session, names, causes), service_names
    )


def production_finishes(session: Session, services: ScopeServices, window: Window) -> Any:
    """The finish times of the production deployments finished in the window, as `load` reads them (whole
    microseconds since the epoch, rounded to the millisecond), in ascending order: a numpy array."""
    slack = dt.timedelta(seconds=1)  # times are compared after rounding to the millisecond
    rows = plain_rows(
        session,
        select(epoch(session, Deployment.finished_at)).where(
            Deployment.service_id.in_(list(services.ids)),
            Deployment.is_production.is_(True),
            Deployment.finished_at >= window.since - slack,
            Deployment.finished_at < window.until + slack,
        ),
    )
    finishes = np.sort(micros([r[0] for r in rows]))
    inside = (finishes >= metrics.micros(window.since)) & (finishes < metrics.micros(window.until))
    return finishes[inside]


def _commit_deployments(
    session: Session, names: dict[int, str], causes: set[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """For incident causes that are commit shas (full or abbreviated), the first production deployment that
    carried the commit."""
    found: dict[tuple[str, str], str] = {}
    ids = {name: sid for sid, name in names.items()}
    for service, cause in causes:
        row = session.execute(
            select(Deployment.external_id)
            .join(Commit, Commit.deployment_id == Deployment.id)
            .join(Repository, Repository.id == Commit.repository_id)
            .where(Repository.service_id == ids[service], Commit.sha.like(f"{cause.lower()}%"))
            .limit(1)
        ).first()
        if row is not None:
            found[(service, cause)] = row[0]
    return found


# --- readiness --------------------------------------------------------------------------------------------


def readiness_rows(session: Session) -> list[dict[str, Any]]:
    """Per service: its team, first commit, and first and last production deployment (UTC)."""
    first_commit: dict[int, float] = {
        r[0]: r[1]
        for r in session.execute(
            select(Repository.service_id, func.min(epoch(session, Commit.committed_at)))
            .join(Commit, Commit.repository_id == Repository.id)
            .group_by(Repository.service_id)
        ).all()
    }
    deployed = {
        r[0]: (r[1], r[2], r[3])
        for r in session.execute(
            select(
                Deployment.service_id,
                func.min(epoch(session, Deployment.finished_at)),
                func.max(epoch(session, Deployment.finished_at)),
                func.count(),
            )
            .where(Deployment.is_production.is_(True))
            .group_by(Deployment.service_id)
        ).all()
    }
    rows = session.execute(
        select(Service.id, Service.name, Team.name)
        .outerjoin(Team, Team.id == Service.team_id)
        .order_by(Service.name)
    ).all()
    return [
        {
            "service": name,
            "team": team,
            "first_commit_at": _moment(first_commit.get(sid)),
            "first_deployment": _moment(deployed[sid][0]) if sid in deployed else None,
            "last_deployment": _moment(deployed[sid][1]) if sid in deployed else None,
            "production_deployments": deployed[sid][2] if sid in deployed else 0,
        }
        for sid, name, team in rows
    ]


# --- drill-down -------------------------------------------------------------------------------------------


def deployment_rows(
    session: Session, services: ScopeServices, window: Window, *, limit: int = 500
) -> list[Any]:
    """Deployments (every environment and status) finished in the window, newest first, with change counts."""
    changes = select(Commit.deployment_id, func.count().label("n")).group_by(Commit.deployment_id).subquery()
    return list(
        session.execute(
            select(
                Deployment.id,
                Deployment.external_id,
                Service.name.label("service"),
                Deployment.environment,
                Deployment.status,
                Deployment.started_at,
                Deployment.finished_at,
                Deployment.revision,
                Deployment.kind,
                Deployment.effective_kind,
                Deployment.remediates,
                Deployment.is_production,
                func.coalesce(changes.c.n, 0).label("changes"),
            )
            .join(Service, Service.id == Deployment.service_id)
            .outerjoin(changes, changes.c.deployment_id == Deployment.id)
            .where(
                Deployment.service_id.in_(list(services.ids)),
                and_(Deployment.finished_at >= window.since, Deployment.finished_at < window.until),
            )
            .order_by(Deployment.finished_at.desc())
            .limit(limit)
        ).all()
    )


def incident_rows(session: Session, services: ScopeServices, window: Window) -> list[Any]:
    return list(
        session.execute(
            select(
                Incident.external_id,
                Service.name.label("service"),
                Incident.started_at,
                Incident.resolved_at,
                Incident.severity,
                Incident.cause,
                Incident.remediation,
            )
            .join(Service, Service.id == Incident.service_id)
            .where(
                Incident.service_id.in_(list(services.ids)),
                Incident.started_at >= window.since,
                Incident.started_at < window.until,
            )
            .order_by(Incident.started_at.desc())
        ).all()
    )


def change_rows(
    session: Session, services: ScopeServices, window: Window, *, limit: int | None = 200
) -> list[Any]:
    """Changes deployed in the window, newest deployment first, with their pull request and reviewers."""
    return list(
        session.execute(
            select(
                Commit.sha,
                Commit.author,
                Commit.message,
                Commit.authored_at,
                Commit.start_at,
                Deployment.external_id.label("deployment"),
                Deployment.finished_at.label("deployed_at"),
                Service.name.label("service"),
                PullRequest.id.label("pr_id"),
                PullRequest.number.label("pr_number"),
                PullRequest.author.label("pr_author"),
            )
            .join(Deployment, Deployment.id == Commit.deployment_id)
            .join(Service, Service.id == Deployment.service_id)
            .outerjoin(PullRequest, PullRequest.id == Commit.pull_request_id)
            .where(
                Deployment.service_id.in_(list(services.ids)),
                Deployment.finished_at >= window.since,
                Deployment.finished_at < window.until,
            )
            .order_by(Deployment.finished_at.desc(), Commit.authored_at.desc())
            .limit(limit)
        ).all()
    )
