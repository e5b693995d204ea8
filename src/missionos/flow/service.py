"""Public service functions of the flow context: store work items, define streams, compute their figures.

The web pages, the CLI, the measures and the webhook receivers call these; they hold the SQL, and the
arithmetic lives in `missionos.flow.metrics`.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any, cast

import yaml
from sqlalchemy import CursorResult, DateTime, Table, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from missionos import safeload
from missionos.accounts import Principal, limits
from missionos.errors import FieldError, InputError, NotFoundError
from missionos.flow import metrics
from missionos.flow.models import Stream, Transition, WorkItem
from missionos.flow.records import (
    STEP_KINDS,
    WORK_TYPES,
    ImportSummary,
    StreamDefinition,
    StreamEntry,
    TransitionRecord,
    WorkItemRecord,
)
from missionos.measures import Window
from missionos.store import utcnow
from missionos.times import as_utc

CHUNK = 500
TRANSITIONS = cast(Table, Transition.__table__)


def _chunks(seq: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for k in range(0, len(seq), size):
        yield seq[k : k + size]


# --- writing work -----------------------------------------------------------------------------------------


def validate_work(
    items: Sequence[WorkItemRecord], transitions: Sequence[TransitionRecord], *, source: str
) -> None:
    """Raise a `FieldError` naming the first bad record; nothing is written by this function."""
    if not source or len(source) > 100:
        raise FieldError("source", "a source name of 1 to 100 characters")
    for k, item in enumerate(items):
        where = f"items[{k}]"
        if not isinstance(item.id, str) or not item.id.strip() or len(item.id) > 200:
            raise FieldError(f"{where}.id", "an item key of 1 to 200 characters")
        if item.type not in WORK_TYPES:
            raise FieldError(f"{where}.type", f"one of {', '.join(WORK_TYPES)} (got {item.type!r})")
        if not isinstance(item.created_at, dt.datetime) or item.created_at.tzinfo is None:
            raise FieldError(f"{where}.created_at", "a time with a UTC offset")
    for k, t in enumerate(transitions):
        where = f"transitions[{k}]"
        if not isinstance(t.item, str) or not t.item.strip():
            raise FieldError(f"{where}.item", "the key of a work item")
        if not isinstance(t.to_status, str) or not t.to_status.strip() or len(t.to_status) > 200:
            raise FieldError(f"{where}.to_status", "a status name of 1 to 200 characters")
        if t.from_status is not None and len(t.from_status) > 200:
            raise FieldError(f"{where}.from_status", "a status name of at most 200 characters")
        if not isinstance(t.at, dt.datetime) or t.at.tzinfo is None:
            raise FieldError(f"{where}.at", "a time with a UTC offset")


class WorkWriter:
    """Writes batches of one source's work into one session, remembering item ids between batches.

    Importers that stream a large file call `write` per chunk inside one transaction; `upsert_work` is the
    one-batch form.
    """

    def __init__(self, session: Session, source: str) -> None:
        self.session = session
        self.source = source
        self.ids: dict[str, int] = {}
        self.created: set[int] = set()
        # Items created by this writer whose transitions an earlier batch wrote: a later batch checks the
        # database for them too, so a row repeated across batches of one file is found, not inserted twice.
        self.written: set[int] = set()

    def lookup(self, keys: Iterable[str]) -> dict[str, tuple[Any, ...]]:
        missing = [k for k in dict.fromkeys(keys) if k not in self.ids]
        rows: dict[str, tuple[Any, ...]] = {}
        for chunk in _chunks(missing):
            for row in self.session.execute(
                select(
                    WorkItem.id,
                    WorkItem.key,
                    WorkItem.type,
                    WorkItem.title,
                    WorkItem.created_at,
                    WorkItem.team,
                    WorkItem.parent,
                ).where(WorkItem.source == self.source, WorkItem.key.in_(chunk))
            ):
                rows[row.key] = tuple(row)
                self.ids[row.key] = row.id
        return rows

    def write(
        self, items: Sequence[WorkItemRecord], transitions: Sequence[TransitionRecord]
    ) -> ImportSummary:
        validate_work(items, transitions, source=self.source)
        latest: dict[str, WorkItemRecord] = {}
        for item in items:
            latest[item.id] = item
        existing = self.lookup(latest)
        missing = [t.item for t in transitions if t.item not in self.ids and t.item not in latest]
        if missing:
            self.lookup(missing)
            unknown = next((k for k in missing if k not in self.ids), None)
            if unknown is not None:
                k = next(i for i, t in enumerate(transitions) if t.item == unknown)
                raise FieldError(
                    f"transitions[{k}].item", f"a work item of source {self.source!r} ({unknown!r})"
                )

        new_rows, changes, unchanged = [], [], 0
        for key, item in latest.items():
            values = {
                "type": item.type,
                # PostgreSQL text cannot hold NUL; real Jira titles sometimes end in one.
                "title": (item.title or "").replace("\x00", "")[:1000],
                "created_at": item.created_at.astimezone(dt.UTC),
                "team": item.team,
                "parent": item.parent,
            }
            row = existing.get(key)
            if row is None and key in self.ids:
                changes.append({"id": self.ids[key], **values})
            elif row is None:
                new_rows.append({"source": self.source, "key": key, **values})
            else:
                stored = (row[2], row[3], as_utc(row[4]), row[5], row[6])
                if stored == tuple(values.values()):
                    unchanged += 1
                else:
                    changes.append({"id": row[0], **values})
        if changes:
            self.session.execute(update(WorkItem), changes)
        if new_rows:
            result = self.session.execute(
                insert(WorkItem).returning(WorkItem.id, WorkItem.key, sort_by_parameter_order=True), new_rows
            )
            for item_id, key in result:
                self.ids[key] = item_id
                self.created.add(item_id)

        by_item: dict[int, list[TransitionRecord]] = {}
        for t in transitions:
            by_item.setdefault(self.ids[t.item], []).append(t)
        present: set[tuple[int, dt.datetime, str, str]] = set()
        old = [i for i in by_item if i not in self.created or i in self.written]
        for chunk in _chunks(old):
            for row in self.session.execute(
                select(Transition.item_id, Transition.at, Transition.from_status, Transition.to_status).where(
                    Transition.item_id.in_(chunk)
                )
            ):
                present.add((row[0], as_utc(row[1]), row[2], row[3]))
        rows, seen = [], 0
        batch: set[tuple[int, dt.datetime, str, str]] = set()
        for item_id, ts in by_item.items():
            for t in ts:
                key4 = (item_id, t.at.astimezone(dt.UTC), t.from_status or "", t.to_status)
                if key4 in present or key4 in batch:
                    seen += 1
                    continue
                batch.add(key4)
                rows.append({"item_id": item_id, "at": key4[1], "from_status": key4[2], "to_status": key4[3]})
        if rows:
            # The table's Core insert (an executemany), not the ORM's bulk path: no per-row ORM bookkeeping.
            self.session.execute(insert(TRANSITIONS), rows)
        self.written.update(i for i in by_item if i in self.created)
        return ImportSummary(
            source=self.source,
            items_created=len(new_rows),
            items_updated=len(changes),
            items_unchanged=unchanged,
            transitions_added=len(rows),
            transitions_present=seen,
        )


def upsert_work(
    session: Session,
    items: Sequence[WorkItemRecord],
    transitions: Sequence[TransitionRecord],
    *,
    source: str,
) -> ImportSummary:
    """Store `items` and `transitions` of one `source`, idempotently by natural key (source, item key).

    Items are created or updated; transitions are added unless the same (item, at, from, to) is stored.
    Everything is validated before anything is written; a bad record raises a `missionos.errors` error
    and, with the caller's session rolled back, leaves the database as it was. The `source` argument is
    the one stored; the records' own `source` field is informational.
    """
    return WorkWriter(session, source).write(items, transitions)


# --- streams ----------------------------------------------------------------------------------------------


def parse_stream(doc: Any, *, source: str | None = None) -> StreamDefinition:
    """A stream definition from its YAML/JSON document form, with every field checked."""
    if not isinstance(doc, dict):
        raise InputError("expected a mapping with name, team, done and steps", source=source)
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise FieldError("name", "a stream name of 1 to 200 characters", source=source)
    team = doc.get("team")
    if team is not None and not isinstance(team, str):
        raise FieldError("team", "a team name", source=source)
    done = doc.get("done")
    if not isinstance(done, list) or not done or not all(isinstance(d, str) and d for d in done):
        raise FieldError("done", "a non-empty list of done status names", source=source)
    steps = doc.get("steps")
    if not isinstance(steps, list) or not steps:
        raise FieldError("steps", "a non-empty list of {name, statuses, kind}", source=source)
    entries = []
    seen: dict[str, str] = {d.casefold(): "done" for d in done}
    for k, raw in enumerate(steps):
        where = f"steps[{k}]"
        if not isinstance(raw, dict):
            raise FieldError(where, "a mapping {name, statuses, kind}", source=source)
        step = raw.get("name")
        if not isinstance(step, str) or not step.strip():
            raise FieldError(f"{where}.name", "a step name", source=source)
        statuses = raw.get("statuses")
        if isinstance(statuses, str):
            statuses = [statuses]
        if (
            not isinstance(statuses, list)
            or not statuses
            or not all(isinstance(s, str) and s for s in statuses)
        ):
            raise FieldError(f"{where}.statuses", "a non-empty list of status names", source=source)
        kind = raw.get("kind", "active")
        if kind not in STEP_KINDS:
            raise FieldError(f"{where}.kind", "active or wait", source=source)
        for status in statuses:
            if status.casefold() in seen:
                raise FieldError(
                    f"{where}.statuses",
                    f"each status once in the stream ({status!r} is repeated)",
                    source=source,
                )
            seen[status.casefold()] = step
        entries.append(StreamEntry(step, tuple(statuses), kind))
    names = [e.name for e in entries]
    for k, entry in enumerate(entries):
        if entry.name in names[:k] and names[k - 1] != entry.name:
            raise FieldError(
                f"steps[{k}].name", f"the entries of step {entry.name!r} next to each other", source=source
            )
    description = doc.get("description", "")
    return StreamDefinition(
        name=name.strip(),
        team=team,
        done=tuple(done),
        entries=tuple(entries),
        description=description if isinstance(description, str) else "",
    )


def read_stream_file(path: Path) -> StreamDefinition:
    """Parse a stream file (YAML); errors name the file and the field."""
    try:
        doc = safeload.load(path.read_text(encoding="utf-8"), source=str(path))
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            f"not valid YAML: {getattr(exc, 'problem', exc)}",
            source=str(path),
            line=mark.line + 1 if mark is not None else None,
        ) from None
    return parse_stream(doc, source=str(path))


def apply_stream(session: Session, stream: StreamDefinition) -> str:
    """Create or replace the stream named `stream.name`; returns 'created', 'updated' or 'unchanged'."""
    row = session.scalar(select(Stream).where(Stream.name == stream.name))
    definition = stream.as_dict()
    if row is None:
        session.add(Stream(name=stream.name, team=stream.team, definition=definition, updated_at=utcnow()))
        session.flush()
        return "created"
    if row.definition == definition and row.team == stream.team:
        return "unchanged"
    row.team, row.definition, row.updated_at = stream.team, definition, utcnow()
    session.flush()
    return "updated"


def _definition(doc: dict[str, Any]) -> StreamDefinition:
    return parse_stream(doc)


def list_streams(session: Session) -> list[StreamDefinition]:
    return [_definition(r.definition) for r in session.scalars(select(Stream).order_by(Stream.name))]


def get_stream(session: Session, name: str) -> StreamDefinition:
    row = session.scalar(select(Stream).where(Stream.name == name))
    if row is None:
        raise NotFoundError("value stream", name)
    return _definition(row.definition)


# --- loading records --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedItem:
    """A stored item with its database id and its transitions, oldest first."""

    db_id: int
    record: WorkItemRecord
    transitions: tuple[TransitionRecord, ...]


def _team_filter(team: str | None) -> Any:
    return func.lower(WorkItem.team) == team.lower() if team else True


def load_items(session: Session, team: str | None) -> list[LoadedItem]:
    """Every work item of `team` (all items when None) with its transitions, read with two queries."""
    items: dict[int, WorkItemRecord] = {}
    for row in session.execute(
        select(
            WorkItem.id,
            WorkItem.key,
            WorkItem.type,
            WorkItem.title,
            WorkItem.created_at,
            WorkItem.team,
            WorkItem.parent,
            WorkItem.source,
        ).where(_team_filter(team))
    ):
        items[row[0]] = WorkItemRecord(row[1], row[2], row[3], as_utc(row[4]), row[5], row[6], row[7])
    grouped: dict[int, list[TransitionRecord]] = {i: [] for i in items}
    # Plain SQL with untyped columns: SQLite hands back ISO strings, parsed here in C by fromisoformat,
    # which is several times faster than per-row type processing on a million rows.
    where = "WHERE lower(i.team) = :team" if team else ""
    query = text(
        "SELECT t.item_id, t.from_status, t.to_status, t.at FROM flow_transition t "
        f"JOIN flow_work_item i ON i.id = t.item_id {where} ORDER BY t.item_id, t.at"
    )
    utc, parse = dt.UTC, dt.datetime.fromisoformat
    for item_id, from_status, to_status, at in session.execute(query, {"team": (team or "").lower()}):
        if isinstance(at, str):
            at = parse(at)
        at = at.replace(tzinfo=utc) if at.tzinfo is None else at
        grouped[item_id].append(TransitionRecord(items[item_id].id, from_status or None, to_status, at))
    return [LoadedItem(i, items[i], tuple(grouped[i])) for i in items]


def _epoch(session: Session, column: str) -> str:
    """SQL for a stored time: as stored on SQLite (a UTC 'YYYY-MM-DD HH:MM:SS.ffffff' string, turned into
    seconds by `_seconds`, which is faster there than SQL date functions), POSIX seconds on PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        return column
    return f"CAST(EXTRACT(EPOCH FROM {column}) AS DOUBLE PRECISION)"


