"""Your own organization, declared in one file: teams, services and value streams (docs/org.md).

`apply_org` makes the database hold what the document declares and reports, for each thing, whether it was
added, changed or already so; `export_org` writes the current organization back as a document that applies
with nothing changed. Nothing is deleted: a team, service, repository or stream that the document leaves out
stays as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from missionos import safeload, times
from missionos.delivery import (
    Declared,
    RepositorySpec,
    ServiceSpec,
    TeamSpec,
    declare_services,
    declare_teams,
    teams_and_services,
)
from missionos.errors import FieldError, InputError
from missionos.flow import StreamDefinition, apply_stream, list_streams, parse_stream

OrgChange = Declared

TOP_KEYS = ("teams", "services", "streams")
TEAM_KEYS = ("name", "description")
SERVICE_KEYS = ("name", "team", "description", "repositories", "history_start", "production_environments")
REPOSITORY_KEYS = ("location", "path_prefix", "branch")


@dataclass(frozen=True)
class OrgSpec:
    teams: tuple[TeamSpec, ...] = ()
    services: tuple[ServiceSpec, ...] = ()
    streams: tuple[StreamDefinition, ...] = ()


@dataclass
class OrgResult:
    changes: list[OrgChange] = field(default_factory=list)
    dry_run: bool = False

    def count(self, outcome: str) -> int:
        return sum(1 for c in self.changes if c.outcome == outcome)

    def as_dict(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run,
            "added": self.count("added"),
            "changed": self.count("changed"),
            "unchanged": self.count("unchanged"),
            "changes": [c.as_dict() for c in self.changes],
        }


# --- reading ----------------------------------------------------------------------------------------------


class _Problem(Exception):
    def __init__(self, path: tuple[str | int, ...], expected: str) -> None:
        super().__init__(expected)
        self.path = path
        self.expected = expected


def field_name(path: Sequence[str | int]) -> str:
    """`services[1].repositories[0].location` from ('services', 1, 'repositories', 0, 'location')."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


_node_line = safeload.line_of


def _text(value: Any, path: tuple[str | int, ...], expected: str, *, limit: int = 200) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise _Problem(path, expected)
    return value.strip()


def _optional_text(value: Any, path: tuple[str | int, ...], *, limit: int = 2000) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise _Problem(path, f"text of at most {limit} characters")
    return value


def _keys(raw: dict[str, Any], allowed: Sequence[str], path: tuple[str | int, ...]) -> None:
    for key in raw:
        if key not in allowed:
            raise _Problem((*path, str(key)), f"one of the fields {', '.join(allowed)}")


def _time(value: Any, path: tuple[str | int, ...]) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time(), dt.UTC)
    elif isinstance(value, str):
        try:
            moment = times.read_iso(value)
        except ValueError:
            raise _Problem(path, f"an ISO 8601 date or time, got {value!r}") from None
        if len(value) == 10:
            moment = moment.replace(tzinfo=dt.UTC)
    else:
        raise _Problem(path, "an ISO 8601 date or time")
    if moment.tzinfo is None:
        raise _Problem(path, "a time with a UTC offset (e.g. 2026-01-01T00:00:00Z)")
    return moment.astimezone(dt.UTC)


def _repository(raw: Any, path: tuple[str | int, ...]) -> RepositorySpec:
    if isinstance(raw, str):
        raw = {"location": raw}
    if not isinstance(raw, dict):
        raise _Problem(path, "a repository: its location, or a mapping {location, path_prefix, branch}")
    _keys(raw, REPOSITORY_KEYS, path)
    location = _text(raw.get("location"), (*path, "location"), "a repository URL or path", limit=1000)
    prefix = raw.get("path_prefix") or ""
    if not isinstance(prefix, str) or len(prefix) > 500:
        raise _Problem((*path, "path_prefix"), "a directory of the repository")
    branch = raw.get("branch", "main")
    branch = _text(branch, (*path, "branch"), "a branch name")
    return RepositorySpec(location, prefix.strip("/"), branch)


