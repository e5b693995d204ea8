"""GitHub Issues: issue events and project-board moves, live through the REST API or from saved pages.

An issue's status at any moment is derived from what GitHub records about it:

- `closed` while the issue is closed;
- otherwise its Projects (v2) `Status` value, if it has one;
- otherwise its classic project-board column (`added_to_project`, `moved_columns_in_project`,
  `removed_from_project`, `converted_note_to_issue`), if it sits on a board;
- otherwise its status label (a label starting with the status-label prefix, default `status:`, prefix
  stripped), if it carries one;
- otherwise `open`.

Every change of that derived status is one transition; events at the same instant are applied together,
so removing one status label and adding another at once is one move. The first status is `open` at the
issue's creation. An issue whose own `state` is `closed` with a `closed_at` is closed at that time when its
events (if the pages hold any) do not close it by then. Pull requests are skipped.

Saved pages (files `*.json`, `*.jsonl`, `*.ndjson`) may hold:
- pages written by `--save` (`{"url": ..., "body": [...]}`), which say which endpoint they came from;
- raw pages of `GET /repos/O/R/issues` (issue objects) or of the repository's issue events
  (`GET /repos/O/R/issues/events`, each event carrying its `issue`), or of one issue's events from a file
  named `events-<number>[...].json`;
- `projects_v2_item` webhook deliveries (`action: edited`, `changes.field_value` of the `Status` field),
  matched to issues by node id.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from missionos import safeload
from missionos.errors import FieldError, InputError
from missionos.flow.importers.times import parse_time
from missionos.flow.records import TransitionRecord, WorkItemRecord
from missionos.flow.typemap import TypeMap
from missionos.ingest.http import SourceClient

SOURCE = "github"
API_URL = "https://api.github.com"
OPEN, CLOSED = "open", "closed"
REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_EVENTS_PATH = re.compile(
    r"/(?:repos/(?P<repo>[^/]+/[^/]+)|repositories/\d+)/issues/(?P<number>\d+)/(?:events|timeline)$"
)
_ISSUES_PATH = re.compile(r"/repos/(?P<repo>[^/]+/[^/]+)/issues(?:/events)?$")
_EVENTS_FILE = re.compile(r"events-(?P<number>\d+)")
BOARD_EVENTS = ("added_to_project", "moved_columns_in_project", "converted_note_to_issue")


def check_repo(repo: str) -> str:
    if not REPO.match(repo):
        raise FieldError("--repo", f"OWNER/NAME, e.g. octo-org/benefits (got {repo!r})")
    return repo


@dataclass
class GitHubBatch:
    """Issues, their events and Projects (v2) status changes, gathered from pages; keyed by issue number."""

    repo: str | None = None
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    events: dict[int, dict[str, dict[str, Any]]] = field(default_factory=dict)
    event_where: dict[tuple[int, str], str] = field(default_factory=dict)
    v2: dict[str, list[tuple[dt.datetime, str | None, str]]] = field(default_factory=dict)
    where: dict[int, str] = field(default_factory=dict)
    pull_requests: int = 0

    def add_issue(self, issue: dict[str, Any], where: str) -> None:
        number = _number(issue.get("number"), where, "number")
        if isinstance(issue.get("pull_request"), dict):
            self.pull_requests += 1
            return
        repo = _repo_of(issue.get("repository_url"))
        if repo and not self.repo:
            self.repo = repo
        self.issues[number] = issue
        self.where[number] = where

    def add_event(self, number: int, event: dict[str, Any], where: str) -> None:
        if not isinstance(event, dict) or not isinstance(event.get("event"), str):
            raise InputError("expected an issue event object (with event and created_at)", source=where)
        key = str(event.get("id") or f"{event.get('created_at')}:{event['event']}")
        self.events.setdefault(number, {})[key] = event
        self.event_where[number, key] = where
        self.where.setdefault(number, where)

    def add_v2(self, doc: dict[str, Any], where: str) -> None:
        """A `projects_v2_item` webhook delivery; only changes of the Status field count."""
        change = (doc.get("changes") or {}).get("field_value") or {}
        if not isinstance(change, dict) or str(change.get("field_name") or "").casefold() != "status":
            return
        item = doc.get("projects_v2_item") or {}
        if item.get("content_type") not in (None, "Issue"):
            return
        node = item.get("content_node_id")
        if not isinstance(node, str):
            raise FieldError("projects_v2_item.content_node_id", "the issue's node id", source=where)
        at = parse_time(item.get("updated_at"), where="projects_v2_item.updated_at", source=where)
        before, after = change.get("from"), change.get("to")
        self.v2.setdefault(node, []).append(
            (at, _option_name(before), _option_name(after) or ""),
        )


def _option_name(value: Any) -> str | None:
    if isinstance(value, dict):
        name = value.get("name")
        return str(name) if name else None
    return str(value) if isinstance(value, str) and value else None


def _number(value: Any, where: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(what, "an issue number", source=where)
    return value


def _repo_of(url: Any) -> str | None:
    if isinstance(url, str) and "/repos/" in url:
        tail = url.split("/repos/", 1)[1].strip("/").split("/")
        if len(tail) >= 2:
            return f"{tail[0]}/{tail[1]}"
    return None


def take_page(batch: GitHubBatch, body: Any, where: str, *, url: str | None = None) -> None:
    """Add one page (or one document) to the batch; `url` is the endpoint it came from, when known."""
    path = httpx.URL(url).path if url else ""
    m = _EVENTS_PATH.search(path)
    if m and isinstance(body, list):
        batch.repo = batch.repo or m["repo"]
        for event in body:
            batch.add_event(int(m["number"]), event, where)
        return
    if isinstance(body, dict) and "projects_v2_item" in body:
        batch.add_v2(body, where)
        return
    if isinstance(body, dict) and "body" in body and "url" in body:
        take_page(batch, body["body"], where, url=str(body["url"]))
        return
    if isinstance(body, dict) and "number" in body and "title" in body:
        batch.add_issue(body, where)
        return
    m_list = _ISSUES_PATH.search(path)
    if m_list:
        batch.repo = batch.repo or m_list["repo"]
    if not isinstance(body, list):
        raise InputError(
            "expected a page of GitHub issues or issue events, a page saved by --save, or a "
            "projects_v2_item webhook delivery",
            source=where,
        )
    m_file = _EVENTS_FILE.search(Path(where.split(":")[0]).name)
    for k, entry in enumerate(body):
        spot = f"{where}[{k}]"
        if not isinstance(entry, dict):
            raise InputError("expected an object", source=spot)
        if isinstance(entry.get("event"), str):
            issue = entry.get("issue")
            if isinstance(issue, dict):
                if "title" in issue:
                    batch.add_issue(issue, spot)
                if isinstance(issue.get("pull_request"), dict):
                    continue
                batch.add_event(_number(issue.get("number"), spot, "issue.number"), entry, spot)
            elif m_file:
                batch.add_event(int(m_file["number"]), entry, spot)
            else:
                raise InputError(
                    "an issue event without its issue: save per-issue pages as events-<number>.json "
                    "or with --save",
                    source=spot,
                )
        elif "number" in entry:
            batch.add_issue(entry, spot)
        else:
            raise InputError(
                "expected a GitHub issue (with number) or an issue event (with event)", source=spot
            )


def read_files(paths: Iterable[Path]) -> GitHubBatch:
    """Read saved pages (directories are searched, files sorted by name) into one batch."""
    batch = GitHubBatch()
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
        if path.suffix == ".json":
            try:
                doc = safeload.loads_json(text, source=str(path))
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON: {exc.msg}", source=str(path), line=exc.lineno) from None
            take_page(batch, doc, str(path))
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                doc = safeload.loads_json(line, source=str(path), first_line=number)
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON: {exc.msg}", source=str(path), line=number) from None
            try:
                take_page(batch, doc, str(path))
            except InputError as exc:
                raise InputError(exc.message, source=str(path), line=number) from None
    return batch


# --- records ----------------------------------------------------------------------------------------------


@dataclass
class _State:
    """What decides an issue's status: closed or not, its Projects status, board columns, status label."""

    closed: bool = False
    v2: dict[str, str] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    label: str | None = None

    def status(self) -> str:
        if self.closed:
            return CLOSED
        if self.v2:
            return next(reversed(self.v2.values()))
        if self.columns:
            return next(reversed(self.columns.values()))
        return self.label or OPEN

    @staticmethod
    def _touch(table: dict[str, str], key: str, value: str | None) -> None:
        table.pop(key, None)  # the last one set wins: re-insert at the end
        if value:
            table[key] = value

    def apply(self, event: dict[str, Any], prefix: str) -> None:
        kind = event["event"]
        if kind == "closed":
            self.closed = True
        elif kind == "reopened":
            self.closed = False
        elif kind in BOARD_EVENTS or kind == "removed_from_project":
            card = event.get("project_card") or {}
            project = str(card.get("project_id") or card.get("project_url") or "")
            column = card.get("column_name") if kind != "removed_from_project" else None
            self._touch(self.columns, project, str(column) if column else None)
        elif kind == "projects_v2_status":
            self._touch(self.v2, str(event.get("project") or ""), event.get("to") or None)
        elif kind in ("labeled", "unlabeled"):
            name = str((event.get("label") or {}).get("name") or "")
            status = _status_label(name, prefix)
            if status is None:
                return
            if kind == "labeled":
                self.label = status
            elif self.label == status:
                self.label = None


