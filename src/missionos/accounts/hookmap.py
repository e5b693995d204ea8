"""What each webhook means: GitHub, GitLab and generic events mapped onto delivery and flow records.

The mapping functions are pure (payload in, records out); `apply` hands the records to the delivery and flow
services in the caller's transaction. A delivery whose event is not mapped is stored and marked `ignored`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos import safeload
from missionos.accounts.models import WebhookReview
from missionos.delivery.records import (
    KINDS,
    DeploymentRecord,
    IncidentRecord,
    PullRequestRecord,
    ReviewRecord,
)
from missionos.errors import FieldError, InputError
from missionos.flow.records import TransitionRecord, WorkItemRecord
from missionos.ingest.inbox import Delivery


@dataclass
class Batch:
    """The records one delivery carries."""

    deployments: list[DeploymentRecord] = field(default_factory=list)
    incidents: list[IncidentRecord] = field(default_factory=list)
    pull_requests: list[PullRequestRecord] = field(default_factory=list)
    work_items: list[WorkItemRecord] = field(default_factory=list)
    transitions: list[TransitionRecord] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(
            self.deployments or self.incidents or self.pull_requests or self.work_items or self.transitions
        )


def parse_time(value: Any, *, field_name: str) -> dt.datetime:
    """An ISO 8601 time (or GitLab's `2026-01-31 09:00:00 +0100` / `... UTC`) as aware UTC."""
    if not isinstance(value, str) or not value:
        raise FieldError(field_name, "a date-time with a UTC offset")
    text = value.strip()
    text = re.sub(r" UTC$", "+00:00", text)
    text = re.sub(r"^(\S+) (\S+) ([+-]\d{2}):?(\d{2})$", r"\1T\2\3:\4", text)
    text = re.sub(r"Z$", "+00:00", text)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise FieldError(field_name, "a date-time with a UTC offset") from None
    if moment.tzinfo is None:
        raise FieldError(field_name, "a date-time with a UTC offset")
    return moment.astimezone(dt.UTC)


def _maybe_time(value: Any, *, field_name: str) -> dt.datetime | None:
    return parse_time(value, field_name=field_name) if value else None


def _get(doc: Any, path: str) -> Any:
    node = doc
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise FieldError(path, "a value (missing from the payload)")
        node = node[part]
    return node


def _opt(doc: Any, path: str, default: Any = None) -> Any:
    try:
        value = _get(doc, path)
    except FieldError:
        return default
    return default if value is None else value


def body_of(delivery: Delivery) -> dict[str, Any]:
    """The JSON document of a delivery (GitHub may also send it form-encoded as `payload=`)."""
    raw = delivery.payload
    if delivery.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raw = parse_qs(raw.decode("utf-8", "replace")).get("payload", [""])[0].encode()
    try:
        doc = safeload.loads_json(raw, source="payload")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"payload is not JSON: {exc}", source=f"{delivery.source} delivery") from None
    if not isinstance(doc, dict):
        raise InputError("payload must be a JSON object", source=f"{delivery.source} delivery")
    return doc


def _work_type(labels: list[str], *, default: str = "feature") -> str:
    from missionos.flow.typemap import TypeMap

    kinds = TypeMap()
    for label in labels:
        mapped = kinds(label)
        if mapped != "feature" or label.casefold() in ("feature", "enhancement", "story"):
            return mapped
    return default


# ---- GitHub ----

_GITHUB_DEPLOY_STATES = {"success": "success", "failure": "failure", "error": "failure"}


