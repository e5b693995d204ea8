"""Attribution (metrics.md §1): which production deployment first carried each change, each change's
start, and each deployment's effective kind, derived again after every write that can change them."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from missionos.delivery import stored_settings as delivery_settings
from missionos.delivery.common import _production_names, _utc, utc
from missionos.delivery.metrics import is_production_deployment, kind_from_texts
from missionos.delivery.models import Commit, Deployment, Incident, PullRequest, Service
from missionos.delivery.records import DeploymentRecord


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
        commits = {
            r.sha: GraphCommit(r.parents.split(), _utc(r.committed_at), not r.is_merge and bool(r.touches))
            for r in rows
        }
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
        assigned = changes_carried_by(
            [(d.id, d.revision) for d in production_deps], commits, history_start=history_start
        )
        for sha, deployment_id in assigned.items():
            carried_texts[deployment_id].append(by_sha[sha].message)
            introduced = pr_of.get(sha)
            if introduced is not None and introduced.labels:
                carried_texts[deployment_id].extend(introduced.labels.split(","))
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


class GraphCommit(NamedTuple):
    """What attribution reads of a commit: its parents, when it was committed (UTC), and whether it is a
    change of the service (not a merge, and touching a file under the service's path prefix)."""

    parents: Sequence[str]
    committed_at: dt.datetime
    is_change: bool


def changes_carried_by(
    deployments: Sequence[tuple[int, str]],
    commits: Mapping[str, GraphCommit],
    *,
    history_start: dt.datetime | None = None,
) -> dict[str, int]:
    """Which production deployment first carried each change of one repository (metrics.md §1): the
    deployment's id by the change's sha, in the order the deployments carried them.

    `deployments` are a service's production deployments as (id, revision), oldest first (by finish time, then
    id); one whose revision is not among `commits` is passed over. The changes of deployment D are
    `git rev-list --no-merges prev..D` filtered by the path prefix, prev being the deployment before it here,
    and each change is carried by the first deployment that reaches it. The first deployment carries nothing,
    unless the service has a history start: then the changes it reaches committed since then.
    """
    parents = {sha: commit.parents for sha, commit in commits.items()}
    assigned: dict[str, int] = {}
    previous: set[str] | None = None
    previous_rev = ""
    for deployment_id, revision in deployments:
        if revision not in parents:
            continue
        if previous is None:
            reach, _ = _walk(parents, revision, set(), "")
            carried = (
                {s for s in reach if commits[s].committed_at >= history_start}
                if history_start is not None
                else set()
            )
            previous = reach
        else:
            carried, hit = _walk(parents, revision, previous, previous_rev)
            if hit:
                previous |= carried
            else:
                previous, _ = _walk(parents, revision, set(), "")
        previous_rev = revision
        for sha in carried:
            if not commits[sha].is_change or sha in assigned:
                continue
            assigned[sha] = deployment_id
    return assigned


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


def _walk(
    parents: Mapping[str, Sequence[str]], start: str, stop: set[str], target: str
) -> tuple[set[str], bool]:
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
