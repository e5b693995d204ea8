"""Public service functions of the delivery context."""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from missionos.accounts import limits
from missionos.accounts.identity import Principal
from missionos.delivery import gitlog, levels, metrics, queries
from missionos.delivery import settings as delivery_settings
from missionos.delivery.catalog import ServiceInfo as ServiceInfo  # the façade re-exports the catalog
from missionos.delivery.catalog import ensure_repository as ensure_repository
from missionos.delivery.catalog import ensure_service as ensure_service
from missionos.delivery.catalog import ensure_team as ensure_team
from missionos.delivery.catalog import list_services as list_services
from missionos.delivery.catalog import list_teams as list_teams
from missionos.delivery.catalog import require_services as require_services
from missionos.delivery.catalog import service_named as service_named
from missionos.delivery.catalog import service_teams as service_teams
from missionos.delivery.forges import ForgeData
from missionos.delivery.metrics import is_production_deployment, is_production_environment, kind_from_texts
from missionos.delivery.models import (
    Commit,
    Deployment,
    Incident,
    PullRequest,
    Review,
    Service,
)
from missionos.delivery.queries import ScopeServices
from missionos.delivery.records import (
    KINDS,
    STATUSES,
    DeploymentRecord,
    ImportSummary,
    IncidentRecord,
    PullRequestRecord,
)
from missionos.errors import InputError
from missionos.measures import Scope, Window

# --- helpers ----------------------------------------------------------------------------------------------

HEX = re.compile(r"^[0-9a-fA-F]{7,64}$")