_NAIVE_EPOCH = dt.datetime(1970, 1, 1)


def _seconds(value: Any) -> float:
    """POSIX seconds of what `_epoch` selected; equal to `datetime.timestamp()` of the stored time."""
    if isinstance(value, str):
        return (dt.datetime.fromisoformat(value) - _NAIVE_EPOCH).total_seconds()
    if isinstance(value, dt.datetime):
        return as_utc(value).timestamp()
    return float(value)


def _flow_rows(
    session: Session, stream: StreamDefinition, index: metrics.StreamIndex, window: Window | None
) -> tuple[Sequence[Any], Sequence[Any]]:
    """The stream's items (id, key, type, title, source, team, parent, created seconds) and their moves
    (item id, from, to, seconds) in time order, read as plain rows.

    With a window, only the items that can count in it: created before its end, and not done for good
    before its start (an item whose last move, before the window, went into a done status is left out).
    """
    team = stream.team
    params: dict[str, Any] = {"team": (team or "").lower()}
    where = ["lower(i.team) = :team"] if team else []
    binds = []
    if window is not None:
        where.append("i.created_at < :until")
        params["until"] = window.until
        binds.append(bindparam("until", type_=DateTime(timezone=True)))
        index_done = [
            status
            for (status,) in session.execute(text("SELECT DISTINCT to_status FROM flow_transition"))
            if index.classify(status)[1] == "done"
        ]
        if index_done:
            where.append(
                "NOT EXISTS (SELECT 1 FROM flow_transition d WHERE d.item_id = i.id AND d.at < :since "
                "AND d.to_status IN :done AND NOT EXISTS (SELECT 1 FROM flow_transition e "
                "WHERE e.item_id = d.item_id AND e.at >= d.at AND e.id <> d.id))"
            )
            params["since"], params["done"] = window.since, index_done
            binds += [
                bindparam("since", type_=DateTime(timezone=True)),
                bindparam("done", expanding=True),
            ]
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    items_sql = (
        "SELECT i.id, i.key, i.type, i.title, i.source, i.team, i.parent, "
        f"{_epoch(session, 'i.created_at')} FROM flow_work_item i {clause}"
    )
    moves_sql = (
        f"SELECT t.item_id, t.from_status, t.to_status, {_epoch(session, 't.at')} FROM flow_transition t "
        f"WHERE t.item_id IN (SELECT i.id FROM flow_work_item i {clause}) ORDER BY t.item_id, t.at"
    )
    return _fetch(session, text(items_sql).bindparams(*binds), params), _fetch(
        session, text(moves_sql).bindparams(*binds), params
    )