def github_batch(event: str, doc: dict[str, Any]) -> Batch:
    """The records of one GitHub event (deployment_status, pull_request, pull_request_review, issues)."""
    batch = Batch()
    service = str(_opt(doc, "repository.name", ""))
    if event == "deployment_status":
        state = str(_get(doc, "deployment_status.state"))
        if state not in _GITHUB_DEPLOY_STATES:
            return batch  # pending, queued, in_progress, inactive: not a finished deployment
        deployment = _get(doc, "deployment")
        payload = deployment.get("payload") if isinstance(deployment.get("payload"), dict) else {}
        task = str(deployment.get("task") or "")
        said = str(payload.get("kind") or "")  # an explicit kind, as the REST import reads it
        batch.deployments.append(
            DeploymentRecord(
                id=f"github:{_get(doc, 'deployment.id')}",
                service=str(payload.get("service") or service),
                environment=str(
                    _opt(doc, "deployment_status.environment") or _get(doc, "deployment.environment")
                ),
                status=_GITHUB_DEPLOY_STATES[state],
                started_at=_maybe_time(deployment.get("created_at"), field_name="deployment.created_at"),
                finished_at=parse_time(
                    _opt(doc, "deployment_status.created_at") or _get(doc, "deployment_status.updated_at"),
                    field_name="deployment_status.created_at",
                ),
                revision=str(_get(doc, "deployment.sha")),
                kind=said
                if said in KINDS
                else "rollback"
                if "rollback" in task
                else "hotfix"
                if "hotfix" in task
                else "planned",
                kind_explicit=said in KINDS,
            )
        )
    elif event in ("pull_request", "pull_request_review"):
        pr = _get(doc, "pull_request")
        reviews: tuple[ReviewRecord, ...] = ()
        if event == "pull_request_review" and isinstance(doc.get("review"), dict):
            review = doc["review"]
            submitted = review.get("submitted_at")
            if submitted:
                reviews = (
                    ReviewRecord(
                        author=str(_get(review, "user.login")),
                        submitted_at=parse_time(submitted, field_name="review.submitted_at"),
                        state=str(review.get("state") or "commented").lower(),
                    ),
                )
        merged_at = _maybe_time(pr.get("merged_at"), field_name="pull_request.merged_at")
        batch.pull_requests.append(
            PullRequestRecord(
                number=int(_get(pr, "number")),
                service=service,
                title=str(pr.get("title") or ""),
                author=str(_opt(pr, "user.login", "")),
                created_at=parse_time(_get(pr, "created_at"), field_name="pull_request.created_at"),
                merged_at=merged_at,
                merge_commit_sha=str(pr["merge_commit_sha"])
                if merged_at and pr.get("merge_commit_sha")
                else None,
                reviews=reviews,
                labels=tuple(
                    str(label.get("name")) for label in pr.get("labels") or [] if isinstance(label, dict)
                ),
            )
        )
    elif event == "issues":
        issue = _get(doc, "issue")
        if isinstance(issue.get("pull_request"), dict):
            return batch
        labels = [str(label.get("name")) for label in issue.get("labels") or [] if isinstance(label, dict)]
        key = f"{_opt(doc, 'repository.full_name', service)}#{_get(issue, 'number')}"
        created = parse_time(_get(issue, "created_at"), field_name="issue.created_at")
        batch.work_items.append(
            WorkItemRecord(
                id=key,
                type=_work_type(labels),
                title=str(issue.get("title") or ""),
                created_at=created,
                source="github",
            )
        )
        batch.transitions.append(TransitionRecord(key, None, "open", created))
        action = str(doc.get("action") or "")
        if action == "closed" or (issue.get("state") == "closed" and issue.get("closed_at")):
            closed = parse_time(_get(issue, "closed_at"), field_name="issue.closed_at")
            batch.transitions.append(TransitionRecord(key, "open", "closed", closed))
        elif action == "reopened":
            at = parse_time(_get(issue, "updated_at"), field_name="issue.updated_at")
            batch.transitions.append(TransitionRecord(key, "closed", "open", at))
    return batch


# ---- GitLab ----

_GITLAB_DEPLOY_STATES = {"success": "success", "failed": "failure"}


