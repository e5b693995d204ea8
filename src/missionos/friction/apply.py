"""Storing the register: blockers added, updated and cleared, and what a day of delay of a stream is worth.

Each write records its audit entry in the caller's transaction; `apply_register` applies a register document
whole, or nothing of it, once `missionos.friction.document` has checked every entry.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos import flow
from missionos.accounts import audit
from missionos.errors import ConflictError, FieldError, InputError, Problem
from missionos.friction.document import BlockerIn, _fail, _stream_steps, check_blocker
from missionos.friction.models import Blocker, StreamValue
from missionos.friction.views import _row
from missionos.times import as_utc


def _snapshot(b: Blocker) -> dict[str, Any]:
    return {
        "title": b.title,
        "owner": b.owner,
        "teams": list(b.teams),
        "stream": b.stream,
        "step": b.step,
        "raised_at": as_utc(b.raised_at).isoformat(),
        "decision": b.decision,
        "effort_days": b.effort_days,
        "wait_days": b.wait_days,
        "cleared_at": as_utc(b.cleared_at).isoformat() if b.cleared_at else None,
    }


def _store(session: Session, item: BlockerIn, actor: str, *, replace: bool) -> str:
    """Insert `item`, or update the blocker of that key when `replace`; returns what happened."""
    found = session.scalars(select(Blocker).where(Blocker.key == item.key)).one_or_none()
    if found is not None and not replace:
        raise ConflictError(f"a blocker with key {item.key!r} exists; choose another key")
    before = _snapshot(found) if found is not None else None
    row = found or Blocker(key=item.key, clearance="")
    row.title, row.owner, row.teams = item.title, item.owner, list(item.teams)
    row.stream, row.step, row.raised_at = item.stream, item.step, item.raised_at
    row.decision, row.effort_days, row.wait_days = item.decision, item.effort_days, item.wait_days
    if found is None:
        session.add(row)
    session.flush()
    after = _snapshot(row)
    if before == after:
        return "unchanged"
    action = "friction.blocker.update" if found is not None else "friction.blocker.add"
    audit.record(
        session, actor=actor, action=action, kind="blocker", key=item.key, before=before, after=after
    )
    return "updated" if found is not None else "added"


def add_blocker(session: Session, doc: dict[str, Any], *, actor: str) -> str:
    """Record a new blocker from its fields (see `FIELDS`); refuses a key already used."""
    problems: list[Problem] = []
    item = check_blocker(doc, at="", streams=_stream_steps(session), problems=problems)
    _fail(problems)
    assert item is not None
    _store(session, item, actor, replace=False)
    return item.key


def clear_blocker(
    session: Session, key: str, *, note: str, actor: str, at: dt.datetime | None = None
) -> None:
    """Mark a blocker cleared, with a record of how; clearing twice is refused."""
    row = _row(session, key)
    if row.cleared_at is not None:
        raise ConflictError(f"blocker {key!r} was cleared on {row.cleared_at.date().isoformat()}")
    if not note.strip():
        raise FieldError("note", "a record of how the blocker was cleared")
    moment = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    if moment < as_utc(row.raised_at):
        raise FieldError("at", "a time after the blocker was raised")
    before = _snapshot(row)
    row.cleared_at, row.cleared_by, row.clearance = moment, actor, note.strip()
    session.flush()
    audit.record(
        session, actor=actor, action="friction.blocker.clear", kind="blocker", key=key,
        before=before, after={**_snapshot(row), "clearance": row.clearance},
    )  # fmt: skip


def set_stream_value(
    session: Session, stream: str, value_per_day: float, *, currency: str = "USD", actor: str
) -> None:
    """Set what a day of delay of one item of `stream` is worth."""
    flow.get_stream(session, stream)  # a stream that exists, or NotFoundError naming it
    if isinstance(value_per_day, bool) or not value_per_day >= 0 or value_per_day > 1e12:
        raise FieldError("value_per_day", "an amount of 0 or more")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise FieldError("currency", "an ISO 4217 currency code such as USD or EUR")
    row = session.scalars(select(StreamValue).where(StreamValue.stream == stream)).one_or_none()
    before = None if row is None else {"value_per_day": row.value_per_day, "currency": row.currency}
    if before == {"value_per_day": float(value_per_day), "currency": currency}:
        return
    if row is None:
        row = StreamValue(stream=stream, value_per_day=value_per_day, currency=currency)
        session.add(row)
    row.value_per_day, row.currency, row.updated_at = float(value_per_day), currency, dt.datetime.now(dt.UTC)
    session.flush()
    audit.record(
        session, actor=actor, action="friction.value.set", kind="stream-value", key=stream,
        before=before, after={"value_per_day": row.value_per_day, "currency": currency},
    )  # fmt: skip


def apply_register(session: Session, doc: Any, *, actor: str, source: str | None = None) -> dict[str, int]:
    """Apply a register document (`values:` per stream, `blockers:` list) whole, or nothing of it.

    Blockers are matched by key: new ones are added and changed ones updated; clearing stays a deliberate act
    (`clear_blocker`). Every problem is reported at once."""
    problems: list[Problem] = []
    if not isinstance(doc, dict) or set(doc) - {"values", "blockers"}:
        raise InputError("expected a mapping with `values` and/or `blockers`", source=source)
    values = doc.get("values") or {}
    if not isinstance(values, dict):
        problems.append(Problem("values", "a mapping of stream name to {value_per_day, currency}"))
        values = {}
    steps = _stream_steps(session)
    checked_values: list[tuple[str, float, str]] = []
    for stream, spec in values.items():
        at = f"values.{stream}"
        if steps(str(stream)) is None:
            problems.append(Problem(at, f"a value stream that exists; there is none named {stream!r}"))
            continue
        if not isinstance(spec, dict) or not isinstance(spec.get("value_per_day"), int | float):
            problems.append(Problem(f"{at}.value_per_day", "an amount of 0 or more"))
            continue
        currency = spec.get("currency", "USD")
        if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
            problems.append(Problem(f"{at}.currency", "an ISO 4217 currency code such as USD"))
            continue
        if spec["value_per_day"] < 0:
            problems.append(Problem(f"{at}.value_per_day", "an amount of 0 or more"))
            continue
        checked_values.append((str(stream), float(spec["value_per_day"]), currency))
    blockers = doc.get("blockers") or []
    if not isinstance(blockers, list):
        problems.append(Problem("blockers", "a list of blockers"))
        blockers = []
    items: list[BlockerIn] = []
    for k, entry in enumerate(blockers):
        item = check_blocker(entry, at=f"blockers[{k}].", streams=steps, problems=problems)
        if item is not None:
            items.append(item)
    keys = [i.key for i in items]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(Problem(f"blockers[{keys.index(key)}].key", f"a key used once; {key!r} repeats"))
    _fail(problems, source)
    counts = {"added": 0, "updated": 0, "unchanged": 0, "values": 0}
    for stream, value, currency in checked_values:
        set_stream_value(session, stream, value, currency=currency, actor=actor)
        counts["values"] += 1
    for item in items:
        counts[_store(session, item, actor, replace=True)] += 1
    return counts
