"""Configured sources, read again and again: `missionos sync` and `missionos serve --sync FILE`.

A sources file (YAML) names each system to read, once, instead of a cron line per import command:

    every: 1h                      # how often each source is read (a source may say its own `every`)
    sources:
      - name: intake-web
        kind: github               # delivery: merged pull requests, deployments, incident issues
        repo: agency/intake-web
        service: intake-web
      - name: claims
        kind: jira                 # flow: issues and their status changes
        url: https://jira.agency.example
        jql: project = CLAIMS
        team: Intake

Kinds: `github` and `gitlab` (the delivery context's forge importers), `git` (a local clone or mirror),
`github-issues` and `jira` (the flow context's importers). Tokens are named by the environment variable that
holds them (`token_env`), never written in the file. A `from_dir` reads pages saved on the other side of an
air gap instead of the network.

Every run of a source is recorded (`ingest_sync_run`): when, what it read and wrote, or why it failed. A
source's records are written in one transaction, so a failed run leaves nothing half-written, and one failing
source does not stop the others. Every source but `git` (which reads only commits it has not seen) and saved
pages reads only what changed since the start of its last successful run. A lease per source keeps two
servers from reading the same source at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from missionos import safeload
from missionos.accounts import Principal, Setting, limits
from missionos.errors import FieldError, InputError, MissionOSError
from missionos.ingest import inbox
from missionos.ingest.models import SyncRun
from missionos.store import Database, utcnow

log = logging.getLogger(__name__)

DEFAULT_EVERY = dt.timedelta(hours=1)
LEASE_TTL = dt.timedelta(
    minutes=5
)  # a reader that stopped renewing this long ago has died: the source is free
LEASE_RENEW = 60.0  # seconds between renewals while a source is being read
OVERLAP = dt.timedelta(minutes=5)  # incremental reads start this much before the last good run began
RETRY = dt.timedelta(minutes=5)  # a failed source is read again this soon (or at its own interval, if sooner)

_COMMON = {"name", "kind", "every"}
# Per kind: the required keys, and the optional ones with their defaults.
KINDS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "github": (
        ("repo", "service"),
        {
            "base_url": "https://api.github.com",
            "token_env": "GITHUB_TOKEN",
            "incident_label": "incident",
            "from_dir": None,
        },
    ),
    "gitlab": (
        ("project", "service"),
        {
            "base_url": "https://gitlab.com/api/v4",
            "token_env": "GITLAB_TOKEN",
            "incident_label": "incident",
            "from_dir": None,
        },
    ),
    "git": (("path", "service"), {"path_prefix": "", "branch": None}),
    "github-issues": (
        ("repo",),
        {
            "base_url": "https://api.github.com",
            "token_env": "GITHUB_TOKEN",
            "team": None,
            "status_label_prefix": "status:",
            "types": None,
            "from_dir": None,
        },
    ),
    "jira": (
        (),
        {
            "url": None,
            "jql": None,
            "token_env": "MISSIONOS_JIRA_TOKEN",
            "email_env": "MISSIONOS_JIRA_EMAIL",
            "team": None,
            "types": None,
            "from_dir": None,
        },
    ),
}
_PATHS = {"from_dir", "path", "types"}  # resolved against the sources file's folder
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")  # it names a lease and a request setting
_SPAN = re.compile(r"(\d+)\s*(s|m|h|d)")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Source:
    name: str
    kind: str
    every: dt.timedelta
    options: Mapping[str, Any]

    @property
    def incremental(self) -> bool:
        """Whether a run reads only what changed since the last good one (and from the network)."""
        return self.kind != "git" and not self.options.get("from_dir")

    def describe(self) -> str:
        o = self.options
        if o.get("from_dir"):
            return f"saved pages in {o['from_dir']}"
        what = {
            "github": lambda: f"{o['repo']} → service {o['service']}",
            "gitlab": lambda: f"{o['project']} → service {o['service']}",
            "git": lambda: f"{o['path']} → service {o['service']}",
            "github-issues": lambda: f"{o['repo']} issues",
            "jira": lambda: f"{o['url']}: {o['jql']}",
        }
        return what[self.kind]()


@dataclass(frozen=True)
class SyncConfig:
    path: Path
    sources: tuple[Source, ...]

    def select(self, names: Sequence[str]) -> tuple[Source, ...]:
        known = {s.name: s for s in self.sources}
        for name in names:
            if name not in known:
                raise FieldError("--source", f"one of the sources in {self.path}: {', '.join(known)}")
        return tuple(s for s in self.sources if not names or s.name in names)


def parse_span(text: Any, field_name: str, *, source: str) -> dt.timedelta:
    """`30m`, `2h`, `1d`, `90s`, or combinations like `1h30m`; at least one minute."""
    raw = str(text).strip().lower()
    parts = _SPAN.findall(raw)
    if not parts or _SPAN.sub("", raw).strip():
        raise FieldError(field_name, "a span like 30m, 2h or 1d", source=source)
    span = dt.timedelta(seconds=sum(int(n) * _UNITS[u] for n, u in parts))
    if span < dt.timedelta(minutes=1):
        raise FieldError(field_name, "a span of at least 1m", source=source)
    return span


def read_config(path: Path) -> SyncConfig:
    """Parse and check a sources file; errors name the file and the field (`sources[2].repo`)."""
    where = str(path)
    try:
        doc = safeload.load(path.read_text(encoding="utf-8"), source=where)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=where) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            f"not valid YAML: {getattr(exc, 'problem', exc)}",
            source=where,
            line=mark.line + 1 if mark is not None else None,
        ) from None
    return parse_config(doc, path)


def parse_config(doc: Any, path: Path) -> SyncConfig:
    where = str(path)
    if not isinstance(doc, dict):
        raise FieldError("(document)", "a mapping with `sources:`", source=where)
    unknown = set(doc) - {"every", "sources"}
    if unknown:
        raise FieldError(sorted(unknown)[0], "only `every` and `sources` at the top level", source=where)
    every = parse_span(doc["every"], "every", source=where) if "every" in doc else DEFAULT_EVERY
    entries = doc.get("sources")
    if not isinstance(entries, list) or not entries:
        raise FieldError("sources", "a list of one or more sources", source=where)
    sources: list[Source] = []
    for n, entry in enumerate(entries):
        sources.append(_source(entry, f"sources[{n}]", every, path))
    seen: set[str] = set()
    for n, s in enumerate(sources):
        if s.name in seen:
            raise FieldError(
                f"sources[{n}].name", f"a name no other source has ({s.name!r} is taken)", source=where
            )
        seen.add(s.name)
    return SyncConfig(path, tuple(sources))


def _source(entry: Any, at: str, every: dt.timedelta, path: Path) -> Source:
    where = str(path)
    if not isinstance(entry, dict):
        raise FieldError(at, "a mapping with name, kind and the kind's keys", source=where)
    kind = entry.get("kind")
    if kind not in KINDS:
        raise FieldError(f"{at}.kind", f"one of {', '.join(KINDS)}", source=where)
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise FieldError(f"{at}.name", "up to 80 letters, digits, '.', '_' or '-'", source=where)
    required, optional = KINDS[kind]
    unknown = sorted(set(entry) - _COMMON - set(required) - set(optional))
    if unknown:
        allowed = ", ".join([*required, *optional])
        raise FieldError(f"{at}.{unknown[0]}", f"one of the keys of a {kind} source: {allowed}", source=where)
    options: dict[str, Any] = dict(optional)
    for key in required:
        if key not in entry:
            raise FieldError(
                f"{at}.{key}", f"a value (a {kind} source needs {', '.join(required)})", source=where
            )
    for key in (*required, *optional):
        if key not in entry:
            continue
        value = entry[key]
        if value is None or isinstance(value, bool) or not isinstance(value, str | int):
            raise FieldError(f"{at}.{key}", "a text value", source=where)
        value = str(value).strip()
        if key in _PATHS:
            value = str((path.parent / value).resolve()) if value else ""
        options[key] = value
    if kind in ("github", "github-issues") and not re.fullmatch(r"[\w.-]+/[\w.-]+", options["repo"]):
        raise FieldError(f"{at}.repo", "OWNER/NAME", source=where)
    if kind == "jira" and not options.get("from_dir") and not (options.get("url") and options.get("jql")):
        raise FieldError(f"{at}.url", "both url and jql (or from_dir for saved responses)", source=where)
    own = parse_span(entry["every"], f"{at}.every", source=where) if "every" in entry else every
    return Source(name, kind, own, options)


@dataclass(frozen=True)
class Outcome:
    """What one run of a source did."""

    source: str
    kind: str
    status: str  # ok | failed | skipped
    started_at: dt.datetime
    seconds: float = 0.0
    since: dt.datetime | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kind": self.kind,
            "status": self.status,
            "started_at": self.started_at.isoformat(),
            "seconds": round(self.seconds, 3),
            "since": self.since.isoformat() if self.since else None,
            "summary": self.summary,
            "error": self.error,
        }


def _as_utc(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def last_runs(session: Session) -> dict[str, SyncRun]:
    """The latest run of every source that has run."""
    latest = select(SyncRun.source, func.max(SyncRun.id).label("id")).group_by(SyncRun.source).subquery()
    rows = session.scalars(select(SyncRun).join(latest, SyncRun.id == latest.c.id)).all()
    return {r.source: r for r in rows}


def _last_good_start(session: Session, name: str) -> dt.datetime | None:
    return _as_utc(
        session.scalar(
            select(func.max(SyncRun.started_at)).where(SyncRun.source == name, SyncRun.status == "ok")
        )
    )


_REQUEST = "sync_request:"  # a Setting per source asked to be read now (admin page, API)


def request_now(session: Session, name: str, by: Principal | None = None) -> dt.datetime:
    """Ask the reader (`serve --sync`) to read source `name` at its next look, whatever its interval (`by`:
    an admin of every team, since a source feeds every team's records)."""
    limits.require_all_teams(by, "admin")
    at = utcnow()
    row = session.get(Setting, _REQUEST + name)
    if row is None:
        session.add(Setting(name=_REQUEST + name, value="", updated_at=at))
    else:
        row.updated_at = at
    return at


def requests(session: Session) -> dict[str, dt.datetime]:
    """When each source was last asked to be read now."""
    rows = session.scalars(select(Setting).where(Setting.name.startswith(_REQUEST))).all()
    return {r.name.removeprefix(_REQUEST): _as_utc(r.updated_at) or utcnow() for r in rows}


def due(source: Source, last: SyncRun | None, now: dt.datetime, requested: dt.datetime | None = None) -> bool:
    """Whether `source` should be read now: never read, or its last run started `every` ago or more. A run
    that failed is tried again after `RETRY` at most, so a passing outage costs minutes, not an interval."""
    if last is None:
        return True
    started = _as_utc(last.started_at) or now
    if requested is not None and requested > started:
        return True
    return now - started >= _wait(source, last)


def _wait(source: Source, last: SyncRun) -> dt.timedelta:
    return min(source.every, RETRY) if last.status == "failed" else source.every


def run(
    db: Database,
    sources: Sequence[Source],
    *,
    transport: httpx.BaseTransport | None = None,
    owner: str | None = None,
    only_due: bool = False,
    now: Callable[[], dt.datetime] = utcnow,
    advance: Callable[[Source], None] = lambda _s: None,
) -> list[Outcome]:
    """Read each of `sources` (with `only_due`, those whose time has come) and record every run."""
    owner = owner or f"{socket.gethostname()}:{os.getpid()}"
    with db.session() as session:
        last = last_runs(session)
        asked = requests(session) if only_due else {}
    outcomes = []
    for source in sources:
        if only_due and not due(source, last.get(source.name), now(), asked.get(source.name)):
            continue
        outcomes.append(run_one(db, source, transport=transport, owner=owner, now=now))
        advance(source)
    return outcomes


def run_one(
    db: Database,
    source: Source,
    *,
    transport: httpx.BaseTransport | None = None,
    owner: str,
    now: Callable[[], dt.datetime] = utcnow,
) -> Outcome:
    lease = f"sync:{source.name}"
    started = now()
    with db.session() as session:
        if not inbox.take_lease(session, owner, name=lease, ttl=LEASE_TTL):
            return Outcome(source.name, source.kind, "skipped", started, error="another reader holds it")
        # Holding the lease, no one else reads this source: a run still marked running was cut short.
        session.execute(
            update(SyncRun)
            .where(SyncRun.source == source.name, SyncRun.status == "running")
            .values(status="failed", error="interrupted: its reader stopped before it finished")
        )
        good = _last_good_start(session, source.name)
        since = good - OVERLAP if good is not None and source.incremental else None
        row = SyncRun(source=source.name, kind=source.kind, started_at=started, status="running", since=since)
        session.add(row)
        session.flush()
        run_id = row.id
    clock = time.perf_counter()
    summary: dict[str, Any] = {}
    error: str | None = "interrupted: its reader was stopped"
    renewing = _Renewal(db, owner, lease)
    try:
        summary = READERS[source.kind](db, source, since, transport)
        error = None
    except MissionOSError as exc:
        error = f"{exc.location}: {exc}" if getattr(exc, "location", None) else str(exc)
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # a source's failure is recorded, and the others still run
        log.exception("sync of %s failed", source.name)
        error = f"internal error ({type(exc).__name__}): {exc}"
    finally:  # also when the reader is stopped (Ctrl-C, the server ending): the run ends, the lease is freed
        renewing.stop()
        with db.session() as session:
            stored = session.get(SyncRun, run_id)
            if stored is not None:
                stored.finished_at, stored.summary, stored.error = now(), summary, error
                stored.status = "failed" if error else "ok"
            inbox.give_up_lease(session, owner, name=lease)
    seconds = time.perf_counter() - clock
    return Outcome(
        source.name, source.kind, "failed" if error else "ok", started, seconds, since, summary, error
    )


class _Renewal:
    """Renews a source's lease every `LEASE_RENEW` seconds while it is read, so a long read keeps it and a
    reader that dies loses it within `LEASE_TTL`."""

    def __init__(self, db: Database, owner: str, lease: str) -> None:
        self._db, self._owner, self._lease = db, owner, lease
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease {lease}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(LEASE_RENEW):
            try:
                with self._db.session() as session:
                    inbox.take_lease(session, self._owner, name=self._lease, ttl=LEASE_TTL)
            except Exception:  # a missed renewal is retried at the next tick
                log.warning("could not renew the lease %s", self._lease, exc_info=True)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)


