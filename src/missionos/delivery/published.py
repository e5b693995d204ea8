"""What delivery publishes: the production changes and deployments other contexts read (compliance,
platform), and the deployments, incidents and changes behind the figures."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos.delivery import metrics, queries
from missionos.delivery.catalog import service_named
from missionos.delivery.common import _production_names, _utc, utc
from missionos.delivery.figures import _records
from missionos.delivery.metrics import is_production_environment
from missionos.delivery.models import Review
from missionos.delivery.queries import ScopeServices
from missionos.measures import Scope, Window


@dataclass(frozen=True)
class ProductionChange:
    """A change that reached production, and whether someone other than its author reviewed it."""

    sha: str
    service: str
    author: str
    deployment: str
    deployed_at: dt.datetime
    pull_request: int | None
    reviewers: tuple[str, ...]
    reviewed: bool


@dataclass(frozen=True)
class ProductionDeployment:
    """A deployment to a production environment, successful or not, with its effective kind."""

    id: str
    service: str
    environment: str
    status: str
    kind: str
    started_at: dt.datetime | None
    finished_at: dt.datetime
    revision: str
    changes: int


def production_changes(session: Session, service: str, window: Window) -> list[ProductionChange]:
    """Each change of `service` first deployed to production in `window`, with its pull request's reviewers.

    `reviewed` is true when the pull request that introduced the change has a review by someone other than
    both the pull request's author and the commit's author. A change with no pull request is not reviewed.
    Evidence for the compliance context (code review controls).
    """
    selected = queries.services_in(session, Scope("service", service))
    rows = queries.change_rows(session, selected, window, limit=None)
    pr_ids = {r.pr_id for r in rows if r.pr_id is not None}
    reviewers: dict[int, list[str]] = defaultdict(list)
    if pr_ids:
        for pr_id, author in session.execute(
            select(Review.pull_request_id, Review.author).where(Review.pull_request_id.in_(pr_ids))
        ):
            if author not in reviewers[pr_id]:
                reviewers[pr_id].append(author)
    result = []
    for r in rows:
        names = tuple(reviewers.get(r.pr_id, ())) if r.pr_id is not None else ()
        independent = [n for n in names if n not in (r.pr_author, r.author)]
        result.append(
            ProductionChange(
                sha=r.sha,
                service=r.service,
                author=r.author,
                deployment=r.deployment,
                deployed_at=_utc(r.deployed_at),
                pull_request=r.pr_number,
                reviewers=names,
                reviewed=bool(independent),
            )
        )
    return result


def production_deployments(session: Session, service: str, window: Window) -> list[ProductionDeployment]:
    """Deployments of `service` to production environments finished in `window`, oldest first, with status
    (`success`/`failure`) and effective kind (`planned`/`hotfix`/`rollback`). Evidence for compliance."""
    selected = queries.services_in(session, Scope("service", service))
    svc = service_named(session, service)
    names = _production_names(svc)
    rows = queries.deployment_rows(session, selected, window, limit=100_000)
    return [
        ProductionDeployment(
            id=r.external_id,
            service=r.service,
            environment=r.environment,
            status=r.status,
            kind=r.effective_kind,
            started_at=utc(r.started_at),
            finished_at=_utc(r.finished_at),
            revision=r.revision,
            changes=r.changes,
        )
        for r in reversed(rows)
        if is_production_environment(r.environment, names)
    ]


def deployments(session: Session, selected: ScopeServices, window: Window) -> list[dict[str, Any]]:
    """The deployments behind the figures, newest first, each marked failed or not and with its recovery."""
    data, found = _records(session, selected, window, None)
    listed = queries.deployment_rows(session, selected, window)
    production = data.production.rows((r.service, r.external_id) for r in listed)
    result = []
    for r in listed:
        k = (r.service, r.external_id)
        failed = k in found.failed
        recovered = metrics.recovered_at(k, found) if failed and k in production else None
        result.append(
            {
                "id": r.external_id,
                "service": r.service,
                "environment": r.environment,
                "status": r.status,
                "production": r.is_production,
                "kind": r.effective_kind,
                "started_at": utc(r.started_at),
                "finished_at": _utc(r.finished_at),
                "revision": r.revision,
                "remediates": r.remediates.split(),
                "changes": r.changes,
                "failed": failed,
                "incidents": [i.id for i in found.incidents_of.get(k, ())],
                "remediated_by": found.remediated_by[k].id if k in found.remediated_by else None,
                "recovered_at": recovered,
            }
        )
    return result


def incidents(session: Session, selected: ScopeServices, window: Window) -> list[dict[str, Any]]:
    """Incidents started in the window, newest first, with the deployment each is attributed to."""
    _, found = _records(session, selected, window, None)
    result = []
    for r in queries.incident_rows(session, selected, window):
        target = found.attribution.get((r.service, r.external_id))
        result.append(
            {
                "id": r.external_id,
                "service": r.service,
                "started_at": _utc(r.started_at),
                "resolved_at": utc(r.resolved_at),
                "severity": r.severity,
                "cause": r.cause,
                "remediation": r.remediation,
                "deployment": target[1] if target else None,
                "how": ("cause" if r.cause else "heuristic") if target else "unattributed",
            }
        )
    return result


def changes(
    session: Session, selected: ScopeServices, window: Window, *, limit: int = 200
) -> list[dict[str, Any]]:
    """The changes deployed in the window (newest first) with their lead time in hours."""
    result = []
    for r in queries.change_rows(session, selected, window, limit=limit):
        deployed, start = _utc(r.deployed_at), utc(r.start_at) or _utc(r.authored_at)
        result.append(
            {
                "sha": r.sha,
                "service": r.service,
                "author": r.author,
                "message": r.message.splitlines()[0] if r.message else "",
                "pull_request": r.pr_number,
                "deployment": r.deployment,
                "deployed_at": deployed,
                "lead_time_hours": (deployed - start).total_seconds() / 3600,
            }
        )
    return result
