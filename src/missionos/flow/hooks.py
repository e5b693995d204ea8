"""What each webhook means for the flow context: GitHub and GitLab issues and generic `work_item` events
mapped onto work items and their status changes.

The mapping functions are pure (payload in, records out); `missionos.ingest.batches` hands each stored
delivery to them and writes the records through the flow service.
"""

from __future__ import annotations

from typing import Any

from missionos.errors import FieldError
from missionos.flow.records import TransitionRecord, WorkItemRecord
from missionos.ingest.payload import _get, _opt, parse_time

Work = tuple[list[WorkItemRecord], list[TransitionRecord]]


def _work_type(labels: list[str], *, default: str = "feature") -> str:
    from missionos.flow.typemap import TypeMap

    kinds = TypeMap()
    for label in labels:
        mapped = kinds(label)
        if mapped != "feature" or label.casefold() in ("feature", "enhancement", "story"):
            return mapped
    return default


def github_issue(doc: dict[str, Any]) -> Work:
    """The work item and status changes of a GitHub `issues` event (none for a pull request's issue)."""
    work_items: list[WorkItemRecord] = []
    transitions: list[TransitionRecord] = []
    service = str(_opt(doc, "repository.name", ""))
    issue = _get(doc, "issue")
    if isinstance(issue.get("pull_request"), dict):
        return work_items, transitions
    labels = [str(label.get("name")) for label in issue.get("labels") or [] if isinstance(label, dict)]
    key = f"{_opt(doc, 'repository.full_name', service)}#{_get(issue, 'number')}"
    created = parse_time(_get(issue, "created_at"), field_name="issue.created_at")
    work_items.append(
        WorkItemRecord(
            id=key,
            type=_work_type(labels),
            title=str(issue.get("title") or ""),
            created_at=created,
            source="github",
        )
    )
    transitions.append(TransitionRecord(key, None, "open", created))
    action = str(doc.get("action") or "")
    if action == "closed" or (issue.get("state") == "closed" and issue.get("closed_at")):
        closed = parse_time(_get(issue, "closed_at"), field_name="issue.closed_at")
        transitions.append(TransitionRecord(key, "open", "closed", closed))
    elif action == "reopened":
        at = parse_time(_get(issue, "updated_at"), field_name="issue.updated_at")
        transitions.append(TransitionRecord(key, "closed", "open", at))
    return work_items, transitions


def gitlab_issue(doc: dict[str, Any]) -> Work:
    """The work item and status changes of a GitLab Issue Hook."""
    transitions: list[TransitionRecord] = []
    service = str(_opt(doc, "project.name", ""))
    issue = _get(doc, "object_attributes")
    labels = [str(label.get("title")) for label in doc.get("labels") or [] if isinstance(label, dict)]
    key = f"{_opt(doc, 'project.path_with_namespace', service)}#{_get(issue, 'iid')}"
    created = parse_time(_get(issue, "created_at"), field_name="object_attributes.created_at")
    work_items = [
        WorkItemRecord(key, _work_type(labels), str(issue.get("title") or ""), created, source="gitlab")
    ]
    transitions.append(TransitionRecord(key, None, "opened", created))
    if issue.get("state") == "closed" and issue.get("closed_at"):
        closed = parse_time(issue["closed_at"], field_name="object_attributes.closed_at")
        transitions.append(TransitionRecord(key, "opened", "closed", closed))
    return work_items, transitions


def event_work_item(data: dict[str, Any]) -> Work:
    """The `data` of a generic `work_item` event: the item and the status changes it lists."""
    transitions: list[TransitionRecord] = []
    key = str(_get(data, "id"))
    work_items = [
        WorkItemRecord(
            id=key,
            type=str(data.get("type") or "feature"),
            title=str(data.get("title") or ""),
            created_at=parse_time(_get(data, "created_at"), field_name="data.created_at"),
            team=str(data["team"]) if data.get("team") else None,
            source="events",
        )
    ]
    for i, step in enumerate(data.get("transitions") or []):
        if not isinstance(step, dict):
            raise FieldError(f"data.transitions[{i}]", "an object with from, to and at")
        transitions.append(
            TransitionRecord(
                key,
                str(step["from"]) if step.get("from") else None,
                str(_get(step, "to")),
                parse_time(_get(step, "at"), field_name=f"data.transitions[{i}].at"),
            )
        )
    return work_items, transitions