def _token(source: Source, key: str) -> str | None:
    name = source.options.get(key)
    return os.environ.get(name) if name else None


def _forge(
    db: Database, source: Source, since: dt.datetime | None, transport: httpx.BaseTransport | None
) -> dict[str, Any]:
    from missionos.delivery import ApiPages, SavedPages, api_client, import_forge, read_github, read_gitlab

    o = source.options
    reader = read_github if source.kind == "github" else read_gitlab
    where = o["repo"] if source.kind == "github" else o["project"]
    if o.get("from_dir"):
        data = reader(
            SavedPages(Path(o["from_dir"])), where, o["service"], incident_label=o["incident_label"]
        )
    else:
        with api_client(source.kind, o["base_url"], o["token_env"], transport=transport) as client:
            data = reader(
                ApiPages(client), where, o["service"], incident_label=o["incident_label"], since=since
            )
    with db.session() as session:
        summaries = import_forge(session, data, source=f"{source.kind}:{where}")
    return {key: _counts(s.as_dict()) for key, s in summaries.items()}


def _counts(summary: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if isinstance(v, int) and not isinstance(v, bool)}


def _git(db: Database, source: Source, _since: Any, _transport: Any) -> dict[str, Any]:
    from missionos.delivery import import_git

    o = source.options
    with db.session() as session:
        summary = import_git(
            session, Path(o["path"]), service=o["service"], path_prefix=o["path_prefix"], branch=o["branch"]
        )
    return {"commits": _counts(summary.as_dict())}


