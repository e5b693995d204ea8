"""Server-side sticky bucketing: the assignment documents a GrowthBook StickyBucketService keeps.

A document belongs to one attribute value (`{"attributeName": "id", "attributeValue": "u1", "assignments":
{"<experiment>__<bucketVersion>": "<variation key>"}}`) and is stored as one row of
`experiments_sticky_bucket`. OFREP evaluation reads the documents of the user's own attribute values, and
writes back only what changed, merged into what is stored in one statement, so two requests for the same user
that assign different experiments at the same moment both keep their assignment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, and_, cast, delete, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from missionos.accounts import audit
from missionos.errors import FieldError, NotFoundError
from missionos.experiments.models import StickyBucket
from missionos.store import utcnow
from missionos.times import as_utc

Doc = dict[str, Any]
MAX_VALUE = 500  # the longest attribute value a document can be stored under


def doc_key(attribute: str, value: str) -> str:
    """The key the evaluator files a document under: `attribute||value`."""
    return f"{attribute}||{value}"


@dataclass(frozen=True)
class StickyDocument:
    attribute: str
    value: str
    assignments: dict[str, str]
    updated_at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        """GrowthBook's document shape, with when it last changed."""
        return {
            "attributeName": self.attribute,
            "attributeValue": self.value,
            "assignments": dict(sorted(self.assignments.items())),
            "updatedAt": self.updated_at.isoformat(),
        }


def _document(row: StickyBucket) -> StickyDocument:
    return StickyDocument(
        row.attribute_name, row.attribute_value, dict(row.assignments or {}), as_utc(row.updated_at)
    )


def documents(session: Session, keys: Iterable[tuple[str, str]]) -> dict[str, Doc]:
    """The stored documents of these (attribute, value) pairs, keyed `attribute||value` as the evaluator
    expects (`EvalContext.sticky_docs`); pairs with no document are absent."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = session.execute(
        select(StickyBucket.attribute_name, StickyBucket.attribute_value, StickyBucket.assignments).where(
            or_(
                *(
                    and_(StickyBucket.attribute_name == name, StickyBucket.attribute_value == value)
                    for name, value in wanted
                )
            )
        )
    )
    return {
        doc_key(name, value): {
            "attributeName": name,
            "attributeValue": value,
            "assignments": dict(found or {}),
        }
        for name, value, found in rows
    }


def snapshot(docs: Mapping[str, Doc]) -> dict[str, dict[str, str]]:
    """Each document's assignments as they are now, to tell later what evaluation added or changed."""
    return {key: dict(doc.get("assignments") or {}) for key, doc in docs.items()}


def changes(before: Mapping[str, Mapping[str, str]], after: Mapping[str, Doc]) -> list[Doc]:
    """The documents evaluation touched, each with only its new or changed assignments."""
    found = []
    for key, doc in after.items():
        old = before.get(key, {})
        new = {k: v for k, v in (doc.get("assignments") or {}).items() if old.get(k) != v}
        if new:
            found.append(
                {
                    "attributeName": doc["attributeName"],
                    "attributeValue": doc["attributeValue"],
                    "assignments": new,
                }
            )
    return sorted(found, key=lambda d: (d["attributeName"], d["attributeValue"]))


def save(session: Session, docs: list[Doc]) -> int:
    """Merge these assignments into the stored documents (inserting those that do not exist) in the caller's
    transaction; returns how many documents were written.

    One INSERT … ON CONFLICT DO UPDATE whose update merges the stored assignments with the new ones
    (PostgreSQL `jsonb ||`, SQLite `json_patch`), so the merge reads the row as it is when the write lock is
    held: a concurrent request that stored another experiment's assignment for the same user meanwhile keeps
    it. Rows
    are written in (attribute, value) order, so two requests touching the same documents cannot deadlock.
    """
    if not docs:
        return 0
    now = utcnow()
    rows = [
        {
            "attribute_name": d["attributeName"],
            "attribute_value": d["attributeValue"],
            "assignments": dict(d["assignments"]),
            "updated_at": now,
        }
        for d in sorted(docs, key=lambda d: (d["attributeName"], d["attributeValue"]))
    ]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        pg = pg_insert(StickyBucket).values(rows)
        merged: Any = cast(
            cast(StickyBucket.assignments, JSONB).op("||")(cast(pg.excluded.assignments, JSONB)), JSON
        )
        session.execute(
            pg.on_conflict_do_update(
                index_elements=["attribute_name", "attribute_value"],
                set_={"assignments": merged, "updated_at": pg.excluded.updated_at},
            )
        )
    elif dialect == "sqlite":
        lite = sqlite_insert(StickyBucket).values(rows)
        merged = func.json_patch(StickyBucket.assignments, lite.excluded.assignments)
        session.execute(
            lite.on_conflict_do_update(
                index_elements=["attribute_name", "attribute_value"],
                set_={"assignments": merged, "updated_at": lite.excluded.updated_at},
            )
        )
    else:  # pragma: no cover - Mission OS stores in SQLite or PostgreSQL
        for row in rows:
            found = session.scalar(
                select(StickyBucket)
                .where(
                    StickyBucket.attribute_name == row["attribute_name"],
                    StickyBucket.attribute_value == row["attribute_value"],
                )
                .with_for_update()
            )
            if found is None:
                session.add(StickyBucket(**row))
            else:
                found.assignments = {**(found.assignments or {}), **row["assignments"]}
                found.updated_at = now
    return len(rows)


def list_documents(
    session: Session, *, attribute: str | None = None, value: str | None = None, limit: int | None = None
) -> list[StickyDocument]:
    """Stored documents, by attribute and value, optionally of one attribute and/or one value."""
    query = select(StickyBucket).order_by(StickyBucket.attribute_name, StickyBucket.attribute_value)
    if attribute:
        query = query.where(StickyBucket.attribute_name == attribute)
    if value is not None:
        query = query.where(StickyBucket.attribute_value == value)
    if limit is not None:
        if limit < 1:
            raise FieldError("limit", "a positive number of documents")
        query = query.limit(limit)
    return [_document(r) for r in session.scalars(query)]


def clear(
    session: Session, attribute: str, value: str, *, actor: str, experiment: str | None = None
) -> StickyDocument:
    """Forget a user's sticky assignments (all of them, or one experiment's at every bucket version), so
    their next evaluation buckets them afresh; audited as a write. Returns the document as it was."""
    if not attribute:
        raise FieldError("attribute", "an attribute name, e.g. id")
    if not value:
        raise FieldError("value", "the attribute's value, e.g. user-1")
    found = session.scalar(
        select(StickyBucket)
        .where(StickyBucket.attribute_name == attribute, StickyBucket.attribute_value == value)
        .with_for_update()
    )
    if found is None:
        raise NotFoundError("sticky-bucket document", doc_key(attribute, value))
    before = _document(found)
    if experiment is None:
        remaining: dict[str, str] = {}
    else:
        remaining = {k: v for k, v in before.assignments.items() if k.rpartition("__")[0] != experiment}
        if remaining == before.assignments:
            raise NotFoundError(f"assignment in {doc_key(attribute, value)} for the experiment", experiment)
    if remaining:
        found.assignments = remaining
        found.updated_at = utcnow()
    else:
        session.execute(delete(StickyBucket).where(StickyBucket.id == found.id))
    audit.record(
        session,
        actor=actor,
        action="clear",
        kind="sticky-bucket",
        key=doc_key(attribute, value),
        before={"assignments": before.assignments},
        after={"assignments": remaining} if remaining else None,
    )
    return before