def _service(raw: Any, path: tuple[str | int, ...], teams: set[str]) -> ServiceSpec:
    if not isinstance(raw, dict):
        raise _Problem(
            path, "a mapping with name, team, repositories, history_start, production_environments"
        )
    _keys(raw, SERVICE_KEYS, path)
    name = _text(raw.get("name"), (*path, "name"), "a service name of 1 to 200 characters")
    team = raw.get("team")
    if team is not None:
        team = _text(team, (*path, "team"), "a team name")
        if team not in teams:
            raise _Problem((*path, "team"), f"a team declared under teams (no team {team!r})")
    repos_raw = raw.get("repositories") or []
    if not isinstance(repos_raw, list):
        raise _Problem((*path, "repositories"), "a list of repositories")
    repos = tuple(_repository(r, (*path, "repositories", k)) for k, r in enumerate(repos_raw))
    seen: set[tuple[str, str]] = set()
    for k, repo in enumerate(repos):
        if (repo.location, repo.path_prefix) in seen:
            raise _Problem((*path, "repositories", k), "each repository and path prefix once")
        seen.add((repo.location, repo.path_prefix))
    envs_raw = raw.get("production_environments") or []
    if isinstance(envs_raw, str):
        envs_raw = [envs_raw]
    if not isinstance(envs_raw, list) or not all(
        isinstance(e, str) and e.strip() and "," not in e for e in envs_raw
    ):
        raise _Problem((*path, "production_environments"), "a list of environment names (no commas)")
    envs = tuple(dict.fromkeys(e.strip() for e in envs_raw))
    if len(",".join(envs)) > 500:
        raise _Problem((*path, "production_environments"), "names of at most 500 characters in all")
    return ServiceSpec(
        name=name,
        team=team,
        description=_optional_text(raw.get("description"), (*path, "description")),
        repositories=repos,
        history_start=_time(raw.get("history_start"), (*path, "history_start")),
        production_environments=envs,
    )


def _spec(doc: Any) -> OrgSpec:
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise _Problem((), "a mapping with teams, services and streams")
    _keys(doc, TOP_KEYS, ())
    teams: list[TeamSpec] = []
    raw_teams = doc.get("teams") or []
    if not isinstance(raw_teams, list):
        raise _Problem(("teams",), "a list of teams")
    for k, raw in enumerate(raw_teams):
        path: tuple[str | int, ...] = ("teams", k)
        if isinstance(raw, str):
            raw = {"name": raw}
        if not isinstance(raw, dict):
            raise _Problem(path, "a team: its name, or a mapping {name, description}")
        _keys(raw, TEAM_KEYS, path)
        name = _text(raw.get("name"), (*path, "name"), "a team name of 1 to 200 characters")
        if any(t.name == name for t in teams):
            raise _Problem((*path, "name"), f"each team once ({name!r} is repeated)")
        teams.append(TeamSpec(name, _optional_text(raw.get("description"), (*path, "description"))))
    raw_services = doc.get("services") or []
    if not isinstance(raw_services, list):
        raise _Problem(("services",), "a list of services")
    names = {t.name for t in teams}
    services: list[ServiceSpec] = []
    for k, raw in enumerate(raw_services):
        svc = _service(raw, ("services", k), names)
        if any(s.name == svc.name for s in services):
            raise _Problem(("services", k, "name"), f"each service once ({svc.name!r} is repeated)")
        services.append(svc)
    raw_streams = doc.get("streams") or []
    if not isinstance(raw_streams, list):
        raise _Problem(("streams",), "a list of value streams")
    streams: list[StreamDefinition] = []
    for k, raw in enumerate(raw_streams):
        try:
            stream = parse_stream(_plain(raw))
        except FieldError as exc:
            raise _Problem(("streams", k, *_split(exc.field)), exc.expected) from None
        except InputError as exc:
            raise _Problem(("streams", k), exc.message.removeprefix("expected ")) from None
        if any(s.name == stream.name for s in streams):
            raise _Problem(("streams", k, "name"), f"each stream once ({stream.name!r} is repeated)")
        streams.append(stream)
    return OrgSpec(tuple(teams), tuple(services), tuple(streams))