def _type_map(source: Source) -> Any:
    from missionos.flow import TypeMap

    return TypeMap.from_file(Path(source.options["types"])) if source.options.get("types") else TypeMap()


def _work(db: Database, items: Any, moves: Any, notes: Sequence[str], origin: str) -> dict[str, Any]:
    from missionos.flow import upsert_work

    with db.session() as session:
        summary = upsert_work(session, items, moves, source=origin)
    counts = {k: v for k, v in vars(summary).items() if isinstance(v, int)}
    return {"work_items": counts, "notes": len(notes)}


def _github_issues(
    db: Database, source: Source, since: dt.datetime | None, transport: httpx.BaseTransport | None
) -> dict[str, Any]:
    from missionos.flow.importers import github

    o = source.options
    if o.get("from_dir"):
        batch = github.read_files([Path(o["from_dir"])])
    else:
        client = github.GitHubClient(
            o["repo"], token=_token(source, "token_env"), url=o["base_url"], transport=transport
        )
        batch = client.fetch(since=since)
    items, moves, notes = github.to_records(
        batch, _type_map(source), repo=o["repo"], team=o["team"], status_label_prefix=o["status_label_prefix"]
    )
    return _work(db, items, moves, notes, github.SOURCE)


def jql_since(jql: str, since: dt.datetime | None) -> str:
    """`jql` narrowed to issues updated since the day before `since` (Jira reads dates in the account's own
    time zone, so a day's margin covers any offset); an ORDER BY stays at the end."""
    if since is None:
        return jql
    parts = re.split(r"(?i)\s+order\s+by\s+", jql, maxsplit=1)
    day = (since - dt.timedelta(days=1)).date().isoformat()
    narrowed = f'({parts[0].strip()}) AND updated >= "{day}"'
    return narrowed + (f" ORDER BY {parts[1].strip()}" if len(parts) == 2 else "")


