"""What each stored webhook delivery carries: handed to the mapping of each context that owns the data
(`delivery.hooks` for deployments, incidents and pull requests; `flow.hooks` for work items), combined over
many deliveries, and written.

The mapping functions are pure (payload in, records out); `apply` hands the records to the delivery and flow
services in the caller's transaction. A delivery whose event is not mapped is stored and marked `ignored`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos import safeload
from missionos.delivery import DeploymentRecord, IncidentRecord, PullRequestRecord, ReviewRecord
from missionos.delivery import hooks as delivery_hooks
from missionos.errors import FieldError, InputError
from missionos.flow import TransitionRecord, WorkItemRecord
from missionos.flow import hooks as flow_hooks
from missionos.ingest.inbox import Delivery
from missionos.ingest.models import WebhookReview
from missionos.ingest.payload import _get


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


# ---- Each source's events, handed to the contexts' mappings ----


def github_batch(event: str, doc: dict[str, Any]) -> Batch:
    """The records of one GitHub event (deployment_status, pull_request, pull_request_review, issues)."""
    batch = Batch()
    if event == "deployment_status":
        batch.deployments.extend(delivery_hooks.github_deployment(doc))
    elif event in ("pull_request", "pull_request_review"):
        batch.pull_requests.append(delivery_hooks.github_pull_request(event, doc))
    elif event == "issues":
        work_items, transitions = flow_hooks.github_issue(doc)
        batch.work_items.extend(work_items)
        batch.transitions.extend(transitions)
    return batch


def gitlab_batch(event: str, doc: dict[str, Any]) -> Batch:
    """The records of one GitLab event (Deployment, Merge Request, Pipeline and Issue hooks)."""
    batch = Batch()
    kind = str(doc.get("object_kind") or "")
    if kind == "deployment":
        batch.deployments.extend(delivery_hooks.gitlab_deployment(doc))
    elif kind == "merge_request":
        batch.pull_requests.append(delivery_hooks.gitlab_merge_request(doc))
    elif kind == "pipeline":
        batch.deployments.extend(delivery_hooks.gitlab_pipeline(doc))
    elif kind == "issue":
        work_items, transitions = flow_hooks.gitlab_issue(doc)
        batch.work_items.extend(work_items)
        batch.transitions.extend(transitions)
    return batch


def event_batch(doc: dict[str, Any]) -> Batch:
    """The records of one generic event: `{"type": "deployment", "data": {...}}` (or incident, ...)."""
    batch = Batch()
    kind = str(_get(doc, "type"))
    data = _get(doc, "data")
    if not isinstance(data, dict):
        raise FieldError("data", "an object")
    if kind == "deployment":
        batch.deployments.append(delivery_hooks.event_deployment(data))
    elif kind == "incident":
        batch.incidents.append(delivery_hooks.event_incident(data))
    elif kind == "pull_request":
        batch.pull_requests.append(delivery_hooks.event_pull_request(data))
    elif kind == "work_item":
        work_items, transitions = flow_hooks.event_work_item(data)
        batch.work_items.extend(work_items)
        batch.transitions.extend(transitions)
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
        from missionos import delivery

        if batch.deployments:
            delivery.upsert_deployments(session, batch.deployments, source=source)
        if batch.incidents:
            delivery.upsert_incidents(session, batch.incidents, source=source)
        if batch.pull_requests:
            delivery.upsert_pull_requests(session, batch.pull_requests, source=source)
    if batch.work_items or batch.transitions:
        from missionos import flow

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