def gitlab_batch(event: str, doc: dict[str, Any]) -> Batch:
    """The records of one GitLab event (Deployment, Merge Request, Pipeline and Issue hooks)."""
    batch = Batch()
    kind = str(doc.get("object_kind") or "")
    service = str(_opt(doc, "project.name", ""))
    if kind == "deployment":
        state = str(_get(doc, "status"))
        if state in _GITLAB_DEPLOY_STATES:
            batch.deployments.append(
                DeploymentRecord(
                    id=f"gitlab:{_get(doc, 'deployment_id')}",
                    service=service,
                    environment=str(_get(doc, "environment")),
                    status=_GITLAB_DEPLOY_STATES[state],
                    started_at=None,
                    finished_at=parse_time(_get(doc, "status_changed_at"), field_name="status_changed_at"),
                    revision=str(_get(doc, "sha")),
                )
            )
    elif kind == "merge_request":
        mr = _get(doc, "object_attributes")
        merged = mr.get("state") == "merged"
        merged_at = mr.get("merged_at") or (mr.get("updated_at") if merged else None)
        batch.pull_requests.append(
            PullRequestRecord(
                number=int(_get(mr, "iid")),
                service=service,
                title=str(mr.get("title") or ""),
                author=str(_opt(doc, "user.username", "")),
                created_at=parse_time(_get(mr, "created_at"), field_name="object_attributes.created_at"),
                merged_at=_maybe_time(merged_at, field_name="object_attributes.merged_at"),
                merge_commit_sha=str(mr["merge_commit_sha"])
                if merged and mr.get("merge_commit_sha")
                else None,
                labels=tuple(
                    str(label.get("title")) for label in doc.get("labels") or [] if isinstance(label, dict)
                ),
            )
        )
    elif kind == "pipeline":
        pipeline = _get(doc, "object_attributes")
        state = str(pipeline.get("status") or "")
        environments = sorted(
            {
                str(build["environment"]["name"])
                for build in doc.get("builds") or []
                if isinstance(build, dict)
                and isinstance(build.get("environment"), dict)
                and build["environment"].get("action", "start") == "start"
            }
        )
        if state in _GITLAB_DEPLOY_STATES and environments:
            finished = parse_time(
                pipeline.get("finished_at") or _get(pipeline, "created_at"),
                field_name="object_attributes.finished_at",
            )
            for environment in environments:
                batch.deployments.append(
                    DeploymentRecord(
                        id=f"gitlab:pipeline:{_get(pipeline, 'id')}:{environment}",
                        service=service,
                        environment=environment,
                        status=_GITLAB_DEPLOY_STATES[state],
                        started_at=_maybe_time(
                            pipeline.get("created_at"), field_name="object_attributes.created_at"
                        ),
                        finished_at=finished,
                        revision=str(_get(pipeline, "sha")),
                    )
                )
    elif kind == "issue":
        issue = _get(doc, "object_attributes")
        labels = [str(label.get("title")) for label in doc.get("labels") or [] if isinstance(label, dict)]
        key = f"{_opt(doc, 'project.path_with_namespace', service)}#{_get(issue, 'iid')}"
        created = parse_time(_get(issue, "created_at"), field_name="object_attributes.created_at")
        batch.work_items.append(
            WorkItemRecord(key, _work_type(labels), str(issue.get("title") or ""), created, source="gitlab")
        )
        batch.transitions.append(TransitionRecord(key, None, "opened", created))
        if issue.get("state") == "closed" and issue.get("closed_at"):
            closed = parse_time(issue["closed_at"], field_name="object_attributes.closed_at")
            batch.transitions.append(TransitionRecord(key, "opened", "closed", closed))
    return batch


# ---- Generic events ----


def event_batch(doc: dict[str, Any]) -> Batch:
    """The records of one generic event: `{"type": "deployment", "data": {...}}` (or incident, ...)."""
    batch = Batch()
    kind = str(_get(doc, "type"))
    data = _get(doc, "data")
    if not isinstance(data, dict):
        raise FieldError("data", "an object")
    if kind == "deployment":
        status = str(_get(data, "status"))
        if status not in ("success", "failure"):
            raise FieldError("data.status", "success or failure")
        batch.deployments.append(
            DeploymentRecord(
                id=str(_get(data, "id")),
                service=str(_get(data, "service")),
                environment=str(data.get("environment") or "production"),
                status=status,
                started_at=_maybe_time(data.get("started_at"), field_name="data.started_at"),
                finished_at=parse_time(_get(data, "finished_at"), field_name="data.finished_at"),
                revision=str(_get(data, "revision")),
                kind=str(data.get("kind") or "planned"),
                remediates=tuple(str(r) for r in data.get("remediates") or ()),
                kind_explicit=bool(data.get("kind")),
            )
        )
    elif kind == "incident":
        batch.incidents.append(
            IncidentRecord(
                id=str(_get(data, "id")),
                service=str(_get(data, "service")),
                started_at=parse_time(_get(data, "started_at"), field_name="data.started_at"),
                resolved_at=_maybe_time(data.get("resolved_at"), field_name="data.resolved_at"),
                severity=str(data.get("severity") or ""),
                cause=str(data["cause"]) if data.get("cause") else None,
                remediation=str(data["remediation"]) if data.get("remediation") else None,
            )
        )
    elif kind == "pull_request":
        batch.pull_requests.append(
            PullRequestRecord(
                number=int(_get(data, "number")),
                service=str(_get(data, "service")),
                title=str(data.get("title") or ""),
                author=str(data.get("author") or ""),
                created_at=parse_time(_get(data, "created_at"), field_name="data.created_at"),
                merged_at=_maybe_time(data.get("merged_at"), field_name="data.merged_at"),
                merge_commit_sha=str(data["merge_commit_sha"]) if data.get("merge_commit_sha") else None,
                commit_shas=tuple(str(s) for s in data.get("commit_shas") or ()),
                labels=tuple(str(s) for s in data.get("labels") or ()),
            )
        )
    elif kind == "work_item":
        key = str(_get(data, "id"))
        batch.work_items.append(
            WorkItemRecord(
                id=key,
                type=str(data.get("type") or "feature"),
                title=str(data.get("title") or ""),
                created_at=parse_time(_get(data, "created_at"), field_name="data.created_at"),
                team=str(data["team"]) if data.get("team") else None,
                source="events",
            )
        )
        for i, step in enumerate(data.get("transitions") or []):
            if not isinstance(step, dict):
                raise FieldError(f"data.transitions[{i}]", "an object with from, to and at")
            batch.transitions.append(
                TransitionRecord(
                    key,
                    str(step["from"]) if step.get("from") else None,
                    str(_get(step, "to")),
                    parse_time(_get(step, "at"), field_name=f"data.transitions[{i}].at"),
                )
            )
    else:
        raise FieldError("type", "deployment, incident, pull_request or work_item")
    return batch