def _status_label(name: str, prefix: str) -> str | None:
    if not prefix or not name.casefold().startswith(prefix.casefold()):
        return None
    return name[len(prefix) :].strip() or None


def _work_type(issue: dict[str, Any], types: TypeMap) -> str:
    """GitHub's issue type when set, else the first label the type map knows, else feature."""
    kind = issue.get("type")
    if isinstance(kind, dict) and kind.get("name"):
        return types(str(kind["name"]))
    for label in issue.get("labels") or []:
        name = label.get("name") if isinstance(label, dict) else label
        if isinstance(name, str) and name.casefold() in types.table:
            return types(name)
    return "feature"


def to_records(
    batch: GitHubBatch,
    types: TypeMap,
    *,
    repo: str | None = None,
    team: str | None = None,
    status_label_prefix: str = "status:",
) -> tuple[list[WorkItemRecord], list[TransitionRecord], list[str]]:
    """Work items keyed `OWNER/NAME#number` and their status transitions, with notes on what was assumed."""
    repo = repo or batch.repo
    if not repo:
        raise FieldError("--repo", "OWNER/NAME (the pages do not say which repository they are from)")
    items: list[WorkItemRecord] = []
    moves: list[TransitionRecord] = []
    notes: list[str] = []
    orphans = sorted(set(batch.events) - set(batch.issues))
    if orphans:
        notes.append(
            f"events of issues not in the pages were skipped (#{', #'.join(map(str, orphans[:10]))}"
            f"{'…' if len(orphans) > 10 else ''})"
        )
    if batch.pull_requests:
        notes.append(f"{batch.pull_requests} pull requests skipped")
    matched_v2: set[str] = set()
    for number in sorted(batch.issues):
        issue = batch.issues[number]
        where = batch.where.get(number, SOURCE)
        key = f"{repo}#{number}"
        created = parse_time(issue.get("created_at"), where=f"#{number}.created_at", source=where)
        items.append(
            WorkItemRecord(
                key,
                _work_type(issue, types),
                str(issue.get("title") or ""),
                created,
                team or repo,
                None,
                SOURCE,
            )
        )
        events = batch.events.get(number, {})
        stamped = [
            (
                parse_time(
                    e.get("created_at"),
                    where=f"#{number} event {e.get('id')} created_at",
                    source=batch.event_where.get((number, k), where),
                ),
                e,
            )
            for k, e in events.items()
        ]
        node = issue.get("node_id")
        if isinstance(node, str) and node in batch.v2:
            matched_v2.add(node)
            for at, _before, after in batch.v2[node]:
                stamped.append((at, {"event": "projects_v2_status", "to": after}))
        stamped.sort(key=lambda pair: (pair[0], _order(pair[1])))
        state = _State()
        current = OPEN
        moves.append(TransitionRecord(key, None, OPEN, created))
        k = 0
        while k < len(stamped):
            at = stamped[k][0]
            while k < len(stamped) and stamped[k][0] == at:
                state.apply(stamped[k][1], status_label_prefix)
                k += 1
            status = state.status()
            if status != current:
                moves.append(TransitionRecord(key, current, status, max(at, created)))
                current = status
        if issue.get("state") == CLOSED and current != CLOSED:
            closed_at = _closed_at(issue, number, where)
            last = stamped[-1][0] if stamped else created
            if closed_at is not None and closed_at >= last:
                # The issue itself says it is closed and when: that holds when its events are missing from
                # the pages or end before it.
                moves.append(TransitionRecord(key, current, CLOSED, max(closed_at, created)))
                current = CLOSED
            else:
                notes.append(f"{key}: closed on GitHub but its events end {current!r}; the events were kept")
    unmatched = len(set(batch.v2) - matched_v2)
    if unmatched:
        notes.append(f"Projects status changes of {unmatched} items not among the issues were skipped")
    notes.extend(types.notes())
    return items, moves, notes


