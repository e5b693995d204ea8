"""Real-shaped webhook payloads (the fields GitHub, GitLab and the generic event format send) and signers."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any

SECRET = "a-webhook-secret-of-some-length"


def github_deployment_status(
    deployment_id: int, *, repo: str = "intake-web", state: str = "success", sha: str = "a" * 40
) -> dict[str, Any]:
    return {
        "action": "created",
        "deployment_status": {
            "url": f"https://api.github.com/repos/agency/{repo}/deployments/{deployment_id}/statuses/1",
            "id": deployment_id * 10,
            "state": state,
            "creator": {"login": "deploy-bot", "id": 9, "type": "Bot"},
            "description": "Deployment finished",
            "environment": "production",
            "target_url": "",
            "created_at": "2026-11-20T10:15:00Z",
            "updated_at": "2026-11-20T10:15:00Z",
        },
        "deployment": {
            "url": f"https://api.github.com/repos/agency/{repo}/deployments/{deployment_id}",
            "id": deployment_id,
            "sha": sha,
            "ref": "main",
            "task": "deploy",
            "payload": {},
            "original_environment": "production",
            "environment": "production",
            "creator": {"login": "deploy-bot", "id": 9, "type": "Bot"},
            "created_at": "2026-11-20T10:05:00Z",
            "updated_at": "2026-11-20T10:15:00Z",
        },
        "repository": {"id": 42, "name": repo, "full_name": f"agency/{repo}", "private": True},
        "sender": {"login": "deploy-bot", "id": 9, "type": "Bot"},
    }


def github_pull_request(number: int, *, repo: str = "intake-web", merged: bool = True) -> dict[str, Any]:
    return {
        "action": "closed" if merged else "opened",
        "number": number,
        "pull_request": {
            "url": f"https://api.github.com/repos/agency/{repo}/pulls/{number}",
            "id": 1000 + number,
            "number": number,
            "state": "closed" if merged else "open",
            "title": "Guided intake: ask for the claim number first",
            "user": {"login": "ana", "id": 1, "type": "User"},
            "labels": [{"id": 7, "name": "feature", "color": "a2eeef"}],
            "created_at": "2026-11-18T09:00:00Z",
            "updated_at": "2026-11-19T16:30:00Z",
            "closed_at": "2026-11-19T16:30:00Z" if merged else None,
            "merged_at": "2026-11-19T16:30:00Z" if merged else None,
            "merge_commit_sha": "b" * 40 if merged else None,
            "merged": merged,
            "head": {"ref": "guided-intake", "sha": "c" * 40},
            "base": {"ref": "main", "sha": "d" * 40},
        },
        "repository": {"id": 42, "name": repo, "full_name": f"agency/{repo}", "private": True},
        "sender": {"login": "ana", "id": 1, "type": "User"},
    }


def github_review(number: int, reviewer: str, at: str, *, repo: str = "intake-web") -> dict[str, Any]:
    doc = github_pull_request(number, repo=repo, merged=False)
    doc["action"] = "submitted"
    doc["review"] = {
        "id": abs(hash((number, reviewer, at))) % 10**8,
        "user": {"login": reviewer, "id": 2, "type": "User"},
        "body": "Looks good",
        "state": "approved",
        "submitted_at": at,
        "commit_id": "c" * 40,
    }
    return doc


def github_issue(number: int, *, repo: str = "intake-web", closed: bool = False) -> dict[str, Any]:
    return {
        "action": "closed" if closed else "opened",
        "issue": {
            "url": f"https://api.github.com/repos/agency/{repo}/issues/{number}",
            "id": 5000 + number,
            "number": number,
            "title": "Claim form rejects valid postcodes",
            "user": {"login": "ana", "id": 1, "type": "User"},
            "labels": [{"id": 3, "name": "bug", "color": "d73a4a"}],
            "state": "closed" if closed else "open",
            "created_at": "2026-11-10T08:00:00Z",
            "updated_at": "2026-11-12T17:00:00Z",
            "closed_at": "2026-11-12T17:00:00Z" if closed else None,
        },
        "repository": {"id": 42, "name": repo, "full_name": f"agency/{repo}", "private": True},
        "sender": {"login": "ana", "id": 1, "type": "User"},
    }


def gitlab_deployment(
    deployment_id: int, *, project: str = "intake-web", status: str = "success"
) -> dict[str, Any]:
    return {
        "object_kind": "deployment",
        "status": status,
        "status_changed_at": "2026-11-21 09:30:00 +0100",
        "deployment_id": deployment_id,
        "deployable_id": 796,
        "deployable_url": f"https://gitlab.example/agency/{project}/-/jobs/796",
        "environment": "production",
        "environment_tier": "production",
        "project": {"id": 30, "name": project, "path_with_namespace": f"agency/{project}"},
        "short_sha": "e" * 8,
        "user": {"id": 1, "name": "Ana", "username": "ana"},
        "commit_url": f"https://gitlab.example/agency/{project}/-/commit/{'e' * 40}",
        "commit_title": "Release",
        "ref": "main",
        "sha": "e" * 40,
    }


def github_headers(
    body: bytes, event: str, delivery: str | None = None, secret: str = SECRET
) -> dict[str, str]:
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/json",
        "user-agent": "GitHub-Hookshot/abc123",
        "x-github-event": event,
        "x-github-delivery": delivery or str(uuid.uuid4()),
        "x-github-hook-id": "292",
        "x-hub-signature-256": signature,
    }


def gitlab_headers(event: str, token: str = SECRET, delivery: str | None = None) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "x-gitlab-event": event,
        "x-gitlab-token": token,
        "x-gitlab-event-uuid": delivery or str(uuid.uuid4()),
        "x-gitlab-instance": "https://gitlab.example",
    }


def event_headers(
    body: bytes, *, at: int | None = None, secret: str = SECRET, delivery: str | None = None
) -> dict[str, str]:
    from missionos.ingest.inbox import sign_event

    stamp = int(time.time()) if at is None else at
    return {
        "content-type": "application/json",
        "x-missionos-timestamp": str(stamp),
        "x-missionos-signature": sign_event(secret, body, stamp),
        "x-missionos-delivery": delivery or str(uuid.uuid4()),
    }


def dumps(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()