def _jira(
    db: Database, source: Source, since: dt.datetime | None, transport: httpx.BaseTransport | None
) -> dict[str, Any]:
    from missionos.flow.importers import jira

    o = source.options
    if o.get("from_dir"):
        batch = jira.read_files([Path(o["from_dir"])])
    else:
        client = jira.JiraClient(
            o["url"],
            token=_token(source, "token_env"),
            email=_token(source, "email_env"),
            transport=transport,
        )
        batch = client.search(jql_since(o["jql"], since))
    items, moves, notes = jira.to_records(batch, _type_map(source), team=o["team"])
    return _work(db, items, moves, notes, jira.SOURCE)


READERS: dict[str, Callable[[Database, Source, Any, Any], dict[str, Any]]] = {
    "github": _forge,
    "gitlab": _forge,
    "git": _git,
    "github-issues": _github_issues,
    "jira": _jira,
}


def span_text(span: dt.timedelta) -> str:
    """A span as the sources file writes it: `1h30m`, `2d`, `45m`."""
    seconds = int(span.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"


def summary_text(summary: Mapping[str, Any] | None) -> str:
    """What a run wrote, as people read it: `work items: 36 items created, 211 transitions added`."""
    return (
        "; ".join(
            f"{part.replace('_', ' ')}: "
            + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in figures.items() if n)
            for part, figures in (summary or {}).items()
            if isinstance(figures, dict) and any(figures.values())
        )
        or "nothing new"
    )


