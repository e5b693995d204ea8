"""Reading Apache DevLake domain-layer exports (docs/org.md, "DevLake exports"): deployments, pull requests
and incidents for the delivery context, issues and their status changes for the flow context.

A directory holds one file per DevLake table, named after it, as CSV (`cicd_deployment_commits.csv`), JSON
Lines (`.jsonl`) or JSON (`.json`, an array of objects). Every problem names the file, the line (for a JSON
array, the record's position) and the column. The rows become each context's plain records and are written
through its public service, in one transaction.

The service of a row is the DevLake project its scope belongs to (`project_mapping`), or the one service the
caller names. DevLake stores times in UTC; a time without an offset is read as UTC.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from missionos import recordfiles, safeload
from missionos.delivery import DeploymentRecord, ForgeData, IncidentRecord, PullRequestRecord, ReviewRecord
from missionos.errors import InputError
from missionos.flow import TransitionRecord, TypeMap, WorkItemRecord

SOURCE = "devlake"
TABLES = (
    "project_mapping",
    "cicd_deployments",
    "cicd_deployment_commits",
    "pull_requests",
    "pull_request_commits",
    "pull_request_comments",
    "pull_request_labels",
    "incidents",
    "issues",
    "issue_changelogs",
    "board_issues",
)
SUFFIXES = (".csv", ".jsonl", ".json")
PRODUCTION = "PRODUCTION"
# DevLake's `cicd_deployment_commits.environment` is PRODUCTION, STAGING, TESTING or empty.
UNSPECIFIED_ENVIRONMENT = "unspecified"
# How database exports write a missing value in CSV (MySQL's `\N`, PostgreSQL's and others' `NULL`).
NULLS = ("\\N", "NULL")
_TIME = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)


@dataclass(frozen=True)
class Row:
    """One row of a table, with where it came from."""

    values: Mapping[str, Any]
    source: str
    line: int

    def get(self, column: str) -> str:
        value = self.values.get(column)
        if value is None or value in NULLS:
            return ""
        if isinstance(value, bool | dict | list):
            raise InputError(
                f"{column}: expected text, got {json.dumps(value)}", source=self.source, line=self.line
            )
        return str(value).strip()

    def need(self, column: str, expected: str) -> str:
        value = self.get(column)
        if not value:
            raise InputError(f"{column}: expected {expected}", source=self.source, line=self.line)
        return value

    def time(self, column: str, *, required: bool = False) -> dt.datetime | None:
        text = self.get(column)
        if not text:
            if required:
                raise InputError(f"{column}: expected a date and time", source=self.source, line=self.line)
            return None
        match = _TIME.match(text)
        if match is None:
            raise InputError(
                f"{column}: expected a date and time such as 2023-04-10T06:51:47.000+00:00, got {text!r}",
                source=self.source,
                line=self.line,
            )
        year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
        fraction, offset = match.group(7), match.group(8)
        micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
        tz = dt.UTC
        if offset and offset != "Z":
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            tz = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        try:
            moment = dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
        except ValueError as exc:
            raise InputError(f"{column}: {exc} in {text!r}", source=self.source, line=self.line) from None
        return moment.astimezone(dt.UTC)


def _table_file(directory: Path, table: str) -> Path | None:
    found = [
        directory / f"{table}{suffix}" for suffix in SUFFIXES if (directory / f"{table}{suffix}").is_file()
    ]
    if len(found) > 1:
        raise InputError(
            f"one file per table: {', '.join(p.name for p in found)} are the same table",
            source=str(directory),
        )
    return found[0] if found else None


def read_table(path: Path) -> list[Row]:
    """The rows of one exported table: CSV or JSON Lines (`missionos.recordfiles`), or a JSON array."""
    source = str(path)
    if path.suffix in (".csv", ".jsonl"):
        kind = path.suffix.removeprefix(".")
        return [Row(values, source, line) for line, values in recordfiles.iter_records(path, fmt=kind)]
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("expected UTF-8 text", source=source) from None
    rows: list[Row] = []
    try:
        doc = safeload.loads_json(text, source=source)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", source=source, line=exc.lineno) from None
    if not isinstance(doc, list):
        raise InputError("expected a JSON array of row objects", source=source)
    for number, value in enumerate(doc, start=1):
        if not isinstance(value, dict):
            raise InputError(f"record {number}: expected a JSON object", source=source)
        rows.append(Row(value, source, number))
    return rows


@dataclass
class DevLakeData:
    """What a DevLake export directory holds, as Mission OS records, with what was left out and why."""

    data: ForgeData
    services: set[str]
    notes: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    items: list[WorkItemRecord] = field(default_factory=list)
    transitions: list[TransitionRecord] = field(default_factory=list)


class _Projects:
    """Which service each DevLake scope belongs to: its projects, or the one service given."""

    def __init__(self, rows: list[Row], service: str | None) -> None:
        self.service = service
        self.of: dict[tuple[str, str], list[str]] = defaultdict(list)
        for row in rows:
            project = row.need("project_name", "a project name")
            table = row.need("table", "the table of the scope (repos, cicd_scopes or boards)")
            scope = row.need("row_id", "the id of the scope")
            if project not in self.of[(table, scope)]:
                self.of[(table, scope)].append(project)
        self.unmapped: dict[str, int] = defaultdict(int)

    def services(self, table: str, scope: str, what: str) -> list[str]:
        if self.service is not None:
            return [self.service]
        found = self.of.get((table, scope), [])
        if not found:
            self.unmapped[what] += 1
        return found


def read_devlake(directory: Path, *, service: str | None = None) -> DevLakeData:
    """Read the DevLake tables found in `directory` (docs/org.md, "DevLake exports").

    Without `service`, `project_mapping` must be there: each DevLake project is a Mission OS service.
    """
    if not directory.is_dir():
        raise InputError("expected a directory of DevLake table exports", source=str(directory))
    files = {table: _table_file(directory, table) for table in TABLES}
    tables = {table: read_table(path) for table, path in files.items() if path is not None}
    known = [t for t in TABLES if t in tables]
    if not any(
        t in tables
        for t in ("cicd_deployments", "cicd_deployment_commits", "pull_requests", "incidents", "issues")
    ):
        raise InputError(
            "no DevLake tables found: expected cicd_deployment_commits, cicd_deployments, pull_requests, "
            "incidents or issues as .csv, .jsonl or .json",
            source=str(directory),
        )
    if service is None and "project_mapping" not in tables:
        raise InputError(
            "project_mapping: expected project_mapping.csv (each DevLake project is a service), or name one "
            "service for everything with --service",
            source=str(directory),
        )
    projects = _Projects(tables.get("project_mapping", []), service)
    notes: list[str] = []
    deployments = _deployments(tables, projects, notes)
    pull_requests = _pull_requests(tables, projects, notes)
    incidents = _incidents(tables, projects, notes)
    items, transitions = _work(tables, projects, notes)
    for what, count in sorted(projects.unmapped.items()):
        notes.append(f"{count} {what} left out: their scope is in no project of project_mapping")
    services = (
        {r.service for r in deployments} | {r.service for r in pull_requests} | {r.service for r in incidents}
    )
    return DevLakeData(
        ForgeData(pull_requests, deployments, incidents), services, notes, known, items, transitions
    )


def _environment(value: str) -> str:
    return value.lower() if value else UNSPECIFIED_ENVIRONMENT


def _deployments(
    tables: dict[str, list[Row]], projects: _Projects, notes: list[str]
) -> list[DeploymentRecord]:
    """One deployment per DevLake deployment (`cicd_deployment_id`) and service.

    From `cicd_deployment_commits`: a deployment with a successful row to PRODUCTION is a success to
    `production`, finished when the last such row finished, at the revision of that row (DevLake's own
    deployment count and date). Otherwise it keeps the environment of its rows, and is a success only when
    every row succeeded. From `cicd_deployments` when given: its own result, environment and times; the
    revision is that of its last-finishing commit row.
    """
    commits = tables.get("cicd_deployment_commits", [])
    by_deployment: dict[str, list[Row]] = defaultdict(list)
    for row in commits:
        by_deployment[row.need("cicd_deployment_id", "the id of the deployment")].append(row)
        row.need("commit_sha", "the sha of the deployed commit")
        row.time("finished_date", required=True)
        row.time("started_date")
    out: list[DeploymentRecord] = []
    if "cicd_deployments" in tables:
        for row in tables["cicd_deployments"]:
            deployment_id = row.need("id", "the deployment id")
            parts = by_deployment.get(deployment_id, [])
            if not parts:
                raise InputError(
                    f"id: no rows of cicd_deployment_commits for deployment {deployment_id!r} (its revision)",
                    source=row.source,
                    line=row.line,
                )
            last = max(parts, key=lambda r: (r.time("finished_date"), r.line))
            result = row.need("result", "SUCCESS or FAILURE")
            finished = row.time("finished_date", required=True)
            assert finished is not None
            for svc in projects.services("cicd_scopes", row.get("cicd_scope_id"), "deployments"):
                out.append(
                    DeploymentRecord(
                        id=deployment_id,
                        service=svc,
                        environment=_environment(row.get("environment")),
                        status="success" if result == "SUCCESS" else "failure",
                        started_at=row.time("started_date"),
                        finished_at=finished,
                        revision=last.get("commit_sha"),
                    )
                )
        return out
    for deployment_id, rows in by_deployment.items():
        scopes = {r.get("cicd_scope_id") for r in rows}
        for scope in sorted(scopes):
            scoped = [r for r in rows if r.get("cicd_scope_id") == scope]
            services = projects.services("cicd_scopes", scope, "deployments")
            if not services:
                continue
            shipped = [
                r for r in scoped if r.get("environment") == PRODUCTION and r.get("result") == "SUCCESS"
            ]
            if shipped:
                chosen, environment, status = shipped, "production", "success"
            else:
                chosen = scoped
                environment = _environment(scoped[0].get("environment"))
                status = "success" if all(r.get("result") == "SUCCESS" for r in scoped) else "failure"
            last = max(chosen, key=lambda r: (r.time("finished_date"), r.line))
            starts = [s for s in (r.time("started_date") for r in chosen) if s is not None]
            finished = last.time("finished_date")
            assert finished is not None
            for svc in services:
                out.append(
                    DeploymentRecord(
                        id=deployment_id,
                        service=svc,
                        environment=environment,
                        status=status,
                        started_at=min(starts) if starts and min(starts) <= finished else None,
                        finished_at=finished,
                        revision=last.get("commit_sha"),
                    )
                )
    return out


def _number(row: Row) -> int:
    key = row.get("pull_request_key")
    if key:
        if not key.isdigit():
            raise InputError(
                f"pull_request_key: expected a number, got {key!r}", source=row.source, line=row.line
            )
        return int(key)
    digits = re.search(r"(\d+)$", row.need("id", "the pull request id"))
    if digits is None:
        raise InputError(
            "pull_request_key: expected the pull request's number (or an id ending in digits)",
            source=row.source,
            line=row.line,
        )
    return int(digits.group(1))


def _pull_requests(
    tables: dict[str, list[Row]], projects: _Projects, notes: list[str]
) -> list[PullRequestRecord]:
    if "pull_requests" not in tables:
        return []
    commits: dict[str, list[tuple[str, dt.datetime | None]]] = defaultdict(list)
    for row in tables.get("pull_request_commits", []):
        commits[row.need("pull_request_id", "the pull request id")].append(
            (row.need("commit_sha", "a commit sha"), row.time("commit_authored_date"))
        )
    reviews: dict[str, list[ReviewRecord]] = defaultdict(list)
    for row in tables.get("pull_request_comments", []):
        when = row.time("created_date", required=True)
        assert when is not None
        reviews[row.need("pull_request_id", "the pull request id")].append(
            ReviewRecord(
                author=row.get("account_id"), submitted_at=when, state=(row.get("type") or "comment").lower()
            )
        )
    labels: dict[str, list[str]] = defaultdict(list)
    for row in tables.get("pull_request_labels", []):
        labels[row.need("pull_request_id", "the pull request id")].append(row.need("label_name", "a label"))
    out: list[PullRequestRecord] = []
    numbered: dict[tuple[str, int], int] = {}
    for row in tables["pull_requests"]:
        pr_id = row.need("id", "the pull request id")
        created = row.time("created_date", required=True)
        assert created is not None
        own = commits.get(pr_id, [])
        authored = [t for _, t in own if t is not None]
        number = _number(row)
        for svc in projects.services("repos", row.get("base_repo_id"), "pull requests"):
            if (svc, number) in numbered:
                raise InputError(
                    f"pull_request_key: service {svc} already has pull request {number} (line "
                    f"{numbered[(svc, number)]}); pull requests are keyed by service and number, so give "
                    "each repository of the project its own service (one DevLake project per service)",
                    source=row.source,
                    line=row.line,
                )
            numbered[(svc, number)] = row.line
            out.append(
                PullRequestRecord(
                    number=number,
                    service=svc,
                    title=row.get("title"),
                    author=row.get("author_id") or row.get("author_name"),
                    created_at=created,
                    merged_at=row.time("merged_date"),
                    merge_commit_sha=row.get("merge_commit_sha") or None,
                    commit_shas=tuple(sha for sha, _ in own),
                    reviews=tuple(_unique_reviews(reviews.get(pr_id, []))),
                    labels=tuple(labels.get(pr_id, [])),
                    first_commit_at=min(authored) if authored else None,
                )
            )
    return out


def _unique_reviews(reviews: list[ReviewRecord]) -> list[ReviewRecord]:
    """Reviews keyed by (author, time), as Mission OS stores them: two comments at once are one review."""
    seen: dict[tuple[str, dt.datetime], ReviewRecord] = {}
    for review in reviews:
        seen.setdefault((review.author, review.submitted_at), review)
    return list(seen.values())


def _incidents(tables: dict[str, list[Row]], projects: _Projects, notes: list[str]) -> list[IncidentRecord]:
    out: list[IncidentRecord] = []
    seen: set[tuple[str, str]] = set()

    def add(row: Row, services: list[str]) -> None:
        started = row.time("created_date", required=True)
        assert started is not None
        resolved = row.time("resolution_date")
        incident_id = row.need("id", "the incident id")
        for svc in services:
            if (svc, incident_id) in seen:
                continue
            seen.add((svc, incident_id))
            out.append(
                IncidentRecord(
                    id=incident_id,
                    service=svc,
                    started_at=started,
                    resolved_at=resolved if resolved is not None and resolved >= started else None,
                    severity=row.get("severity") or row.get("priority"),
                )
            )

    for row in tables.get("incidents", []):
        add(row, projects.services(row.get("table"), row.get("scope_id"), "incidents"))
    boards: dict[str, list[str]] = defaultdict(list)
    for row in tables.get("board_issues", []):
        boards[row.need("issue_id", "the issue id")].append(row.need("board_id", "the board id"))
    for row in tables.get("issues", []):
        if row.get("type").upper() != "INCIDENT":
            continue
        issue_id = row.need("id", "the issue id")
        if projects.service is not None:
            add(row, [projects.service])
            continue
        services: list[str] = []
        for board in boards.get(issue_id, []):
            for svc in projects.services("boards", board, "incident issues"):
                if svc not in services:
                    services.append(svc)
        if not boards.get(issue_id):
            projects.unmapped["incident issues"] += 1
        add(row, services)
    return out


STATUS_FIELD = "status"


def _work(
    tables: dict[str, list[Row]], projects: _Projects, notes: list[str]
) -> tuple[list[WorkItemRecord], list[TransitionRecord]]:
    """Every issue as a flow work item, with its status changes from `issue_changelogs` (metrics.md §2).

    The statuses are the tracker's own (`original_from_value`/`original_to_value`, else the standard ones),
    as stream definitions name them; the item's first status is the first change's `from`, at its creation.
    An issue that never changed status is in its current status since its creation.
    """
    if "issues" not in tables:
        return [], []
    changes: dict[str, list[Row]] = defaultdict(list)
    for row in tables.get("issue_changelogs", []):
        if row.get("field_name").lower() != STATUS_FIELD:
            continue
        changes[row.need("issue_id", "the issue id")].append(row)
        row.time("created_date", required=True)
    boards: dict[str, list[str]] = defaultdict(list)
    for row in tables.get("board_issues", []):
        boards[row.get("issue_id")].append(row.get("board_id"))
    types = TypeMap()
    items: list[WorkItemRecord] = []
    transitions: list[TransitionRecord] = []
    without = 0
    for row in tables["issues"]:
        key = row.need("id", "the issue id")
        created = row.time("created_date", required=True)
        assert created is not None
        teams: list[str] = []
        if projects.service is not None:
            teams = [projects.service]
        else:
            for board in boards.get(key, []):
                teams.extend(t for t in projects.of.get(("boards", board), []) if t not in teams)
        items.append(
            WorkItemRecord(
                id=key,
                type=types(row.get("type") or row.get("original_type")),
                title=row.get("title")[:1000],
                created_at=created,
                team=teams[0] if teams else None,
                parent=row.get("parent_issue_id") or None,
                source=SOURCE,
            )
        )
        moves = sorted(changes.get(key, []), key=lambda r: (r.time("created_date"), r.line))
        if not moves:
            # never changed status: it has been in its current status since it was created
            current = row.get("original_status") or row.get("status")
            if current:
                transitions.append(TransitionRecord(key, None, current, created))
            else:
                without += 1
            continue
        first = moves[0].get("original_from_value") or moves[0].get("from_value")
        if first:
            transitions.append(TransitionRecord(key, None, first, created))
        for move in moves:
            to_status = move.get("original_to_value") or move.get("to_value")
            if not to_status:
                raise InputError("to_value: expected the status entered", source=move.source, line=move.line)
            at = move.time("created_date")
            assert at is not None
            transitions.append(
                TransitionRecord(
                    key, move.get("original_from_value") or move.get("from_value") or None, to_status, at
                )
            )
    if without:
        notes.append(f"{without} issues with no status and no status changes: no flow figures for them")
    notes.extend(types.notes())
    return items, transitions


def import_devlake(session: Any, data: DevLakeData, *, create_services: bool = False) -> dict[str, Any]:
    """Write what `read_devlake` read in `session`'s transaction: pull requests, deployments, incidents.

    Every service must exist (declared with `missionos org apply`), unless `create_services` is set: then
    each missing one is created without a team.
    """
    from sqlalchemy import select

    from missionos.delivery import Service, ensure_service, import_forge
    from missionos.flow import upsert_work

    present = set(session.scalars(select(Service.name).where(Service.name.in_(sorted(data.services)))))
    missing = sorted(data.services - present)
    if missing and not create_services:
        raise InputError(
            f"no service named {', '.join(repr(m) for m in missing)}: declare each DevLake project as a "
            "service in an organization file and run `missionos org apply` (docs/org.md), or pass "
            "--create-services"
        )
    for name in missing:
        ensure_service(session, name)
    summaries = import_forge(session, data.data, source=SOURCE)
    work = upsert_work(session, data.items, data.transitions, source=SOURCE) if data.items else None
    return {
        "created_services": missing,
        **{k: v.as_dict() for k, v in summaries.items()},
        "work_items": work.as_dict() if work is not None else None,
    }
