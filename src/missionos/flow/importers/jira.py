"""Jira: issues with expanded changelogs, from saved REST responses or live through the REST API.

Files may hold JSON Lines (one issue, one search-result page or one changelog history a line) or one JSON
document (an issue, a search page, or an array of either). Histories of the separate changelog endpoint are
read as `{"issueId": ..., "history": {...}}` lines or as `{"issueId": ..., "values": [...]}` pages.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from missionos import safeload
from missionos.errors import InputError
from missionos.flow.importers.times import parse_time
from missionos.flow.records import TransitionRecord, WorkItemRecord
from missionos.flow.typemap import TypeMap
from missionos.ingest.http import SourceClient

SOURCE = "jira"


@dataclass
class JiraBatch:
    """Issues and changelog histories gathered from files or the API, keyed by Jira issue id."""

    issues: dict[str, dict[str, Any]] = field(default_factory=dict)
    histories: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)

    def add_issue(self, issue: dict[str, Any], where: str) -> None:
        issue_id = str(issue.get("id") or issue.get("key"))
        self.issues[issue_id] = issue
        self.where[issue_id] = where
        for history in (issue.get("changelog") or {}).get("histories") or []:
            self.add_history(issue_id, history, where)

    def add_history(self, issue_id: str, history: dict[str, Any], where: str) -> None:
        if not isinstance(history, dict):
            raise InputError("expected a changelog history object", source=where)
        hid = str(history.get("id") or f"{history.get('created')}:{len(self.histories.get(issue_id, {}))}")
        self.histories.setdefault(issue_id, {})[hid] = history
        self.where.setdefault(issue_id, where)


def _take(doc: Any, batch: JiraBatch, where: str) -> None:
    if isinstance(doc, list):
        for entry in doc:
            _take(entry, batch, where)
    elif isinstance(doc, dict) and isinstance(doc.get("issues"), list):
        for issue in doc["issues"]:
            _take(issue, batch, where)
    elif isinstance(doc, dict) and "issueId" in doc and isinstance(doc.get("history"), dict):
        batch.add_history(str(doc["issueId"]), doc["history"], where)
    elif isinstance(doc, dict) and "issueId" in doc and isinstance(doc.get("values"), list):
        for history in doc["values"]:
            batch.add_history(str(doc["issueId"]), history, where)
    elif isinstance(doc, dict) and isinstance(doc.get("fields"), dict) and doc.get("key"):
        batch.add_issue(doc, where)
    else:
        raise InputError(
            "expected a Jira issue (with key and fields), a search page (with issues), or a changelog "
            "history (with issueId)",
            source=where,
        )


def read_files(paths: Iterable[Path]) -> JiraBatch:
    """Read every `.json`/`.jsonl` file named (directories are searched) into one batch."""
    batch = JiraBatch()
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in (".json", ".jsonl", ".ndjson"))
        else:
            files.append(path)
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", source=str(path)) from None
        stripped = text.lstrip()
        if path.suffix == ".json" or stripped.startswith("["):
            try:
                doc = safeload.loads_json(text, source=str(path))
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON: {exc.msg}", source=str(path), line=exc.lineno) from None
            if _is_status_list(doc):
                continue
            _take(doc, batch, str(path))
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                doc = safeload.loads_json(line, source=str(path), first_line=number)
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON: {exc.msg}", source=str(path), line=number) from None
            try:
                _take(doc, batch, f"{path}:{number}")
            except InputError as exc:
                raise InputError(exc.message, source=str(path), line=number) from None
    return batch


def _is_status_list(doc: Any) -> bool:
    """`statuses.json` (GET /rest/api/2/status) sits beside the issues; it carries no work."""
    return (
        isinstance(doc, list)
        and bool(doc)
        and all(isinstance(d, dict) and "statusCategory" in d for d in doc)
    )


def to_records(
    batch: JiraBatch, types: TypeMap, *, team: str | None = None
) -> tuple[list[WorkItemRecord], list[TransitionRecord], list[str]]:
    """Work items and status transitions from the batch, with notes on what was assumed."""
    items: list[WorkItemRecord] = []
    moves: list[TransitionRecord] = []
    notes: list[str] = []
    orphans: list[str] = []
    for issue_id in sorted(set(batch.issues) | set(batch.histories), key=_natural):
        where = batch.where.get(issue_id, "jira")
        histories = sorted(
            batch.histories.get(issue_id, {}).values(),
            key=lambda h: parse_time(h.get("created"), where="history.created", source=where),
        )
        status_moves = [
            (h, entry)
            for h in histories
            for entry in h.get("items") or []
            if isinstance(entry, dict) and entry.get("field") == "status"
        ]
        issue = batch.issues.get(issue_id)
        if issue is None:
            if not histories:
                continue
            orphans.append(issue_id)
            key = issue_id
            created = parse_time(histories[0].get("created"), where="history.created", source=where)
            item = WorkItemRecord(key, types(None), f"Jira issue {issue_id}", created, team, None, SOURCE)
            current = None
        else:
            fields = issue["fields"]
            key = str(issue["key"])
            created = parse_time(fields.get("created"), where=f"{key}.fields.created", source=where)
            kind = (fields.get("issuetype") or {}).get("name")
            project = fields.get("project") or {}
            parent = (fields.get("parent") or {}).get("key")
            item = WorkItemRecord(
                key,
                types(kind),
                str(fields.get("summary") or ""),
                created,
                team or project.get("key") or None,
                parent,
                SOURCE,
            )
            current = (fields.get("status") or {}).get("name")
            total = (issue.get("changelog") or {}).get("total")
            if isinstance(total, int) and total > len(batch.histories.get(issue_id, {})):
                notes.append(f"{key}: changelog truncated ({len(histories)} of {total} histories)")
        items.append(item)
        initial = status_moves[0][1].get("fromString") if status_moves else current
        if initial:
            moves.append(TransitionRecord(key, None, str(initial), created))
        for history, entry in status_moves:
            at = parse_time(history.get("created"), where=f"{key}.changelog.created", source=where)
            moves.append(TransitionRecord(key, entry.get("fromString"), str(entry.get("toString")), at))
    if orphans:
        notes.append(
            f"changelog histories without their issue ({', '.join(orphans)}): imported as items keyed by "
            "issue id, type feature, created at their first history"
        )
    notes.extend(types.notes())
    return items, moves, notes


def _natural(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (0, text)


# --- live connector ---------------------------------------------------------------------------------------


@dataclass
class JiraClient:
    """A Jira REST client with token auth, pagination and rate-limit handling over an injectable transport.

    With `email`, the token is a Jira Cloud API token (basic auth); without, a bearer personal access token.
    """

    url: str
    token: str | None = None
    email: str | None = None
    transport: httpx.BaseTransport | None = None
    page_size: int = 50
    max_retries: int = 5
    sleep: Callable[[float], None] = time.sleep

    def _client(self) -> httpx.Client:
        credentials = {}
        if self.token and self.email:
            raw = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
            credentials["Authorization"] = f"Basic {raw}"
        elif self.token:
            credentials["Authorization"] = f"Bearer {self.token}"
        return SourceClient(
            self.url,
            headers={"Accept": "application/json"},
            credentials=credentials,
            transport=self.transport,
            timeout=60,
        )

    def _get(self, client: httpx.Client, path: str, params: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(self.max_retries + 1):
            response = client.get(path, params=params)
            if response.status_code == 429 or (
                response.status_code == 503 and "Retry-After" in response.headers
            ):
                if attempt == self.max_retries:
                    break
                self.sleep(_retry_after(response, attempt))
                continue
            if response.status_code in (401, 403):
                raise InputError(
                    f"Jira refused the credentials (HTTP {response.status_code}); check the token",
                    source=self.url,
                )
            if response.status_code >= 400:
                raise InputError(f"Jira answered HTTP {response.status_code} for {path}", source=self.url)
            body = response.json()
            if not isinstance(body, dict):
                raise InputError(f"expected a JSON object from {path}", source=self.url)
            return body
        raise InputError(f"Jira kept rate-limiting after {self.max_retries} retries", source=self.url)

    def search(self, jql: str, *, advance: Callable[[int], None] = lambda _n: None) -> JiraBatch:
        """Every issue matching `jql` with its full changelog."""
        batch = JiraBatch()
        with self._client() as client:
            start = 0
            while True:
                page = self._get(
                    client,
                    "/rest/api/2/search",
                    {"jql": jql, "startAt": start, "maxResults": self.page_size, "expand": "changelog"},
                )
                issues = page.get("issues") or []
                for issue in issues:
                    batch.add_issue(issue, f"{self.url} {issue.get('key')}")
                    log = issue.get("changelog") or {}
                    if isinstance(log.get("total"), int) and log["total"] > len(log.get("histories") or []):
                        self._rest_of_changelog(client, batch, issue)
                advance(len(issues))
                start += len(issues)
                total = page.get("total")
                if not issues or (isinstance(total, int) and start >= total):
                    break
        return batch

    def _rest_of_changelog(self, client: httpx.Client, batch: JiraBatch, issue: dict[str, Any]) -> None:
        start = 0
        while True:
            page = self._get(
                client,
                f"/rest/api/2/issue/{issue['key']}/changelog",
                {"startAt": start, "maxResults": 100},
            )
            values = page.get("values") or []
            for history in values:
                batch.add_history(str(issue["id"]), history, f"{self.url} {issue['key']}")
            start += len(values)
            if not values or page.get("isLast", True) or start >= int(page.get("total") or 0):
                break


def _retry_after(response: httpx.Response, attempt: int) -> float:
    header = response.headers.get("Retry-After")
    if header and header.isdigit():
        return float(header)
    if header:
        try:
            moment = dt.datetime.strptime(header, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=dt.UTC)
            return max(0.0, (moment - dt.datetime.now(dt.UTC)).total_seconds())
        except ValueError:
            pass
    return float(min(60, 2**attempt))