def _plain(value: Any) -> Any:
    """Stream definitions are stored as JSON: YAML dates become ISO strings."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _split(name: str) -> tuple[str | int, ...]:
    """('steps', 0, 'name') from 'steps[0].name'."""
    out: list[str | int] = []
    for piece in name.replace("[", ".[").split("."):
        if not piece:
            continue
        if piece.startswith("[") and piece.endswith("]") and piece[1:-1].isdigit():
            out.append(int(piece[1:-1]))
        else:
            out.append(piece)
    return tuple(out)


def parse_org(document: Any, *, source: str = "body") -> OrgSpec:
    """An organization from its JSON form (the API body); a bad field raises `FieldError` naming its path."""
    try:
        return _spec(document)
    except _Problem as problem:
        raise FieldError(field_name(problem.path) or "(document)", problem.expected, source=source) from None


def parse_org_text(text: str, *, source: str) -> OrgSpec:
    """An organization from YAML text; a problem raises `InputError` naming the source, line and field."""
    doc, node = safeload.load_with_node(text, source=source)
    try:
        return _spec(doc)
    except _Problem as problem:
        where = field_name(problem.path)
        message = f"{where}: expected {problem.expected}" if where else f"expected {problem.expected}"
        raise InputError(message, source=source, line=_node_line(node, problem.path)) from None


def read_org_file(path: Path) -> OrgSpec:
    return parse_org_text(safeload.read_text(path, what="an organization file (YAML)"), source=str(path))


# --- applying ---------------------------------------------------------------------------------------------


def apply_org(
    session: Session, spec: OrgSpec, *, dry_run: bool = False, actor: str | None = None
) -> OrgResult:
    """Make the database hold what `spec` declares; with `dry_run`, only report what would change.

    Teams and services go through the delivery context, streams through the flow context. When something
    changed and `actor` is given, the audit log records the organization before and after.
    """
    result = OrgResult(dry_run=dry_run)
    before = export_org(session) if actor is not None and not dry_run else None
    result.changes.extend(declare_teams(session, spec.teams, dry_run=dry_run))
    result.changes.extend(declare_services(session, spec.services, dry_run=dry_run))
    streams = {s.name: s for s in list_streams(session)}
    for stream in spec.streams:
        stored = streams.get(stream.name)
        outcome = "added" if stored is None else "unchanged" if stored == stream else "changed"
        result.changes.append(OrgChange("stream", stream.name, outcome))
        if not dry_run and outcome != "unchanged":
            apply_stream(session, stream)
    if actor is not None and before is not None and result.count("unchanged") < len(result.changes):
        from missionos.accounts import audit

        audit.record(
            session,
            actor=actor,
            action="apply",
            kind="org",
            key="org",
            before=before,
            after=export_org(session),
        )
    return result


# --- exporting --------------------------------------------------------------------------------------------


def export_org(session: Session) -> dict[str, Any]:
    """The current organization as a document that `apply_org` applies with nothing changed."""
    teams, services = teams_and_services(session)
    streams = [_stream_doc(s) for s in list_streams(session)]
    return {"teams": teams, "services": services, "streams": streams}


def _stream_doc(stream: StreamDefinition) -> dict[str, Any]:
    doc = stream.as_dict()
    if doc.get("team") is None:
        doc.pop("team", None)
    if not doc.get("description"):
        doc.pop("description", None)
    return doc


def dump_org(doc: dict[str, Any]) -> str:
    """The organization document as YAML, keys in the documented order."""
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120)


__all__ = [
    "OrgChange",
    "OrgResult",
    "OrgSpec",
    "RepositorySpec",
    "ServiceSpec",
    "TeamSpec",
    "apply_org",
    "dump_org",
    "export_org",
    "parse_org",
    "parse_org_text",
    "read_org_file",
]
