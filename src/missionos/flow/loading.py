"""Loading stored work items and their flows: every item of a team with its transitions, and the per-item
figures of a stream's items, read as plain rows (the hot path of a large stream) with the garbage collector
paused while they are built."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import CursorResult, DateTime, bindparam, func, select, text
from sqlalchemy.orm import Session

from missionos.flow import metrics
from missionos.flow.models import WorkItem
from missionos.flow.records import StreamDefinition, TransitionRecord, WorkItemRecord
from missionos.measures import Window
from missionos.times import as_utc


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