def status_row(source: Source | None, last: SyncRun | None, *, name: str = "") -> dict[str, Any]:
    """A source and its last run, for `sync status`, the admin page and the API. Without `source` (no longer
    in the sources file), the row is the recorded run of `name` alone."""
    started = _as_utc(last.started_at) if last is not None else None
    if source is None:
        due = None
    elif started is None or last is None:
        due = "now"
    else:
        due = (started + _wait(source, last)).isoformat(timespec="seconds")
    return {
        "source": source.name if source else name,
        "kind": source.kind if source else (last.kind if last else None),
        "reads": source.describe() if source else None,
        "every": span_text(source.every) if source else None,
        "last_started": started.isoformat(timespec="seconds") if started else None,
        "last_status": last.status if last is not None else "never run",
        "last_error": last.error if last is not None else None,
        "last_summary": last.summary if last is not None else None,
        "last_result": last.error or summary_text(last.summary) if last is not None else None,
        "next_due": due,
    }


def overview(session: Session, config_path: str | None, by: Principal | None = None) -> dict[str, Any]:
    """The sources the server reads (`serve --sync FILE`) with their last runs (the admin page and the API).
    Without a sources file, or with one that no longer parses, the sources that ever ran are listed. Sources
    span every team, so `by` must be an admin limited to no team."""
    limits.require_all_teams(by, "admin")
    last = last_runs(session)
    error = None
    sources: tuple[Source, ...] = ()
    if config_path:
        try:
            sources = read_config(Path(config_path)).sources
        except MissionOSError as exc:
            error = f"{exc.location}: {exc}" if getattr(exc, "location", None) else str(exc)
    rows = [status_row(s, last.get(s.name)) for s in sources]
    named = {s.name for s in sources}
    rows += [status_row(None, run, name=name) for name, run in sorted(last.items()) if name not in named]
    return {"config": config_path, "error": error, "sources": rows}
