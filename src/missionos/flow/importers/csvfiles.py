"""`flow import csv ITEMS.csv TRANSITIONS.csv`: the format for trackers with no connector yet.

Items: `id,type,title,created_at,team` (and optionally `parent`).
Transitions: `item,from_status,to_status,at`.
Both files are streamed in chunks into one transaction, so a bad line rejects the whole import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy.orm import Session

from missionos import recordfiles
from missionos.errors import InputError
from missionos.flow.importers.times import parse_time
from missionos.flow.records import ImportSummary, TransitionRecord, WorkItemRecord
from missionos.flow.typemap import TypeMap
from missionos.flow.work import WorkWriter

ITEM_COLUMNS = ("id", "type", "title", "created_at", "team")
TRANSITION_COLUMNS = ("item", "from_status", "to_status", "at")
CHUNK = 50_000


def count_lines(path: Path) -> int:
    """Data lines of a CSV file (for the progress bar), read in blocks."""
    lines = 0
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            lines += block.count(b"\n")
    return max(lines - 1, 0)


def _rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of a CSV file with the `required` columns (`missionos.recordfiles`)."""
    return recordfiles.iter_records(path, fmt="csv", required=required)


def read_items(path: Path, types: TypeMap, *, tz: dt.tzinfo | None, source: str) -> Iterator[WorkItemRecord]:
    name = str(path)
    for line, row in _rows(path, ITEM_COLUMNS):
        key = (row.get("id") or "").strip()
        if not key:
            raise InputError("id: expected an item key", source=name, line=line)
        yield WorkItemRecord(
            id=key,
            type=types(row.get("type")),
            title=row.get("title") or "",
            created_at=parse_time(row.get("created_at"), where="created_at", source=name, line=line, tz=tz),
            team=(row.get("team") or "").strip() or None,
            parent=(row.get("parent") or "").strip() or None,
            source=source,
        )


def read_transitions(path: Path, *, tz: dt.tzinfo | None) -> Iterator[tuple[int, TransitionRecord]]:
    name = str(path)
    for line, row in _rows(path, TRANSITION_COLUMNS):
        item = (row.get("item") or "").strip()
        to_status = (row.get("to_status") or "").strip()
        if not item:
            raise InputError("item: expected the key of a work item", source=name, line=line)
        if not to_status:
            raise InputError("to_status: expected a status name", source=name, line=line)
        yield (
            line,
            TransitionRecord(
                item=item,
                from_status=(row.get("from_status") or "").strip() or None,
                to_status=to_status,
                at=parse_time(row.get("at"), where="at", source=name, line=line, tz=tz),
            ),
        )


def import_csv(
    session: Session,
    items_path: Path,
    transitions_path: Path,
    *,
    source: str = "csv",
    types: TypeMap | None = None,
    tz: dt.tzinfo | None = None,
    advance: Callable[[int], None] = lambda _n: None,
) -> ImportSummary:
    """Import both files into `session` (one transaction, owned by the caller)."""
    types = types or TypeMap()
    writer = WorkWriter(session, source)
    summary = ImportSummary(source=source)
    batch: list[WorkItemRecord] = []
    for item in read_items(items_path, types, tz=tz, source=source):
        batch.append(item)
        if len(batch) >= CHUNK:
            summary += writer.write(batch, [])
            advance(len(batch))
            batch = []
    if batch:
        summary += writer.write(batch, [])
        advance(len(batch))
    moves: list[TransitionRecord] = []
    for line, move in read_transitions(transitions_path, tz=tz):
        if move.item not in writer.ids:
            writer.lookup([move.item])
            if move.item not in writer.ids:
                raise InputError(
                    f"item: {move.item!r} is not in {items_path.name} nor stored for source {source!r}",
                    source=str(transitions_path),
                    line=line,
                )
        moves.append(move)
        if len(moves) >= CHUNK:
            summary += writer.write([], moves)
            advance(len(moves))
            moves = []
    if moves:
        summary += writer.write([], moves)
        advance(len(moves))
    return ImportSummary(
        source=summary.source,
        items_created=summary.items_created,
        items_updated=summary.items_updated,
        items_unchanged=summary.items_unchanged,
        transitions_added=summary.transitions_added,
        transitions_present=summary.transitions_present,
        notes=types.notes(),
    )
