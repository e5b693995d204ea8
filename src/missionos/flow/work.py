"""Writing work items: their validation, and the writer that stores one source's items and transitions.

Importers that stream a large file write batch after batch through one `WorkWriter`; `upsert_work` is the
one-batch form the webhook receivers, the connectors and the demo call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from missionos.errors import FieldError
from missionos.flow.models import Transition, WorkItem
from missionos.flow.records import WORK_TYPES, ImportSummary, TransitionRecord, WorkItemRecord
from missionos.times import as_utc

CHUNK = 500
TRANSITIONS = cast(Table, Transition.__table__)


def _chunks(seq: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for k in range(0, len(seq), size):
        yield seq[k : k + size]


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
