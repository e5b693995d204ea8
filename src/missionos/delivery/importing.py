"""Writing what delivery reads from outside: a repository's commits (`import_git`), and deployments,
incidents and pull requests (`upsert_*`, `import_forge`). Every record of a batch is checked before anything
is written, and each write re-attributes what it can change (`attribution`)."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from missionos.delivery import gitlog
from missionos.delivery.attribution import (
    _chunks,
    _refresh_kinds,
    attribute,
    reattribute_from,
    relink_pull_requests,
)
from missionos.delivery.catalog import ensure_repository, ensure_service
from missionos.delivery.common import _production_names, _utc
from missionos.delivery.forges import ForgeData
from missionos.delivery.metrics import is_production_deployment
from missionos.delivery.models import Commit, Deployment, Incident, PullRequest, Review, Service
from missionos.delivery.records import (
    KINDS,
    STATUSES,
    DeploymentRecord,
    ImportSummary,
    IncidentRecord,
    PullRequestRecord,
)
from missionos.errors import InputError

HEX = re.compile(r"^[0-9a-fA-F]{7,64}$")


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


def import_forge(session: Session, data: ForgeData, *, source: str) -> dict[str, ImportSummary]:
    """Write what a forge importer read (pull requests, then deployments, then incidents) in `session`'s
    transaction; the summary of each, keyed `pull_requests`, `deployments`, `incidents`."""
    return {
        "pull_requests": upsert_pull_requests(session, data.pull_requests, source=source),
        "deployments": upsert_deployments(session, data.deployments, source=source),
        "incidents": upsert_incidents(session, data.incidents, source=source),
    }
