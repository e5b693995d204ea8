"""Pull requests, deployments and incidents from GitHub and GitLab, through their REST APIs or saved pages.

Each source pages through the API with an `httpx.Client` (inject a transport in tests), follows
`Link: rel=next` headers, waits out rate limits (`Retry-After`, or `X-RateLimit-Remaining: 0` until
`X-RateLimit-Reset`, and GitLab's `RateLimit-*` equivalents), and can save every page it reads to a
directory. The same directory can be read back with no network (`SavedPages`): that is how the data crosses
an air gap.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

from missionos.delivery.files import parse_time
from missionos.delivery.records import DeploymentRecord, IncidentRecord, PullRequestRecord, ReviewRecord
from missionos.errors import InputError

CAUSE = re.compile(r"^\s*cause\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
REMEDIATION = re.compile(r"^\s*remediation\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def _named(pattern: re.Pattern[str], body: str | None) -> str | None:
    """The value of an issue body's `Cause:` or `Remediation:` line, if it has one."""
    found = pattern.search(body or "")
    return found.group(1) if found else None


class Pages(Protocol):
    def pages(self, endpoint: str, params: dict[str, Any] | None = None) -> Iterator[Any]: ...


def _slug(endpoint: str, params: dict[str, Any] | None) -> str:
    query = "&".join(f"{k}={v}" for k, v in sorted((params or {}).items()) if k != "per_page")
    name = endpoint.strip("/").replace("/", "_")
    return f"{name}__{re.sub(r'[^A-Za-z0-9=_.-]', '_', query)}" if query else name


@dataclass
class ApiPages:
    """Pages of a REST API, following `Link: rel=next`, honouring rate limits, optionally saving each page."""

    client: httpx.Client
    save_to: Path | None = None
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], float] = time.time
    max_wait: float = 3600.0
    requests: int = field(default=0, init=False)

    def pages(self, endpoint: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        url: str | None = endpoint
        query: dict[str, Any] | None = {"per_page": 100, **(params or {})}
        number = 0
        while url:
            response = self._get(url, query)
            number += 1
            body = response.json()
            if self.save_to is not None:
                folder = self.save_to / _slug(endpoint, params)
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"{number:04d}.json").write_text(json.dumps(body))
            yield body
            url, query = response.links.get("next", {}).get("url"), None

    def _get(self, url: str, params: dict[str, Any] | None) -> httpx.Response:
        for _ in range(10):
            response = self.client.get(url, params=params)
            self.requests += 1
            wait = self._rate_limited(response)
            if wait is None:
                if response.status_code >= 400:
                    raise InputError(
                        f"{response.status_code} from the API: {response.text[:200]}",
                        source=str(response.url),
                    )
                return response
            self.sleep(min(wait, self.max_wait))
        raise InputError("still rate limited after 10 waits", source=url)

    def _rate_limited(self, response: httpx.Response) -> float | None:
        if response.status_code not in (403, 429):
            return None
        headers = response.headers
        if "retry-after" in headers:
            return float(headers["retry-after"])
        remaining = headers.get("x-ratelimit-remaining", headers.get("ratelimit-remaining"))
        reset = headers.get("x-ratelimit-reset", headers.get("ratelimit-reset"))
        if remaining == "0" and reset is not None:
            return max(0.0, float(reset) - self.now()) + 1
        return None


# The header each forge reads its token from, and the scheme before the token.
_AUTH = {"github": ("Authorization", "Bearer "), "gitlab": ("PRIVATE-TOKEN", "")}


