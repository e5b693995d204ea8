"""What each webhook means for the delivery context: GitHub, GitLab and generic events mapped onto
deployments, incidents and pull requests.

The mapping functions are pure (payload in, records out); `missionos.ingest.batches` hands each stored
delivery to them and writes the records through the delivery service.
"""

from __future__ import annotations

from typing import Any

from missionos.delivery.records import (
    KINDS,
    DeploymentRecord,
    IncidentRecord,
    PullRequestRecord,
    ReviewRecord,
)
from missionos.errors import FieldError
from missionos.ingest.payload import _get, _maybe_time, _opt, parse_time

# ---- GitHub ----

_GITHUB_DEPLOY_STATES = {"success": "success", "failure": "failure", "error": "failure"}


def github_deployment(doc: dict[str, Any]) -> list[DeploymentRecord]:
    """The deployment of a GitHub `deployment_status` event, when it is finished."""
    service = str(_opt(doc, "repository.name", ""))
    state = str(_get(doc, "deployment_status.state"))
    if state not in _GITHUB_DEPLOY_STATES:
        return []  # pending, queued, in_progress, inactive: not a finished deployment
    deployment = _get(doc, "deployment")
    payload = deployment.get("payload") if isinstance(deployment.get("payload"), dict) else {}
    task = str(deployment.get("task") or "")
    said = str(payload.get("kind") or "")  # an explicit kind, as the REST import reads it
    return [
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
    ]


def github_pull_request(event: str, doc: dict[str, Any]) -> PullRequestRecord:
    """The pull request of a GitHub `pull_request` or `pull_request_review` event (with that review)."""
    service = str(_opt(doc, "repository.name", ""))
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
    return PullRequestRecord(
        number=int(_get(pr, "number")),
        service=service,
        title=str(pr.get("title") or ""),
        author=str(_opt(pr, "user.login", "")),
        created_at=parse_time(_get(pr, "created_at"), field_name="pull_request.created_at"),
        merged_at=merged_at,
        merge_commit_sha=str(pr["merge_commit_sha"]) if merged_at and pr.get("merge_commit_sha") else None,
        reviews=reviews,
        labels=tuple(str(label.get("name")) for label in pr.get("labels") or [] if isinstance(label, dict)),
    )


# ---- GitLab ----

_GITLAB_DEPLOY_STATES = {"success": "success", "failed": "failure"}


def gitlab_deployment(doc: dict[str, Any]) -> list[DeploymentRecord]:
    """The deployment of a GitLab Deployment Hook, when it is finished."""
    service = str(_opt(doc, "project.name", ""))
    state = str(_get(doc, "status"))
    if state not in _GITLAB_DEPLOY_STATES:
        return []
    return [
        DeploymentRecord(
            id=f"gitlab:{_get(doc, 'deployment_id')}",
            service=service,
            environment=str(_get(doc, "environment")),
            status=_GITLAB_DEPLOY_STATES[state],
            started_at=None,
            finished_at=parse_time(_get(doc, "status_changed_at"), field_name="status_changed_at"),
            revision=str(_get(doc, "sha")),
        )
    ]


def gitlab_merge_request(doc: dict[str, Any]) -> PullRequestRecord:
    """The pull request of a GitLab Merge Request Hook."""
    service = str(_opt(doc, "project.name", ""))
    mr = _get(doc, "object_attributes")
    merged = mr.get("state") == "merged"
    merged_at = mr.get("merged_at") or (mr.get("updated_at") if merged else None)
    return PullRequestRecord(
        number=int(_get(mr, "iid")),
        service=service,
        title=str(mr.get("title") or ""),
        author=str(_opt(doc, "user.username", "")),
        created_at=parse_time(_get(mr, "created_at"), field_name="object_attributes.created_at"),
        merged_at=_maybe_time(merged_at, field_name="object_attributes.merged_at"),
        merge_commit_sha=str(mr["merge_commit_sha"]) if merged and mr.get("merge_commit_sha") else None,
        labels=tuple(str(label.get("title")) for label in doc.get("labels") or [] if isinstance(label, dict)),
    )


def gitlab_pipeline(doc: dict[str, Any]) -> list[DeploymentRecord]:
    """The deployments of a finished GitLab Pipeline Hook: one per environment its jobs start."""
    service = str(_opt(doc, "project.name", ""))
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
    deployments: list[DeploymentRecord] = []
    if state in _GITLAB_DEPLOY_STATES and environments:
        finished = parse_time(
            pipeline.get("finished_at") or _get(pipeline, "created_at"),
            field_name="object_attributes.finished_at",
        )
        for environment in environments:
            deployments.append(
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
    return deployments


# ---- Generic events ----


def event_deployment(data: dict[str, Any]) -> DeploymentRecord:
    """The `data` of a generic `deployment` event."""
    status = str(_get(data, "status"))
    if status not in ("success", "failure"):
        raise FieldError("data.status", "success or failure")
    return DeploymentRecord(
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


def event_incident(data: dict[str, Any]) -> IncidentRecord:
    """The `data` of a generic `incident` event."""
    return IncidentRecord(
        id=str(_get(data, "id")),
        service=str(_get(data, "service")),
        started_at=parse_time(_get(data, "started_at"), field_name="data.started_at"),
        resolved_at=_maybe_time(data.get("resolved_at"), field_name="data.resolved_at"),
        severity=str(data.get("severity") or ""),
        cause=str(data["cause"]) if data.get("cause") else None,
        remediation=str(data["remediation"]) if data.get("remediation") else None,
    )


def event_pull_request(data: dict[str, Any]) -> PullRequestRecord:
    """The `data` of a generic `pull_request` event."""
    return PullRequestRecord(
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