def utc(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored time as timezone-aware UTC (SQLite hands back naive datetimes)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _where(source: str, lines: Sequence[int] | None, index: int) -> dict[str, Any]:
    return {"source": source, "line": lines[index] if lines is not None else index + 1}


def _aware(moment: dt.datetime | None, field: str, where: dict[str, Any], *, required: bool = True) -> None:
    if moment is None:
        if required:
            raise InputError(f"{field}: expected an ISO 8601 time with an offset", **where)
        return
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InputError(f"{field}: expected a time with a UTC offset, got {moment.isoformat()}", **where)


def _services(session: Session, names: Iterable[str]) -> dict[str, Service]:
    wanted = set(names)
    if not wanted:
        return {}
    return {s.name: s for s in session.scalars(select(Service).where(Service.name.in_(wanted)))}


def _known_service(services: dict[str, Service], name: str, where: dict[str, Any]) -> Service:
    found = services.get(name)
    if found is None:
        raise InputError(
            f"service: no service named {name!r}; declare it in an organization file and run "
            "`missionos org apply` (docs/org.md), or import its history with `missionos delivery import git`",
            **where,
        )
    return found


def _production_names(service: Service) -> list[str]:
    return [n for n in service.production_environments.split(",") if n.strip()]


# --- git --------------------------------------------------------------------------------------------------


def import_git(
    session: Session,
    path: Path,
    *,
    service: str,
    path_prefix: str = "",
    branch: str | None = None,
    progress: Callable[[int], None] | None = None,
    total: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import the commits of `branch` (default: HEAD) of the repository at `path` for `service`.

    Re-running adds only new commits. Several services may share one repository through `path_prefix`: every
    commit is kept for the graph, and those that touch no file under the prefix (and merges) are not changes.
    """
    path = Path(path).resolve()
    head = gitlog.resolve(path, branch or "HEAD")
    if not head:
        raise InputError(f"--branch: no branch or revision {branch or 'HEAD'!r}", source=str(path))
    prefix = path_prefix.strip("/")
    svc = ensure_service(session, service)
    repo = ensure_repository(session, svc, str(path), path_prefix=prefix, branch=branch or "HEAD")
    revisions = [head]
    if repo.imported_head and gitlog.is_ancestor(path, repo.imported_head, head):
        revisions = [head, f"^{repo.imported_head}"]
    known: set[str] = set(session.scalars(select(Commit.sha).where(Commit.repository_id == repo.id)))
    if total is not None:
        total(gitlog.count(path, revisions))
    inserted = read = 0
    writer = _CommitWriter(session)
    batch: list[tuple[Any, ...]] = []
    for record in gitlog.read_commits(path, revisions):
        read += 1
        if record.sha in known:
            continue
        known.add(record.sha)
        batch.append(
            writer.row(
                repo.id,
                record.sha,
                " ".join(record.parents),
                len(record.parents) > 1,
                _touches(record.files, prefix),
                record.authored_at,
                record.author_offset,
                record.committed_at,
                record.committer_offset,
                record.author[:300],
                record.author_email[:300],
                record.message,
                "\n".join(record.files),
            )
        )
        if len(batch) >= 5000:
            writer.write(batch)
            inserted += len(batch)
            if progress is not None:
                progress(len(batch))
            batch = []
    if batch:
        writer.write(batch)
        inserted += len(batch)
        if progress is not None:
            progress(len(batch))
    repo.imported_head = head
    session.flush()
    attribute(session, svc)
    return ImportSummary(source=str(path), read=read, inserted=inserted, unchanged=read - inserted)


class _CommitWriter:
    """Inserts commit rows through the driver directly: the import is bound by this loop, and SQLAlchemy's
    per-value processing would cost more than git itself. Times go in as each dialect stores them."""

    COLUMNS = (
        "repository_id",
        "sha",
        "parents",
        "is_merge",
        "touches",
        "authored_at",
        "author_offset",
        "committed_at",
        "committer_offset",
        "author",
        "author_email",
        "message",
        "files",
        "start_at",
    )

    def __init__(self, session: Session) -> None:
        self.connection = session.connection()
        self.sqlite = self.connection.dialect.name == "sqlite"
        marks = ", ".join(["?" if self.sqlite else "%s"] * len(self.COLUMNS))
        self.sql = f"INSERT INTO delivery_commit ({', '.join(self.COLUMNS)}) VALUES ({marks})"

    def _time(self, moment: dt.datetime) -> Any:
        if self.sqlite:
            return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        return moment

    def row(
        self,
        repository_id: int,
        sha: str,
        parents: str,
        is_merge: bool,
        touches: bool,
        authored_at: dt.datetime,
        author_offset: int,
        committed_at: dt.datetime,
        committer_offset: int,
        author: str,
        email: str,
        message: str,
        files: str,
    ) -> tuple[Any, ...]:
        authored = self._time(authored_at)
        flags = (int(is_merge), int(touches)) if self.sqlite else (is_merge, touches)
        return (
            repository_id,
            sha,
            parents,
            *flags,
            authored,
            author_offset,
            self._time(committed_at),
            committer_offset,
            author,
            email,
            message,
            files,
            authored,
        )

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        self.connection.exec_driver_sql(self.sql, rows)


def _touches(files: Sequence[str], prefix: str) -> bool:
    if not prefix:
        return True
    return any(f == prefix or f.startswith(prefix + "/") for f in files)


# --- deployments, incidents and pull requests -------------------------------------------------------------


def _resolve_revisions(
    session: Session, service: Service, revisions: set[str]
) -> tuple[bool, dict[str, str]]:
    """Whether the service has imported history, and each revision's full sha where it is known."""
    repo_ids = [r.id for r in service.repositories]
    if not repo_ids:
        return False, {}
    has_history = session.scalar(select(Commit.id).where(Commit.repository_id.in_(repo_ids)).limit(1))
    if has_history is None:
        return False, {}
    found: dict[str, str] = {}
    exact = list(revisions)
    for i in range(0, len(exact), 500):
        for sha in session.scalars(
            select(Commit.sha).where(Commit.repository_id.in_(repo_ids), Commit.sha.in_(exact[i : i + 500]))
        ):
            found[sha] = sha
    for short in revisions - set(found):
        if HEX.match(short) and len(short) < 40:
            matches = list(
                session.scalars(
                    select(Commit.sha)
                    .where(Commit.repository_id.in_(repo_ids), Commit.sha.like(f"{short.lower()}%"))
                    .limit(2)
                )
            )
            if len(matches) == 1:
                found[short] = matches[0]
    return True, found


def upsert_deployments(
    session: Session,
    records: Sequence[DeploymentRecord],
    *,
    source: str,
    lines: Sequence[int] | None = None,
) -> ImportSummary:
    """Insert or update deployments by (service, id), then re-attribute changes of the services touched.

    Every record is checked before anything is written; the first bad one raises `InputError` naming its line.
    The revision must be a commit of the service's imported repositories (when it has imported history).
    """
    services = _services(session, (r.service for r in records))
    seen: set[tuple[str, str]] = set()
    resolved: list[str] = []
    history: dict[str, tuple[bool, dict[str, str]]] = {}
    wanted: dict[str, set[str]] = defaultdict(set)
    for r in records:
        wanted[r.service].add(r.revision)
    for i, r in enumerate(records):
        where = _where(source, lines, i)
        if not r.id:
            raise InputError("id: expected a deployment id", **where)
        svc = _known_service(services, r.service, where)
        if (r.service, r.id) in seen:
            raise InputError(f"id: deployment {r.id!r} of {r.service} appears twice in this batch", **where)
        seen.add((r.service, r.id))
        if not r.environment:
            raise InputError("environment: expected an environment name", **where)
        if r.status not in STATUSES:
            raise InputError(f"status: expected one of {', '.join(STATUSES)}, got {r.status!r}", **where)
        if r.kind not in KINDS:
            raise InputError(f"kind: expected one of {', '.join(KINDS)}, got {r.kind!r}", **where)
        _aware(r.started_at, "started_at", where, required=False)
        _aware(r.finished_at, "finished_at", where)
        if r.started_at is not None and r.started_at > r.finished_at:
            raise InputError("finished_at: expected a time after started_at", **where)
        if not r.revision:
            raise InputError("revision: expected a commit sha", **where)
        if r.service not in history:
            history[r.service] = _resolve_revisions(session, svc, wanted[r.service])
        has_history, known = history[r.service]
        if has_history and r.revision not in known:
            raise InputError(f"revision: {r.revision!r} is not a commit of {r.service}'s repository", **where)
        resolved.append(known.get(r.revision, r.revision))
    existing = _existing(session, Deployment, services, records)
    for i, r in enumerate(records):
        for target in r.remediates:
            if (r.service, target) not in seen and (services[r.service].id, target) not in existing:
                raise InputError(
                    f"remediates: no deployment {target!r} of {r.service}", **_where(source, lines, i)
                )
    inserted = updated = unchanged = 0
    # Per service, the earliest (finished_at, id) of a production deployment added, moved or changed: the
    # changes carried by production deployments before it cannot change (metrics.md §1 walks forward).
    earliest: dict[str, tuple[dt.datetime, str]] = {}

    def touched(name: str, key: tuple[dt.datetime, str]) -> None:
        if name not in earliest or key < earliest[name]:
            earliest[name] = key

    for r, revision in zip(records, resolved, strict=True):
        svc = services[r.service]
        values = {
            "environment": r.environment,
            "status": r.status,
            "started_at": r.started_at.astimezone(dt.UTC) if r.started_at else None,
            "finished_at": r.finished_at.astimezone(dt.UTC),
            "revision": revision,
            "kind": r.kind,
            "kind_explicit": r.kind_explicit or r.kind != "planned",
            "remediates": " ".join(r.remediates),
            "is_production": is_production_deployment(r, _production_names(svc)),
        }
        finished = r.finished_at.astimezone(dt.UTC)
        row = existing.get((svc.id, r.id))
        if row is None:
            session.add(
                Deployment(
                    service_id=svc.id, external_id=r.id, source=source, effective_kind=r.kind, **values
                )
            )
            if values["is_production"]:
                touched(svc.name, (finished, r.id))
            inserted += 1
        elif _changed(row, values):
            if row.is_production:
                touched(svc.name, (_utc(row.finished_at), r.id))
            if values["is_production"]:
                touched(svc.name, (finished, r.id))
            if not values["is_production"] and row.effective_kind != r.kind:
                row.effective_kind = r.kind
            for name, value in values.items():
                setattr(row, name, value)
            updated += 1
        else:
            # Sent again unchanged: attribution is checked again from it on (it repairs attribution after a
            # service setting such as its history start changed).
            if row.is_production:
                touched(svc.name, (finished, r.id))
            unchanged += 1
    session.flush()
    for name, start in earliest.items():
        reattribute_from(session, services[name], start)
    return ImportSummary(source, len(records), inserted, updated, unchanged)


def _existing(
    session: Session, model: Any, services: dict[str, Service], records: Sequence[Any]
) -> dict[Any, Any]:
    ids = {r.id for r in records}
    if not ids:
        return {}
    rows = session.scalars(
        select(model).where(
            model.service_id.in_([s.id for s in services.values()]), model.external_id.in_(list(ids))
        )
    )
    return {(row.service_id, row.external_id): row for row in rows}


def _changed(row: Any, values: dict[str, Any]) -> bool:
    for name, value in values.items():
        current = getattr(row, name)
        if isinstance(current, dt.datetime):
            current = _utc(current)
        if current != value:
            return True
    return False


def upsert_incidents(
    session: Session,
    records: Sequence[IncidentRecord],
    *,
    source: str,
    lines: Sequence[int] | None = None,
) -> ImportSummary:
    """Insert or update incidents by (service, id); every record is checked before anything is written.

    A remediation must name a deployment of the incident's service already recorded (deployments come first:
    an incident batch holds no deployments). Setting, changing or clearing it re-derives the effective kind of
    the deployment it names and of the one it named.
    """
    services = _services(session, (r.service for r in records))
    seen: set[tuple[str, str]] = set()
    for i, r in enumerate(records):
        where = _where(source, lines, i)
        if not r.id:
            raise InputError("id: expected an incident id", **where)
        _known_service(services, r.service, where)
        if (r.service, r.id) in seen:
            raise InputError(f"id: incident {r.id!r} of {r.service} appears twice in this batch", **where)
        seen.add((r.service, r.id))
        _aware(r.started_at, "started_at", where)
        _aware(r.resolved_at, "resolved_at", where, required=False)
        if r.resolved_at is not None and r.resolved_at < r.started_at:
            raise InputError("resolved_at: expected a time after started_at", **where)
    fixes = _deployment_ids(session, services, {(r.service, r.remediation) for r in records if r.remediation})
    for i, r in enumerate(records):
        if r.remediation and (r.service, r.remediation) not in fixes:
            raise InputError(
                f"remediation: no deployment {r.remediation!r} of {r.service}", **_where(source, lines, i)
            )
    existing = _existing(session, Incident, services, records)
    inserted = updated = unchanged = 0
    # Deployments an incident names, or named, as its remediation: their effective kind is derived again.
    renamed: set[tuple[str, str]] = set()
    for r in records:
        svc = services[r.service]
        values = {
            "started_at": r.started_at.astimezone(dt.UTC),
            "resolved_at": r.resolved_at.astimezone(dt.UTC) if r.resolved_at else None,
            "severity": r.severity,
            "cause": r.cause or None,
            "remediation": r.remediation or None,
        }
        row = existing.get((svc.id, r.id))
        if row is None:
            session.add(Incident(service_id=svc.id, external_id=r.id, source=source, **values))
            inserted += 1
        elif _changed(row, values):
            if row.remediation != values["remediation"] and row.remediation:
                renamed.add((r.service, row.remediation))
            for name, value in values.items():
                setattr(row, name, value)
            updated += 1
        else:
            unchanged += 1
            continue
        if r.remediation:
            renamed.add((r.service, r.remediation))
    session.flush()
    refresh = _deployment_ids(session, services, renamed)
    if refresh:
        _refresh_kinds(session, sorted(refresh.values()))
        session.flush()
    return ImportSummary(source, len(records), inserted, updated, unchanged)


def _deployment_ids(
    session: Session, services: dict[str, Service], keys: set[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """The row id of each recorded deployment named by (service name, deployment id) among `keys`."""
    names = {s.id: s.name for s in services.values()}
    found: dict[tuple[str, str], int] = {}
    ids = sorted({d for _, d in keys})
    for chunk in _chunks(ids):
        for row_id, service_id, external_id in session.execute(
            select(Deployment.id, Deployment.service_id, Deployment.external_id).where(
                Deployment.service_id.in_(list(names)), Deployment.external_id.in_(chunk)
            )
        ):
            if (names[service_id], external_id) in keys:
                found[(names[service_id], external_id)] = row_id
    return found


def upsert_pull_requests(
    session: Session,
    records: Sequence[PullRequestRecord],
    *,
    source: str,
    lines: Sequence[int] | None = None,
) -> ImportSummary:
    """Insert or update pull requests by (service, number) with their reviews, then re-attribute changes."""
    services = _services(session, (r.service for r in records))
    seen: set[tuple[str, int]] = set()
    for i, r in enumerate(records):
        where = _where(source, lines, i)
        _known_service(services, r.service, where)
        if (r.service, r.number) in seen:
            raise InputError(f"number: pull request {r.number} of {r.service} appears twice", **where)
        seen.add((r.service, r.number))
        _aware(r.created_at, "created_at", where)
        _aware(r.merged_at, "merged_at", where, required=False)
        _aware(r.first_commit_at, "first_commit_at", where, required=False)
        for j, review in enumerate(r.reviews):
            _aware(review.submitted_at, f"reviews[{j}].submitted_at", where)
    existing = {
        (row.service_id, row.number): row
        for row in session.scalars(
            select(PullRequest)
            .where(
                PullRequest.service_id.in_([s.id for s in services.values()]),
                PullRequest.number.in_(sorted({r.number for r in records})),
            )
            .options(selectinload(PullRequest.reviews))
        )
    }
    inserted = updated = unchanged = 0
    written: dict[str, list[PullRequest]] = defaultdict(list)
    for r in records:
        svc = services[r.service]
        row = existing.get((svc.id, r.number))
        values = {
            "title": r.title[:1000],
            "author": r.author,
            "created_at": r.created_at.astimezone(dt.UTC),
            "merged_at": r.merged_at.astimezone(dt.UTC) if r.merged_at else None,
            "merge_commit_sha": r.merge_commit_sha or None,
            "commit_shas": " ".join(r.commit_shas),
            "first_commit_at": r.first_commit_at.astimezone(dt.UTC) if r.first_commit_at else None,
            "first_review_at": r.first_review_at.astimezone(dt.UTC) if r.first_review_at else None,
            "labels": ",".join(r.labels),
        }
        reviews = sorted({(v.author, v.submitted_at.astimezone(dt.UTC), v.state) for v in r.reviews})
        if row is None:
            row = PullRequest(service_id=svc.id, number=r.number, source=source, **values)
            session.add(row)
            inserted += 1
        else:
            old = sorted((v.author, _utc(v.submitted_at), v.state) for v in row.reviews)
            if not _changed(row, values) and old == reviews:
                unchanged += 1
                continue
            for name, value in values.items():
                setattr(row, name, value)
            row.reviews.clear()
            session.flush()  # delete the old reviews before inserting their replacements (unique key)
            updated += 1
        row.reviews.extend(Review(author=a, submitted_at=t, state=s) for a, t, s in reviews)
        written[svc.name].append(row)
    session.flush()
    for name, rows in written.items():
        relink_pull_requests(session, services[name], [row.id for row in rows])
    return ImportSummary(source, len(records), inserted, updated, unchanged)


# --- attribution ------------------------------------------------------------------------------------------


def import_forge(session: Session, data: ForgeData, *, source: str) -> dict[str, ImportSummary]:
    """Write what a forge importer read (pull requests, then deployments, then incidents) in `session`'s
    transaction; the summary of each, keyed `pull_requests`, `deployments`, `incidents`."""
    return {
        "pull_requests": upsert_pull_requests(session, data.pull_requests, source=source),
        "deployments": upsert_deployments(session, data.deployments, source=source),
        "incidents": upsert_incidents(session, data.incidents, source=source),
    }


def attribute(session: Session, service: Service) -> None:
    """Recompute which production deployment first carried each change of `service` (metrics.md §1).

    The changes of production deployment D are `git rev-list --no-merges prev..D` filtered by the path
    prefix, where prev is the service's previous production deployment whose revision is in the same
    repository; the first production deployment carries nothing unless the service has a history start.
    Also sets each change's start (its pull request's first commit, else its authored_at) and each
    deployment's effective kind.
    """
    names = _production_names(service)
    deployments = list(session.scalars(select(Deployment).where(Deployment.service_id == service.id)))
    for d in deployments:
        record = DeploymentRecord(
            d.external_id, service.name, d.environment, d.status, None, _utc(d.finished_at), d.revision
        )
        production = is_production_deployment(record, names)
        if d.is_production != production:
            d.is_production = production
    production_deps = sorted(
        (d for d in deployments if d.is_production), key=lambda d: (_utc(d.finished_at), d.external_id)
    )
    prs = list(session.scalars(select(PullRequest).where(PullRequest.service_id == service.id)))
    if not production_deps and not prs and not _has_derived(session, service):
        return  # nothing carried, nothing introduced by a PR: the imported defaults already hold
    history_start = utc(service.history_start)
    carried_texts: dict[int, list[str]] = defaultdict(list)
    for repo in service.repositories:
        rows = session.execute(
            select(
                Commit.id,
                Commit.sha,
                Commit.parents,
                Commit.is_merge,
                Commit.touches,
                Commit.authored_at,
                Commit.committed_at,
                Commit.deployment_id,
                Commit.start_at,
                Commit.pull_request_id,
                Commit.message,
            ).where(Commit.repository_id == repo.id)
        ).all()
        if not rows:
            continue
        parents = {r.sha: r.parents.split() for r in rows}
        by_sha = {r.sha: r for r in rows}
        pr_of: dict[str, PullRequest] = {}
        for pr in prs:
            for sha in [*pr.commit_shas.split(), pr.merge_commit_sha or ""]:
                if sha:
                    pr_of[sha] = pr
        pr_start: dict[int, dt.datetime] = {}
        for pr in prs:
            starts = [_utc(by_sha[s].authored_at) for s in pr.commit_shas.split() if s in by_sha]
            if pr.first_commit_at is not None:
                starts.append(_utc(pr.first_commit_at))
            if starts:
                pr_start[pr.id] = min(starts)
        assigned: dict[str, int] = {}
        previous: set[str] | None = None
        previous_rev = ""
        for d in production_deps:
            if d.revision not in parents:
                continue
            if previous is None:
                reach, _ = _walk(parents, d.revision, set(), "")
                carried = (
                    {s for s in reach if _utc(by_sha[s].committed_at) >= history_start}
                    if history_start is not None
                    else set()
                )
                previous = reach
            else:
                carried, hit = _walk(parents, d.revision, previous, previous_rev)
                if hit:
                    previous |= carried
                else:
                    previous, _ = _walk(parents, d.revision, set(), "")
            previous_rev = d.revision
            for sha in carried:
                row = by_sha[sha]
                if row.is_merge or not row.touches or sha in assigned:
                    continue
                assigned[sha] = d.id
                carried_texts[d.id].append(row.message)
                introduced = pr_of.get(sha)
                if introduced is not None and introduced.labels:
                    carried_texts[d.id].extend(introduced.labels.split(","))
        changes = []
        for r in rows:
            owner = pr_of.get(r.sha)
            start = pr_start.get(owner.id) if owner is not None else None
            values = {
                "deployment_id": assigned.get(r.sha),
                "start_at": start or _utc(r.authored_at),
                "pull_request_id": owner.id if owner is not None else None,
            }
            if (
                r.deployment_id != values["deployment_id"]
                or utc(r.start_at) != values["start_at"]
                or r.pull_request_id != values["pull_request_id"]
            ):
                changes.append({"id": r.id, **values})
        if changes:
            session.execute(update(Commit), changes)
    _set_kinds(session, deployments, carried_texts)
    session.flush()


def _chunks(values: Sequence[Any], size: int = 500) -> Iterable[list[Any]]:
    for i in range(0, len(values), size):
        yield list(values[i : i + size])


# The columns of a change that incremental attribution reads and rewrites.
_ATTRIBUTION_COLUMNS = (
    Commit.id,
    Commit.sha,
    Commit.is_merge,
    Commit.touches,
    Commit.committed_at,
    Commit.deployment_id,
    Commit.pull_request_id,
    Commit.message,
)


def reattribute_from(session: Session, service: Service, start: tuple[dt.datetime, str]) -> None:
    """`attribute` for deployments only, from the production deployment ordered at `start` on.

    Production deployments ordered before `start` (by finish time, then id) keep the changes they carry: their
    walks are replayed over the commit graph (shas and parents only) to know what they reached, and nothing
    of theirs is rewritten. Later deployments are walked and attributed as `attribute` does; pull-request
    links and change starts do not depend on deployments and are left as they are. The result equals
    `attribute(session, service)` when the stored attribution before this call was complete.
    """
    deployments = list(session.scalars(select(Deployment).where(Deployment.service_id == service.id)))
    production_deps = sorted(
        (d for d in deployments if d.is_production), key=lambda d: (_utc(d.finished_at), d.external_id)
    )
    k = bisect.bisect_left([(_utc(d.finished_at), d.external_id) for d in production_deps], start)
    earlier = {d.id for d in production_deps[:k]}
    later = [d for d in deployments if d.id not in earlier]
    later_ids = [d.id for d in later]
    history_start = utc(service.history_start)
    carried_texts: dict[int, list[str]] = defaultdict(list)
    carried_prs: dict[int, list[int]] = defaultdict(list)
    for repo in service.repositories:
        graph = session.execute(
            select(Commit.sha, Commit.parents).where(Commit.repository_id == repo.id)
        ).all()
        if not graph:
            continue
        parents = {r.sha: r.parents.split() for r in graph}
        previous: set[str] | None = None
        previous_rev = ""
        carried_by: list[tuple[Deployment, set[str]]] = []
        first_reach: set[str] = set()
        for index, d in enumerate(production_deps):
            if d.revision not in parents:
                continue
            if previous is None:
                reach, _ = _walk(parents, d.revision, set(), "")
                previous = reach
                carried: set[str] = set()
                if index >= k and history_start is not None:
                    first_reach = reach
                    carried = reach
            else:
                carried, hit = _walk(parents, d.revision, previous, previous_rev)
                if hit:
                    previous |= carried
                else:
                    previous, _ = _walk(parents, d.revision, set(), "")
            previous_rev = d.revision
            if index >= k:
                carried_by.append((d, carried))
        wanted = set().union(*(c for _, c in carried_by)) if carried_by else set()
        rows: dict[str, Any] = {}
        for chunk in _chunks(sorted(wanted)):
            for r in session.execute(
                select(*_ATTRIBUTION_COLUMNS).where(Commit.repository_id == repo.id, Commit.sha.in_(chunk))
            ):
                rows[r.sha] = r
        for chunk in _chunks(later_ids):
            for r in session.execute(
                select(*_ATTRIBUTION_COLUMNS).where(
                    Commit.repository_id == repo.id, Commit.deployment_id.in_(chunk)
                )
            ):
                rows[r.sha] = r
        assigned: dict[str, int] = {}
        for d, carried in carried_by:
            for sha in carried:
                row = rows.get(sha)
                if row is None:
                    continue  # a parent outside the imported history
                if row.is_merge or not row.touches or sha in assigned or row.deployment_id in earlier:
                    continue
                if carried is first_reach and _utc(row.committed_at) < history_start:  # type: ignore[operator]
                    continue
                assigned[sha] = d.id
                carried_texts[d.id].append(row.message)
                if row.pull_request_id is not None:
                    carried_prs[d.id].append(row.pull_request_id)
        changes = [
            {"id": r.id, "deployment_id": assigned.get(sha)}
            for sha, r in rows.items()
            if r.deployment_id not in earlier and r.deployment_id != assigned.get(sha)
        ]
        if changes:
            session.execute(update(Commit), changes)
    labels = _labels(session, {p for ids in carried_prs.values() for p in ids})
    texts = {
        d.id: carried_texts.get(d.id, [])
        + [label for p in carried_prs.get(d.id, ()) for label in labels.get(p, ())]
        for d in later
    }
    _set_kinds(session, later, texts)
    session.flush()


def _labels(session: Session, pr_ids: Iterable[int]) -> dict[int, list[str]]:
    """The labels of these pull requests."""
    found: dict[int, list[str]] = {}
    for chunk in _chunks(sorted(set(pr_ids))):
        for pr_id, text in session.execute(
            select(PullRequest.id, PullRequest.labels).where(PullRequest.id.in_(chunk))
        ):
            if text:
                found[pr_id] = text.split(",")
    return found


def relink_pull_requests(session: Session, service: Service, changed: Sequence[int]) -> None:
    """`attribute` for pull requests only: after the pull requests `changed` were written, set the pull
    request and start of the changes they name (or named), and the effective kind of the deployments that
    carry those changes. Deployment attribution does not depend on pull requests and is left as it is."""
    prs = list(session.scalars(select(PullRequest).where(PullRequest.service_id == service.id)))
    pr_of: dict[str, PullRequest] = {}
    for pr in prs:
        for sha in [*pr.commit_shas.split(), pr.merge_commit_sha or ""]:
            if sha:
                pr_of[sha] = pr
    changed_set = set(changed)
    named = {
        sha
        for pr in prs
        if pr.id in changed_set
        for sha in [*pr.commit_shas.split(), pr.merge_commit_sha or ""]
        if sha
    }
    kinds_of: set[int] = set()
    for repo in service.repositories:
        columns = (
            Commit.id,
            Commit.sha,
            Commit.authored_at,
            Commit.deployment_id,
            Commit.start_at,
            Commit.pull_request_id,
        )
        rows: dict[str, Any] = {}
        for chunk in _chunks(sorted(named)):
            for r in session.execute(
                select(*columns).where(Commit.repository_id == repo.id, Commit.sha.in_(chunk))
            ):
                rows[r.sha] = r
        for chunk in _chunks(sorted(changed_set)):
            for r in session.execute(
                select(*columns).where(Commit.repository_id == repo.id, Commit.pull_request_id.in_(chunk))
            ):
                rows[r.sha] = r
        if not rows:
            continue
        owners = {pr_of[sha].id: pr_of[sha] for sha in rows if sha in pr_of}
        # Each owner's start is the earliest authored_at among its commits in this repository.
        owner_shas = sorted({s for pr in owners.values() for s in pr.commit_shas.split()})
        authored: dict[str, dt.datetime] = {}
        for chunk in _chunks(owner_shas):
            for sha, at in session.execute(
                select(Commit.sha, Commit.authored_at).where(
                    Commit.repository_id == repo.id, Commit.sha.in_(chunk)
                )
            ):
                authored[sha] = _utc(at)
        pr_start: dict[int, dt.datetime] = {}
        for pr in owners.values():
            starts = [authored[s] for s in pr.commit_shas.split() if s in authored]
            if pr.first_commit_at is not None:
                starts.append(_utc(pr.first_commit_at))
            if starts:
                pr_start[pr.id] = min(starts)
        updates = []
        for sha, r in rows.items():
            owner = pr_of.get(sha)
            start = pr_start.get(owner.id) if owner is not None else None
            values = {
                "start_at": start or _utc(r.authored_at),
                "pull_request_id": owner.id if owner is not None else None,
            }
            if r.deployment_id is not None:
                kinds_of.add(r.deployment_id)
            if utc(r.start_at) != values["start_at"] or r.pull_request_id != values["pull_request_id"]:
                updates.append({"id": r.id, **values})
        if updates:
            session.execute(update(Commit), updates)
    if kinds_of:
        _refresh_kinds(session, sorted(kinds_of))
    session.flush()


def refresh_all_kinds(session: Session) -> int:
    """Derive again the effective kind of every production deployment (after the kind rules changed); the
    number whose kind changed."""
    ids = list(session.scalars(select(Deployment.id).where(Deployment.is_production.is_(True))))
    before = {i: k for i, k in session.execute(select(Deployment.id, Deployment.effective_kind))}
    _refresh_kinds(session, ids)
    session.flush()
    after = {i: k for i, k in session.execute(select(Deployment.id, Deployment.effective_kind))}
    return sum(1 for k, v in after.items() if before.get(k) != v)


def _refresh_kinds(session: Session, deployment_ids: Sequence[int]) -> None:
    """The effective kind of these deployments from the changes they carry and their pull requests' labels."""
    texts: dict[int, list[str]] = defaultdict(list)
    prs: dict[int, list[int]] = defaultdict(list)
    for chunk in _chunks(deployment_ids):
        for deployment_id, message, pr_id in session.execute(
            select(Commit.deployment_id, Commit.message, Commit.pull_request_id).where(
                Commit.deployment_id.in_(chunk)
            )
        ):
            if deployment_id is None:
                continue
            texts[deployment_id].append(message)
            if pr_id is not None:
                prs[deployment_id].append(pr_id)
    labels = _labels(session, {p for ids in prs.values() for p in ids})
    for d_id, pr_ids in prs.items():
        texts[d_id].extend(label for p in pr_ids for label in labels.get(p, ()))
    for chunk in _chunks(deployment_ids):
        _set_kinds(session, list(session.scalars(select(Deployment).where(Deployment.id.in_(chunk)))), texts)


def _set_kinds(
    session: Session, deployments: Sequence[Deployment], texts: Mapping[int, Sequence[str]]
) -> None:
    """Set the effective kind of these deployments (metrics.md §1, rework): the record's kind, else one
    inferred from `texts` (their changes' messages and pull-request labels), else hotfix for a production
    deployment that an incident of its service names as its remediation. Other deployments keep their kind."""
    named = _named_remediations(session, [d.id for d in deployments if d.is_production])
    rules = delivery_settings.load(session).kind_rules
    for d in deployments:
        kind = (
            kind_from_texts(
                d.kind, texts.get(d.id, ()), remediation=d.id in named, explicit=d.kind_explicit, rules=rules
            )
            if d.is_production
            else d.kind
        )
        if d.effective_kind != kind:
            d.effective_kind = kind


def _named_remediations(session: Session, deployment_ids: Sequence[int]) -> set[int]:
    """Those of these deployments that an incident of their service names as its remediation."""
    found: set[int] = set()
    for chunk in _chunks(deployment_ids):
        found.update(
            session.scalars(
                select(Deployment.id)
                .join(
                    Incident,
                    (Incident.service_id == Deployment.service_id)
                    & (Incident.remediation == Deployment.external_id),
                )
                .where(Deployment.id.in_(chunk))
                .distinct()
            )
        )
    return found


def _has_derived(session: Session, service: Service) -> bool:
    """Whether any change of `service` carries a deployment or a pull request from an earlier attribution."""
    repo_ids = [r.id for r in service.repositories]
    if not repo_ids:
        return False
    found = session.scalar(
        select(Commit.id)
        .where(
            Commit.repository_id.in_(repo_ids),
            (Commit.deployment_id.is_not(None)) | (Commit.pull_request_id.is_not(None)),
        )
        .limit(1)
    )
    return found is not None


def _walk(parents: dict[str, list[str]], start: str, stop: set[str], target: str) -> tuple[set[str], bool]:
    """Commits reachable from `start` without entering `stop`, and whether the walk reached `target`."""
    seen: set[str] = set()
    hit = False
    stack = [start]
    while stack:
        sha = stack.pop()
        if sha in stop:
            hit = hit or sha == target
            continue
        if sha in seen:
            continue
        seen.add(sha)
        stack.extend(parents.get(sha, ()))
    return seen, hit


# --- metrics and the path to production -------------------------------------------------------------------


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
    `records` when given.

    Failures and attribution are decided once over the whole window; each deployment and change is then
    counted in its week with numpy, so long windows (years of weeks) stay cheap.
    """
    data, found = _records(session, selected, window, records)
    weeks = metrics.weeks(window)
    if not weeks:
        return []
    production = data.production
    inside = np.flatnonzero(production.within(window))
    starts = np.array([metrics.micros(w.since) for w in weeks], dtype=np.int64)
    week_of = np.searchsorted(starts, production.finished[inside], side="right") - 1
    count = np.bincount(week_of, minlength=len(weeks)).tolist()
    failed = production.mask(found.failed)[inside]
    failures = np.bincount(week_of[failed], minlength=len(weeks)).tolist()
    rework = np.bincount(week_of[production.rework()[inside]], minlength=len(weeks)).tolist()
    recovery: dict[int, list[float]] = defaultdict(list)
    spans, rows = metrics.recovery_spans(production, found, inside)
    for row, span in zip(np.searchsorted(inside, rows).tolist(), spans, strict=True):
        if span is not None:
            recovery[int(week_of[row])].append(span)
    changes = data.changes.by_deployment_time()
    edges = [w.since.timestamp() for w in weeks] + [weeks[-1].until.timestamp()]
    bounds = np.searchsorted(changes.deployed, edges).tolist()
    rows_out = []
    for n, week in enumerate(weeks):
        first, last = bounds[n], bounds[n + 1]
        total = count[n]
        if not total and first == last:
            rows_out.append(
                {
                    "week": week.since,
                    "deployments": 0,
                    "lead_time_hours": None,
                    "change_failure_rate": None,
                    "recovery_hours": None,
                    "rework_rate": None,
                }
            )
            continue
        lead = changes.lead[first:last]
        valid = lead[lead > 0]
        rows_out.append(
            {
                "week": week.since,
                "deployments": total,
                "lead_time_hours": float(np.percentile(valid, 50)) if valid.size else None,
                "change_failure_rate": failures[n] / total if total else None,
                "recovery_hours": metrics.percentile(recovery.get(n, []), 50),
                "rework_rate": rework[n] / total if total else None,
            }
        )
    return rows_out


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