def _fetch(session: Session, statement: Any, params: dict[str, Any]) -> list[Any]:
    """All rows as the driver's plain tuples (no Row objects: this is the hot path of a large stream)."""
    result = cast("CursorResult[Any]", session.execute(statement, params))
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large stream's plain tuples are built and summed.

    They make no reference cycles, and the collector's passes over millions of new tuples cost more than
    the arithmetic; collection resumes (if it was on) when the block ends.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def stream_flows(
    session: Session, stream: StreamDefinition, window: Window | None = None
) -> list[tuple[WorkItemRecord, metrics.ItemFlow]]:
    """The per-item figures of the items of the stream's team (with a window, of those that can count in
    it), read as plain rows and computed on POSIX seconds."""
    with gc_paused():
        return _stream_flows(session, stream, window)


def _stream_flows(
    session: Session, stream: StreamDefinition, window: Window | None
) -> list[tuple[WorkItemRecord, metrics.ItemFlow]]:
    index = metrics.StreamIndex(stream)
    item_rows, move_rows = _flow_rows(session, stream, index, window)
    moves: dict[int, tuple[Any, Any, list[float]]] = {}
    parse, epoch = dt.datetime.fromisoformat, _NAIVE_EPOCH
    text_times = bool(move_rows) and isinstance(move_rows[0][3], str)
    for item_id, group in groupby(move_rows, key=itemgetter(0)):
        _ids, froms, tos, ats = zip(*group, strict=True)
        if text_times:
            moves[item_id] = (froms, tos, [(parse(at) - epoch).total_seconds() for at in ats])
        else:
            moves[item_id] = (froms, tos, list(ats))
    out = []
    utc, moment = dt.UTC, dt.datetime.fromtimestamp
    for item_id, key, kind, title, source, team, parent, stored in item_rows:
        created = _seconds(stored)
        record = WorkItemRecord(key, kind, title, moment(created, utc), team, parent, source)
        froms, tos, begins = moves.get(item_id, ((), (), []))
        out.append((record, metrics.flow_parts(record, created, froms, tos, begins, index)))
    return out


