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
from typing import TYPE_CHECKING, Any, Protocol

from missionos import safeload
from missionos.delivery.files import parse_time
from missionos.delivery.records import DeploymentRecord, IncidentRecord, PullRequestRecord, ReviewRecord
from missionos.errors import InputError

if TYPE_CHECKING:
    import httpx

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

    credentials = {}
    token = os.environ.get(token_env)
    if token:
        header, scheme = _AUTH[forge]
        credentials[header] = scheme + token
    from missionos.ingest.http import SourceClient  # httpx: loaded by the commands that read a forge

    return SourceClient(
        base_url,
        headers={"User-Agent": "missionos"},
        credentials=credentials,
        timeout=30.0,
        transport=transport,
    )


@dataclass
class SavedPages:
    """The pages an `ApiPages` saved, read back from a directory (no network)."""

    root: Path
    current: str = ""  # the file of the page last read

    def pages(self, endpoint: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        folder = self.root / _slug(endpoint, params)
        if not folder.is_dir():
            raise InputError(
                f"no saved pages for {endpoint} (expected the folder {folder.name})", source=str(self.root)
            )
        for page in sorted(folder.glob("*.json")):
            try:
                body = safeload.loads_json(page.read_text(encoding="utf-8"), source=str(page))
            except UnicodeDecodeError:
                raise InputError("expected UTF-8 text", source=str(page)) from None
            except json.JSONDecodeError as exc:
                raise InputError(f"expected JSON ({exc.msg})", source=str(page), line=exc.lineno) from None
            self.current = str(page)
            yield body


class Item(dict[str, Any]):
    """An item of an API page that knows where it came from: the saved file (or the endpoint) and its
    position in the page, so that a problem with one of its fields names both."""

    where: str = ""

    def need(self, path: str, what: str = "a value") -> Any:
        """The value at the dotted `path` (e.g. `commit.author.date`); missing or null is an error naming
        the item and the field."""
        value: Any = self
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
            if value is None:
                raise InputError(f"{path}: expected {what}", source=self.where)
        return value

    def time(self, path: str, *, required: bool = False) -> dt.datetime | None:
        """The ISO 8601 time at `path`; an unreadable one (or a missing one when `required`) is an error."""
        value = self.need(path, "an ISO 8601 time") if required else self.get_path(path)
        if value in (None, ""):
            return None
        try:
            return parse_time(value, path, required=required, source=self.where, line=0)
        except InputError as exc:
            raise InputError(exc.message, source=self.where) from None

    def get_path(self, path: str) -> Any:
        value: Any = self
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value


def _items(source: Pages, endpoint: str, params: dict[str, Any] | None = None) -> Iterator[Item]:
    for page in source.pages(endpoint, params):
        origin = getattr(source, "current", "") or endpoint
        if not isinstance(page, list):
            raise InputError(f"expected a JSON list of items from {endpoint}", source=origin)
        for k, entry in enumerate(page, start=1):
            where = f"{origin} item {k}"
            if not isinstance(entry, dict):
                raise InputError("expected a JSON object", source=where)
            item = Item(entry)
            item.where = where
            yield item


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


def _number(item: Item, path: str) -> int:
    value = item.need(path, "a number")
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise InputError(f"{path}: expected a number, got {value!r}", source=item.where)
    return int(value)


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
        if since is not None and _before(pr.get("updated_at"), since, "updated_at", pr.where):
            break
        if not pr.get("merged_at"):
            continue
        number = _number(pr, "number")
        commits = list(_items(source, f"{base}/pulls/{number}/commits"))
        authored = [c.time("commit.author.date", required=True) for c in commits]
        reviews = [
            ReviewRecord(str(r.need("user.login")), t, str(r.get("state") or "").lower() or "commented")
            for r in _items(source, f"{base}/pulls/{number}/reviews")
            if r.get("user") and (t := r.time("submitted_at")) is not None
        ]
        created = pr.time("created_at", required=True)
        assert created is not None
        pulls.append(
            PullRequestRecord(
                number=number,
                service=service,
                title=pr.get("title") or "",
                author=(pr.get("user") or {}).get("login", ""),
                created_at=created,
                merged_at=pr.time("merged_at"),
                merge_commit_sha=pr.get("merge_commit_sha"),
                commit_shas=tuple(str(c.need("sha", "a commit sha")) for c in commits),
                reviews=tuple(reviews),
                labels=tuple(
                    str(label.get("name") or "")
                    for label in pr.get("labels") or []
                    if isinstance(label, dict)
                ),
                first_commit_at=min((a for a in authored if a is not None), default=None),
            )
        )
    deployments: list[DeploymentRecord] = []
    for d in _items(source, f"{base}/deployments"):
        if since is not None and _before(
            d.get("created_at"), since - DEPLOYMENT_LOOKBACK, "created_at", d.where
        ):
            break
        deployment_id = d.need("id", "a deployment id")
        statuses = sorted(
            _items(source, f"{base}/deployments/{deployment_id}/statuses"),
            key=lambda s: str(s.get("created_at") or ""),
        )
        final = next((s for s in statuses if s.get("state") in ("success", "failure", "error")), None)
        if final is None:
            continue  # still running, queued or abandoned: not a finished deployment
        finished = final.time("created_at", required=True)
        assert finished is not None
        payload = d.get("payload") if isinstance(d.get("payload"), dict) else {}
        kind = str(payload.get("kind", "planned")) if payload else "planned"
        deployments.append(
            DeploymentRecord(
                id=str(deployment_id),
                service=service,
                environment=d.get("environment") or "",
                status="success" if final["state"] == "success" else "failure",
                started_at=d.time("created_at"),
                finished_at=finished,
                revision=str(d.need("sha", "a commit sha")),
                kind=kind if kind in ("planned", "hotfix", "rollback") else "planned",
                remediates=tuple(str(x) for x in payload.get("remediates", [])) if payload else (),
                kind_explicit=isinstance(payload, dict)
                and payload.get("kind") in ("planned", "hotfix", "rollback"),
            )
        )
    incidents: list[IncidentRecord] = []
    issue_query = {"labels": incident_label, "state": "all", **({"since": _iso(since)} if since else {})}
    for issue in _items(source, f"{base}/issues", issue_query):
        if "pull_request" in issue:
            continue
        labels = [
            str(label.get("name") or "") for label in issue.get("labels") or [] if isinstance(label, dict)
        ]
        started = issue.time("created_at", required=True)
        assert started is not None
        incidents.append(
            IncidentRecord(
                id=f"#{_number(issue, 'number')}",
                service=service,
                started_at=started,
                resolved_at=issue.time("closed_at"),
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
        iid = _number(mr, "iid")
        commits = list(_items(source, f"{base}/merge_requests/{iid}/commits"))
        authored = [c.time("authored_date") for c in commits]
        notes = [
            ReviewRecord(str(n.need("author.username")), t, "commented")
            for n in _items(source, f"{base}/merge_requests/{iid}/notes")
            if not n.get("system") and (t := n.time("created_at")) is not None
        ]
        created = mr.time("created_at", required=True)
        assert created is not None
        pulls.append(
            PullRequestRecord(
                number=iid,
                service=service,
                title=mr.get("title") or "",
                author=(mr.get("author") or {}).get("username", ""),
                created_at=created,
                merged_at=mr.time("merged_at"),
                merge_commit_sha=mr.get("squash_commit_sha") or mr.get("merge_commit_sha"),
                commit_shas=tuple(str(c.need("id", "a commit sha")) for c in commits),
                reviews=tuple(notes),
                labels=tuple(mr.get("labels", [])),
                first_commit_at=min((a for a in authored if a is not None), default=None),
            )
        )
    deployments: list[DeploymentRecord] = []
    for d in _items(source, f"{base}/deployments", after or None):
        if d.get("status") not in ("success", "failed"):
            continue  # created, running, canceled, blocked: never finished
        finished = d.time("deployable.finished_at") or d.time("finished_at") or d.time("updated_at")
        if finished is None:
            raise InputError("finished_at: expected a time on a finished deployment", source=d.where)
        deployments.append(
            DeploymentRecord(
                id=str(d.need("id", "a deployment id")),
                service=service,
                environment=str(d.get_path("environment.name") or ""),
                status="success" if d["status"] == "success" else "failure",
                started_at=d.time("created_at"),
                finished_at=finished,
                revision=str(d.need("sha", "a commit sha")),
            )
        )
    incidents: list[IncidentRecord] = []
    for issue in _items(source, f"{base}/issues", {"labels": incident_label, **after}):
        started = issue.time("created_at", required=True)
        assert started is not None
        incidents.append(
            IncidentRecord(
                id=f"#{_number(issue, 'iid')}",
                service=service,
                started_at=started,
                resolved_at=issue.time("closed_at"),
                severity=_severity(list(issue.get("labels", []))),
                cause=_named(CAUSE, issue.get("description")),
                remediation=_named(REMEDIATION, issue.get("description")),
            )
        )
    return ForgeData(pulls, deployments, incidents)