# ---- Applying ----


def with_reviews_seen(
    session: Session, prs: Sequence[PullRequestRecord], *, source: str
) -> list[PullRequestRecord]:
    """Each of `prs` with every review a webhook has carried for it (the delivery service stores reviews as a
    set): one query for the reviews already seen, then the new ones are added."""
    if not prs:
        return []

    def utc(moment: dt.datetime) -> dt.datetime:
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)

    seen: dict[tuple[str, int], dict[tuple[str, dt.datetime], WebhookReview]] = defaultdict(dict)
    wanted = {(pr.service, pr.number) for pr in prs}
    for row in session.scalars(
        select(WebhookReview).where(
            WebhookReview.source == source,
            WebhookReview.service.in_(sorted({s for s, _ in wanted})),
            WebhookReview.number.in_(sorted({n for _, n in wanted})),
        )
    ):
        if (row.service, row.number) in wanted:
            seen[(row.service, row.number)][(row.author, utc(row.submitted_at))] = row
    for pr in prs:
        known = seen[(pr.service, pr.number)]
        for review in pr.reviews:
            key = (review.author, review.submitted_at.astimezone(dt.UTC))
            if key not in known:
                known[key] = WebhookReview(
                    source=source,
                    service=pr.service,
                    number=pr.number,
                    author=review.author,
                    submitted_at=review.submitted_at,
                    state=review.state,
                )
                session.add(known[key])
    session.flush()
    out = []
    for pr in prs:
        rows = sorted(seen[(pr.service, pr.number)].values(), key=lambda r: (utc(r.submitted_at), r.id))
        reviews = tuple(ReviewRecord(r.author, utc(r.submitted_at), r.state) for r in rows)
        out.append(replace(pr, reviews=reviews))
    return out


def apply(session: Session, batch: Batch, *, source: str) -> None:
    """Write a delivery's records through the delivery and flow services, in the caller's transaction."""
    batch.pull_requests = with_reviews_seen(session, batch.pull_requests, source=source)
    # Reviews of one pull request may arrive in several deliveries of a batch: the last record has them all.
    batch.pull_requests = list({(p.service, p.number): p for p in batch.pull_requests}.values())
    if batch.deployments or batch.incidents or batch.pull_requests:
        from missionos.delivery import service as delivery

        if batch.deployments:
            delivery.upsert_deployments(session, batch.deployments, source=source)
        if batch.incidents:
            delivery.upsert_incidents(session, batch.incidents, source=source)
        if batch.pull_requests:
            delivery.upsert_pull_requests(session, batch.pull_requests, source=source)
    if batch.work_items or batch.transitions:
        from missionos.flow import service as flow

        flow.upsert_work(session, batch.work_items, batch.transitions, source=source)


def batch_of(delivery: Delivery) -> tuple[str, Batch]:
    """The source name to store the records under, and the records one stored delivery carries."""
    doc = body_of(delivery)
    if delivery.source == "github":
        return "github", github_batch(delivery.headers.get("x-github-event", delivery.event), doc)
    if delivery.source == "gitlab":
        return "gitlab", gitlab_batch(delivery.headers.get("x-gitlab-event", delivery.event), doc)
    return str(doc.get("source") or "events")[:100], event_batch(doc)


def combine(batches: list[Batch]) -> Batch:
    """Many deliveries' records as one batch: a later record of the same object replaces an earlier one
    (deliveries are combined oldest first), and repeated transitions are kept once. Pull requests are all
    kept: `apply` gathers their reviews before the last record of each replaces the earlier ones."""
    deployments = {(d.service, d.id): d for b in batches for d in b.deployments}
    incidents = {(i.service, i.id): i for b in batches for i in b.incidents}
    items = {w.id: w for b in batches for w in b.work_items}
    transitions = list(dict.fromkeys(t for b in batches for t in b.transitions))
    return Batch(
        list(deployments.values()),
        list(incidents.values()),
        [p for b in batches for p in b.pull_requests],
        list(items.values()),
        transitions,
    )