def stream_metrics(session: Session, name: str, window: Window) -> metrics.StreamFigures:
    """`flow metrics`: the stream figures of metrics.md §2 over the items done in `window`."""
    stream = get_stream(session, name)
    flows = [f for _, f in stream_flows(session, stream, window)]
    with gc_paused():
        return metrics.stream_figures(flows, stream, window)


def stream_glance(
    session: Session, name: str, window: Window
) -> tuple[metrics.StreamFigures, list[metrics.WeekFigures]]:
    """The stream figures of `window` and its weeks, from one read of the stream's items (the overview)."""
    stream = get_stream(session, name)
    flows = [f for _, f in stream_flows(session, stream, window)]
    with gc_paused():
        return metrics.stream_figures(flows, stream, window), metrics.weekly(flows, window, stream.steps)


@dataclass(frozen=True)
class StreamView:
    """Everything the stream page draws, computed in one pass over the stream's items."""

    stream: StreamDefinition
    figures: metrics.StreamFigures
    weeks: list[metrics.WeekFigures]
    cfd_days: list[dt.datetime]
    cfd: dict[str, list[int]]
    done: list[metrics.ItemFlow]
    load_days: list[dt.datetime]
    load: list[int]

    def cfd_changes(self) -> list[tuple[str, int, int]]:
        """Each status of the stream's steps (neither backlog nor done), with its count on the window's first
        and last day, the one that grew most first (a band that widens is work piling up: metrics.md §2)."""
        named = {s for e in self.stream.entries for s in e.statuses} - set(self.stream.done)
        rows = [(s, c[0], c[-1]) for s, c in self.cfd.items() if c and s in named]
        return sorted(rows, key=lambda r: (-(r[2] - r[1]), r[0]))

    def cfd_done(self) -> int:
        """Items that reached a done status during the window (the done band's growth)."""
        return sum(c[-1] - c[0] for s, c in self.cfd.items() if c and s in set(self.stream.done))