def _closed_at(issue: dict[str, Any], number: int, where: str) -> dt.datetime | None:
    if not issue.get("closed_at"):
        return None
    return parse_time(issue.get("closed_at"), where=f"#{number}.closed_at", source=where)


def _order(event: dict[str, Any]) -> int:
    try:
        return int(event.get("id") or 0)
    except (TypeError, ValueError):
        return 0


# --- live connector ---------------------------------------------------------------------------------------


@dataclass
class GitHubClient:
    """The GitHub REST API over an injectable transport: `Link` pagination and rate-limit handling.

    A 429, or a 403 that says the rate limit is spent (`X-RateLimit-Remaining: 0`) or carries
    `Retry-After`, waits `Retry-After` seconds, else until `X-RateLimit-Reset`, else 1, 2, 4… s, and tries
    again, up to `max_retries` times. A response that spends the last request of the window waits for its
    reset before the next request. `save` writes every page to a directory instead of keeping it.
    """

    repo: str
    token: str | None = None
    url: str = API_URL
    transport: httpx.BaseTransport | None = None
    per_page: int = 100
    max_retries: int = 5
    max_wait: float = 3600.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    save: Path | None = None
    saved: int = 0

    def _client(self) -> httpx.Client:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        credentials = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return SourceClient(
            self.url, headers=headers, credentials=credentials, transport=self.transport, timeout=60
        )

    def _wait(self, response: httpx.Response, attempt: int) -> float:
        header = response.headers.get("Retry-After", "")
        if header.isdigit():
            return float(header)
        reset = response.headers.get("X-RateLimit-Reset", "")
        if response.headers.get("X-RateLimit-Remaining") == "0" and reset.isdigit():
            return max(0.0, float(reset) - self.clock()) + 1.0
        return float(min(60, 2**attempt))

    def _get(self, client: httpx.Client, url: str, params: dict[str, Any] | None) -> httpx.Response:
        for attempt in range(self.max_retries + 1):
            response = client.get(url, params=params)
            limited = response.status_code == 429 or (
                response.status_code == 403
                and (
                    response.headers.get("X-RateLimit-Remaining") == "0" or "Retry-After" in response.headers
                )
            )
            if limited:
                if attempt == self.max_retries:
                    break
                self.sleep(min(self.max_wait, self._wait(response, attempt)))
                continue
            if response.status_code == 401:
                raise InputError(
                    "GitHub refused the credentials (HTTP 401); check the token", source=self.url
                )
            if response.status_code == 404:
                raise InputError(
                    f"GitHub has no {response.request.url.path} (HTTP 404): check --repo, and that the token "
                    "may read the repository",
                    source=self.url,
                )
            if response.status_code >= 400:
                raise InputError(
                    f"GitHub answered HTTP {response.status_code} for {response.request.url.path}",
                    source=self.url,
                )
            reset = response.headers.get("X-RateLimit-Reset", "")
            if response.headers.get("X-RateLimit-Remaining") == "0" and reset.isdigit():
                self.sleep(min(self.max_wait, max(0.0, float(reset) - self.clock()) + 1.0))
            return response
        raise InputError(f"GitHub kept rate-limiting after {self.max_retries} retries", source=self.url)

    def pages(self, client: httpx.Client, path: str, params: dict[str, Any]) -> Iterator[tuple[str, Any]]:
        """(url, body) of each page of a listing, following the `Link: <…>; rel="next"` header."""
        url: str | None = path
        query: dict[str, Any] | None = {**params, "per_page": self.per_page}
        while url:
            response = self._get(client, url, query)
            try:
                body = response.json()
            except ValueError:
                raise InputError(f"GitHub sent no JSON for {response.request.url}", source=self.url) from None
            yield str(response.request.url), body
            url = response.links.get("next", {}).get("url")
            query = None  # the next link carries the query

    def _keep(self, batch: GitHubBatch, url: str, body: Any) -> None:
        if self.save is not None:
            self.saved += 1
            self.save.mkdir(parents=True, exist_ok=True)
            out = self.save / f"page-{self.saved:06d}.json"
            out.write_text(json.dumps({"url": url, "body": body}, ensure_ascii=False), encoding="utf-8")
        take_page(batch, body, url, url=url)

    def fetch(
        self, *, since: dt.datetime | None = None, advance: Callable[[int], None] = lambda _n: None
    ) -> GitHubBatch:
        """Every issue of the repository (updated since `since`, when given) with all its events."""
        batch = GitHubBatch(repo=self.repo)
        params: dict[str, Any] = {"state": "all", "sort": "created", "direction": "asc"}
        if since is not None:
            params["since"] = since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        base = f"/repos/{self.repo}"
        with self._client() as client:
            for url, body in self.pages(client, f"{base}/issues", params):
                if not isinstance(body, list):
                    raise InputError(f"expected a list of issues from {url}", source=self.url)
                self._keep(batch, url, body)
                for issue in body:
                    if isinstance(issue, dict) and not isinstance(issue.get("pull_request"), dict):
                        number = _number(issue.get("number"), url, "number")
                        for event_url, events in self.pages(client, f"{base}/issues/{number}/events", {}):
                            self._keep(batch, event_url, events)
                        advance(1)
        return batch