def api_client(
    forge: str, base_url: str, token_env: str, *, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """A client for the REST API of `forge` (github or gitlab), with the token from the environment variable
    `token_env` if it is set: the token itself is never taken on a command line or written anywhere."""
    import os

    headers = {"User-Agent": "missionos"}
    token = os.environ.get(token_env)
    if token:
        header, scheme = _AUTH[forge]
        headers[header] = scheme + token
    return httpx.Client(
        base_url=base_url, headers=headers, timeout=30.0, follow_redirects=True, transport=transport
    )


@dataclass
class SavedPages:
    """The pages an `ApiPages` saved, read back from a directory (no network)."""

    root: Path

    def pages(self, endpoint: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        folder = self.root / _slug(endpoint, params)
        if not folder.is_dir():
            raise InputError(
                f"no saved pages for {endpoint} (expected the folder {folder.name})", source=str(self.root)
            )
        for page in sorted(folder.glob("*.json")):
            try:
                yield json.loads(page.read_text())
            except json.JSONDecodeError as exc:
                raise InputError(f"expected JSON ({exc.msg})", source=str(page), line=exc.lineno) from None


def _items(source: Pages, endpoint: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    for page in source.pages(endpoint, params):
        if not isinstance(page, list):
            raise InputError(f"expected a JSON list of items from {endpoint}")
        yield from page


def _time(value: Any, field: str, where: str) -> dt.datetime | None:
    return parse_time(value, field, required=False, source=where, line=0) if value else None


# How long before `since` an incremental read still looks at deployments: one created earlier may have
# finished since.
DEPLOYMENT_LOOKBACK = dt.timedelta(days=3)


def _before(value: Any, moment: dt.datetime, field: str, where: str) -> bool:
    """Whether the API time stamp `value` is earlier than `moment` (a missing one is not)."""
    at = _time(value, field, where) if value else None
    return at is not None and at < moment


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class ForgeData:
    pull_requests: list[PullRequestRecord]
    deployments: list[DeploymentRecord]
    incidents: list[IncidentRecord]
    requests: int = 0


def _severity(labels: list[str]) -> str:
    return next(
        (label for label in labels if re.match(r"(sev|severity|p)[-: ]?\d", label, re.IGNORECASE)), ""
    )


# --- GitHub -----------------------------------------------------------------------------------------------


def read_github(
    source: Pages,
    repo: str,
    service: str,
    *,
    incident_label: str = "incident",
    since: dt.datetime | None = None,
) -> ForgeData:
    """Merged pull requests with commits and reviews, deployments with their outcome, and incident issues.

    With `since`, only what changed from then on: pull requests are listed most recently updated first and
    the listing stops at the first one updated before `since`; deployments (listed newest first) stop at the
    first created more than `DEPLOYMENT_LOOKBACK` before it, since a deployment's outcome comes after it is
    created; issues use the API's own `since`."""
    base = f"/repos/{repo}"
    pulls: list[PullRequestRecord] = []
    listing = {"state": "closed", **({"sort": "updated", "direction": "desc"} if since else {})}
    for pr in _items(source, f"{base}/pulls", listing):
        if since is not None and _before(
            pr.get("updated_at"), since, "updated_at", f"{repo}#{pr.get('number')}"
        ):
            break
        if not pr.get("merged_at"):
            continue
        where = f"{repo}#{pr['number']}"
        number = int(pr["number"])
        commits = list(_items(source, f"{base}/pulls/{number}/commits"))
        authored = [_time(c["commit"]["author"]["date"], "commit.author.date", where) for c in commits]
        reviews = [
            ReviewRecord(r["user"]["login"], t, r.get("state", "").lower() or "commented")
            for r in _items(source, f"{base}/pulls/{number}/reviews")
            if r.get("user") and (t := _time(r.get("submitted_at"), "submitted_at", where)) is not None
        ]
        created = _time(pr["created_at"], "created_at", where)
        assert created is not None
        pulls.append(
            PullRequestRecord(
                number=number,
                service=service,
                title=pr.get("title") or "",
                author=(pr.get("user") or {}).get("login", ""),
                created_at=created,
                merged_at=_time(pr["merged_at"], "merged_at", where),
                merge_commit_sha=pr.get("merge_commit_sha"),
                commit_shas=tuple(c["sha"] for c in commits),
                reviews=tuple(reviews),
                labels=tuple(label["name"] for label in pr.get("labels", [])),
                first_commit_at=min((a for a in authored if a is not None), default=None),
            )
        )
    deployments: list[DeploymentRecord] = []
    for d in _items(source, f"{base}/deployments"):
        if since is not None and _before(
            d.get("created_at"), since - DEPLOYMENT_LOOKBACK, "created_at", f"{repo} deployment {d.get('id')}"
        ):
            break
        where = f"{repo} deployment {d['id']}"
        statuses = sorted(
            _items(source, f"{base}/deployments/{d['id']}/statuses"), key=lambda s: s.get("created_at", "")
        )
        final = next((s for s in statuses if s.get("state") in ("success", "failure", "error")), None)
        if final is None:
            continue  # still running, queued or abandoned: not a finished deployment
        finished = _time(final["created_at"], "statuses.created_at", where)
        assert finished is not None
        payload = d.get("payload") if isinstance(d.get("payload"), dict) else {}
        kind = str(payload.get("kind", "planned")) if payload else "planned"
        deployments.append(
            DeploymentRecord(
                id=str(d["id"]),
                service=service,
                environment=d.get("environment") or "",
                status="success" if final["state"] == "success" else "failure",
                started_at=_time(d.get("created_at"), "created_at", where),
                finished_at=finished,
                revision=d["sha"],
                kind=kind if kind in ("planned", "hotfix", "rollback") else "planned",
                remediates=tuple(str(x) for x in payload.get("remediates", [])) if payload else (),
            )
        )
    incidents: list[IncidentRecord] = []
    issue_query = {"labels": incident_label, "state": "all", **({"since": _iso(since)} if since else {})}
    for issue in _items(source, f"{base}/issues", issue_query):
        if "pull_request" in issue:
            continue
        where = f"{repo} issue {issue['number']}"
        labels = [label["name"] for label in issue.get("labels", [])]
        started = _time(issue["created_at"], "created_at", where)
        assert started is not None
        incidents.append(
            IncidentRecord(
                id=f"#{issue['number']}",
                service=service,
                started_at=started,
                resolved_at=_time(issue.get("closed_at"), "closed_at", where),
                severity=_severity(labels),
                cause=_named(CAUSE, issue.get("body")),
                remediation=_named(REMEDIATION, issue.get("body")),
            )
        )
    return ForgeData(pulls, deployments, incidents)


# --- GitLab -----------------------------------------------------------------------------------------------


def read_gitlab(
    source: Pages,
    project: str,
    service: str,
    *,
    incident_label: str = "incident",
    since: dt.datetime | None = None,
) -> ForgeData:
    """Merged merge requests with commits and discussion notes, deployments, and incident issues; with
    `since`, only those updated from then on (the API's `updated_after`)."""
    base = f"/projects/{project.replace('/', '%2F')}"
    after = {"updated_after": _iso(since)} if since else {}
    pulls: list[PullRequestRecord] = []
    for mr in _items(source, f"{base}/merge_requests", {"state": "merged", **after}):
        iid = int(mr["iid"])
        where = f"{project}!{iid}"
        commits = list(_items(source, f"{base}/merge_requests/{iid}/commits"))
        authored = [_time(c.get("authored_date"), "authored_date", where) for c in commits]
        notes = [
            ReviewRecord(n["author"]["username"], t, "commented")
            for n in _items(source, f"{base}/merge_requests/{iid}/notes")
            if not n.get("system") and (t := _time(n.get("created_at"), "created_at", where)) is not None
        ]
        created = _time(mr["created_at"], "created_at", where)
        assert created is not None
        pulls.append(
            PullRequestRecord(
                number=iid,
                service=service,
                title=mr.get("title") or "",
                author=(mr.get("author") or {}).get("username", ""),
                created_at=created,
                merged_at=_time(mr.get("merged_at"), "merged_at", where),
                merge_commit_sha=mr.get("squash_commit_sha") or mr.get("merge_commit_sha"),
                commit_shas=tuple(c["id"] for c in commits),
                reviews=tuple(notes),
                labels=tuple(mr.get("labels", [])),
                first_commit_at=min((a for a in authored if a is not None), default=None),
            )
        )
    deployments: list[DeploymentRecord] = []
    for d in _items(source, f"{base}/deployments", after or None):
        if d.get("status") not in ("success", "failed"):
            continue  # created, running, canceled, blocked: never finished
        where = f"{project} deployment {d['id']}"
        job = d.get("deployable") or {}
        finished = _time(
            job.get("finished_at") or d.get("finished_at") or d.get("updated_at"), "finished_at", where
        )
        if finished is None:
            raise InputError("expected finished_at on a finished deployment", source=where)
        deployments.append(
            DeploymentRecord(
                id=str(d["id"]),
                service=service,
                environment=(d.get("environment") or {}).get("name", ""),
                status="success" if d["status"] == "success" else "failure",
                started_at=_time(d.get("created_at"), "created_at", where),
                finished_at=finished,
                revision=d["sha"],
            )
        )
    incidents: list[IncidentRecord] = []
    for issue in _items(source, f"{base}/issues", {"labels": incident_label, **after}):
        where = f"{project} issue {issue['iid']}"
        started = _time(issue["created_at"], "created_at", where)
        assert started is not None
        incidents.append(
            IncidentRecord(
                id=f"#{issue['iid']}",
                service=service,
                started_at=started,
                resolved_at=_time(issue.get("closed_at"), "closed_at", where),
                severity=_severity(list(issue.get("labels", []))),
                cause=_named(CAUSE, issue.get("description")),
                remediation=_named(REMEDIATION, issue.get("description")),
            )
        )
    return ForgeData(pulls, deployments, incidents)