def stream_view(session: Session, name: str, window: Window) -> StreamView:
    stream = get_stream(session, name)
    flows = [f for _, f in stream_flows(session, stream)]
    with gc_paused():
        return _view(stream, flows, window)


def _view(stream: StreamDefinition, flows: list[metrics.ItemFlow], window: Window) -> StreamView:
    days, cfd = metrics.cumulative_flow(flows, stream, window)
    samples = metrics.day_ends(window)
    return StreamView(
        stream=stream,
        figures=metrics.stream_figures(flows, stream, window),
        weeks=metrics.weekly(flows, window, stream.steps),
        cfd_days=days,
        cfd=cfd,
        done=sorted(metrics.done_in(flows, window), key=lambda f: f.done or 0.0),
        load_days=days,
        load=metrics.load_series(flows, samples),
    )


@dataclass(frozen=True)
class ItemRow:
    """One item of a stream as listed on its items page."""

    source: str
    key: str
    type: str
    title: str
    status: str | None
    start: dt.datetime | None
    done: dt.datetime | None
    flow_time_days: float | None
    efficiency: float | None
    backward_moves: int


def _moment(ts: float | None) -> dt.datetime | None:
    return None if ts is None else dt.datetime.fromtimestamp(ts, dt.UTC)


def stream_items(
    session: Session, name: str, *, state: str = "all", step: str | None = None
) -> list[ItemRow]:
    """The stream's items with their per-item figures; `state` is all, done or wip; `step` keeps visitors."""
    stream = get_stream(session, name)
    k = stream.steps.index(step) if step in stream.steps else None
    rows = []
    for record, f in stream_flows(session, stream):
        if state == "done" and f.done is None:
            continue
        if state == "wip" and (f.start is None or f.done is not None):
            continue
        if k is not None and not f.visited[k]:
            continue
        last = f.intervals[-1].status if f.intervals else None
        rows.append(
            ItemRow(
                source=record.source,
                key=record.id,
                type=record.type,
                title=record.title,
                status=last,
                start=_moment(f.start),
                done=_moment(f.done),
                flow_time_days=None if f.flow_time is None else f.flow_time / metrics.DAY,
                efficiency=f.efficiency,
                backward_moves=sum(f.backward),
            )
        )
    rows.sort(key=lambda r: (r.done is None, r.done or r.start or dt.datetime.max.replace(tzinfo=dt.UTC)))
    return rows


@dataclass(frozen=True)
class ItemDetail:
    record: WorkItemRecord
    transitions: tuple[TransitionRecord, ...]
    time_in_status_hours: dict[str, float]
    flows: dict[str, metrics.ItemFlow]


def item_detail(session: Session, source: str, key: str) -> ItemDetail:
    """One item with its transitions, time in each status, and its figures in every stream of its team."""
    row = session.scalar(select(WorkItem).where(WorkItem.source == source, WorkItem.key == key))
    if row is None:
        raise NotFoundError("work item", f"{source}:{key}")
    record = WorkItemRecord(
        row.key, row.type, row.title, as_utc(row.created_at), row.team, row.parent, row.source
    )
    transitions = tuple(
        TransitionRecord(key, r.from_status or None, r.to_status, as_utc(r.at))
        for r in session.scalars(
            select(Transition).where(Transition.item_id == row.id).order_by(Transition.at, Transition.id)
        )
    )
    streams = [
        s for s in list_streams(session) if s.team is None or (row.team or "").lower() == s.team.lower()
    ]
    flows = {s.name: metrics.item_flow(record, transitions, metrics.StreamIndex(s)) for s in streams}
    hours: dict[str, float] = {}
    for i, t in enumerate(transitions):
        if i + 1 < len(transitions):
            span = (transitions[i + 1].at - t.at).total_seconds() / 3600
            hours[t.to_status] = hours.get(t.to_status, 0.0) + span
    return ItemDetail(record, transitions, hours, flows)


def streams_of_team(session: Session, team: str) -> list[StreamDefinition]:
    return [s for s in list_streams(session) if s.team is not None and s.team.lower() == team.lower()]


# --- team limits -------------------------------------------------------------------------------------------


def require_stream(session: Session, who: Principal | None, name: str, role: str = "viewer") -> None:
    """ForbiddenError unless `who` holds `role` for the team of value stream `name` (NotFoundError: none)."""
    if who is None:
        return
    limits.require_team(who, get_stream(session, name).team, role)


def visible_streams(session: Session, who: Principal | None) -> list[StreamDefinition]:
    """The value streams of `who`'s teams (and those of no team)."""
    return limits.filter_teams(who, list_streams(session))
