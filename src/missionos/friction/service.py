"""The friction register: record blockers, price them from flow data, clear them and measure the effect.

The CLI, the pages and the API all go through these functions; every write records its audit entry in the
caller's transaction. Flow figures are read through the flow context's public service only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos import flow, safeload
from missionos.accounts import audit
from missionos.errors import ConflictError, FieldError, InputError, NotFoundError, Problem
from missionos.friction.models import Blocker, StreamValue
from missionos.friction.pricing import Price, price, ranked
from missionos.measures import Window
from missionos.times import as_utc, parse_moment

KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
# Blockers are priced on the flow of the 90 days before now (or before they were cleared).
PRICE_WINDOW_DAYS = 90
FIELDS = {
    "key",
    "title",
    "owner",
    "teams",
    "stream",
    "step",
    "raised",
    "decision",
    "effort_days",
    "wait_days",
}


@dataclass(frozen=True)
class BlockerIn:
    """A validated blocker, ready to store."""

    key: str
    title: str
    owner: str
    teams: tuple[str, ...]
    stream: str
    step: str | None
    raised_at: dt.datetime
    decision: str
    effort_days: float
    wait_days: float | None


@dataclass(frozen=True)
class BlockerView:
    """A blocker as the register shows it: its record, its age, and its price."""

    key: str
    title: str
    owner: str
    teams: tuple[str, ...]
    stream: str
    step: str | None
    raised_at: dt.datetime
    decision: str
    cleared_at: dt.datetime | None
    cleared_by: str | None
    clearance: str
    age_days: float
    price: Price

    @property
    def status(self) -> str:
        return "cleared" if self.cleared_at else "open"

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "owner": self.owner,
            "teams": list(self.teams),
            "stream": self.stream,
            "step": self.step,
            "raised_at": self.raised_at.isoformat(),
            "decision": self.decision,
            "status": self.status,
            "cleared_at": self.cleared_at.isoformat() if self.cleared_at else None,
            "cleared_by": self.cleared_by,
            "clearance": self.clearance,
            "age_days": round(self.age_days, 1),
            "price": self.price.as_dict(),
        }


@dataclass(frozen=True)
class Effect:
    """The wait before a blocker's step in the `PRICE_WINDOW_DAYS` before it was cleared, and since."""

    step: str
    before_wait_hours: float | None
    before_items: int
    after_wait_hours: float | None
    after_items: int

    @property
    def change(self) -> float | None:
        """The relative change of the wait (−0.8: cut by 80%), or None until both sides have items."""
        if not self.before_wait_hours or self.after_wait_hours is None or not self.after_items:
            return None
        return self.after_wait_hours / self.before_wait_hours - 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "before": {"wait_hours": self.before_wait_hours, "items": self.before_items},
            "after": {"wait_hours": self.after_wait_hours, "items": self.after_items},
            "change": self.change,
        }


@dataclass(frozen=True)
class WhatIf:
    """The stream's lead time today, and with the wait before the blocker's step removed."""

    lead_time_hours: float
    without_hours: float

    def as_dict(self) -> dict[str, Any]:
        return {"lead_time_hours": self.lead_time_hours, "without_blocker_hours": self.without_hours}


@dataclass(frozen=True)
class BlockerDetail:
    view: BlockerView
    effect: Effect | None
    what_if: WhatIf | None

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.view.as_dict(),
            "effect": self.effect.as_dict() if self.effect else None,
            "what_if": self.what_if.as_dict() if self.what_if else None,
        }


# --- validation -------------------------------------------------------------------------------------------


def _moment(value: Any, field: str, problems: list[Problem]) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), dt.UTC)
    elif isinstance(value, str):
        try:
            return parse_moment(value, field=field)
        except FieldError as problem:
            problems.append(Problem(field, problem.expected))
            return None
    else:
        problems.append(Problem(field, "an ISO 8601 date or date-time, e.g. 2026-01-31"))
        return None
    if moment.tzinfo is None:
        problems.append(Problem(field, "a time with a UTC offset, e.g. 2026-01-31T09:00:00+00:00"))
        return None
    return moment.astimezone(dt.UTC)


def _text(doc: dict[str, Any], name: str, at: str, problems: list[Problem], *, limit: int) -> str:
    value = doc.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        problems.append(Problem(f"{at}{name}", f"a non-empty text of at most {limit} characters"))
        return ""
    return value.strip()


def _number(value: Any, field: str, problems: list[Problem], *, positive: bool) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        problems.append(Problem(field, "a number of days" + (" above 0" if positive else ", 0 or more")))
        return None
    if value < 0 or (positive and value == 0) or value > 36_500:
        problems.append(Problem(field, "a number of days" + (" above 0" if positive else ", 0 or more")))
        return None
    return float(value)


def check_blocker(
    doc: Any, *, at: str, streams: Callable[[str], Sequence[str] | None], problems: list[Problem]
) -> BlockerIn | None:
    """`doc` as a blocker, or None with what is wrong added to `problems` (every field at once).

    `streams(name)` gives a stream's step names, or None when there is no such stream."""
    if not isinstance(doc, dict):
        problems.append(Problem(at.rstrip(".") or "blocker", "a mapping of blocker fields"))
        return None
    before = len(problems)
    for name in sorted(set(doc) - FIELDS):
        problems.append(Problem(f"{at}{name}", f"one of the fields {', '.join(sorted(FIELDS))}"))
    key = doc.get("key")
    if not isinstance(key, str) or not KEY.fullmatch(key):
        problems.append(Problem(f"{at}key", "a key of lower-case letters, digits, '.', '_' or '-', e.g. cab"))
    title = _text(doc, "title", at, problems, limit=500)
    owner = _text(doc, "owner", at, problems, limit=200)
    stream = _text(doc, "stream", at, problems, limit=200)
    step = doc.get("step")
    steps = streams(stream) if stream else None
    if stream and steps is None:
        problems.append(Problem(f"{at}stream", f"a value stream that exists; there is none named {stream!r}"))
    if step is not None:
        if not isinstance(step, str) or not step.strip():
            problems.append(Problem(f"{at}step", "the name of a step of the stream"))
        elif steps is not None and step not in steps:
            problems.append(Problem(f"{at}step", f"a step of {stream}: {', '.join(steps)}"))
    teams = doc.get("teams", [])
    if isinstance(teams, str):
        teams = [teams]
    if not isinstance(teams, list) or not all(isinstance(t, str) and t.strip() for t in teams):
        problems.append(Problem(f"{at}teams", "a list of team names"))
        teams = []
    raised = _moment(doc.get("raised"), f"{at}raised", problems) if "raised" in doc else None
    if "raised" not in doc:
        problems.append(Problem(f"{at}raised", "the date the blocker was raised, e.g. 2026-01-31"))
    decision = doc.get("decision", "")
    if not isinstance(decision, str) or len(decision) > 2000:
        problems.append(Problem(f"{at}decision", "the decision needed, as text of at most 2000 characters"))
    effort = _number(doc.get("effort_days", 5), f"{at}effort_days", problems, positive=True)
    wait = doc.get("wait_days")
    wait_days = None if wait is None else _number(wait, f"{at}wait_days", problems, positive=False)
    if len(problems) > before or raised is None or effort is None:
        return None
    return BlockerIn(
        key=str(key),
        title=title,
        owner=owner,
        teams=tuple(t.strip() for t in teams),
        stream=stream,
        step=step.strip() if isinstance(step, str) else None,
        raised_at=raised,
        decision=str(decision).strip(),
        effort_days=float(effort),
        wait_days=wait_days,
    )


def _stream_steps(session: Session) -> Callable[[str], Sequence[str] | None]:
    known = {s.name: tuple(s.steps) for s in flow.list_streams(session)}
    return known.get


def _fail(problems: list[Problem], source: str | None = None) -> None:
    if problems:
        raise InputError("; ".join(str(p) for p in problems), source=source)


# --- writes -----------------------------------------------------------------------------------------------


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


def read_register_file(path: Path) -> Any:
    """The document of a register file (YAML or JSON), with the file named in any error."""
    text = safeload.read_text(path, what="a readable register file (YAML or JSON)", limit=5_000_000)
    return safeload.load_document(text, source=str(path), expected="YAML or JSON")[0]


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


# --- reads ------------------------------------------------------------------------------------------------


def _row(session: Session, key: str) -> Blocker:
    row = session.scalars(select(Blocker).where(Blocker.key == key)).one_or_none()
    if row is None:
        raise NotFoundError("blocker", key)
    return row


class _Figures:
    """Stream figures over a window, read once per (stream, window) however many blockers ask."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: dict[tuple[str, dt.datetime, dt.datetime], Any] = {}

    def __call__(self, stream: str, window: Window) -> Any:
        slot = (stream, window.since, window.until)
        if slot not in self.known:
            try:
                self.known[slot] = flow.stream_metrics(self.session, stream, window)
            except NotFoundError:
                self.known[slot] = None
        return self.known[slot]


def _step(figures: Any, step: str | None) -> Any:
    if figures is None or step is None:
        return None
    return next((s for s in figures.steps if s.name == step), None)


def _price_window(row: Blocker, now: dt.datetime) -> Window:
    end = as_utc(row.cleared_at) if row.cleared_at else now
    return Window(end - dt.timedelta(days=PRICE_WINDOW_DAYS), end)


def _view(row: Blocker, values: dict[str, StreamValue], figures: _Figures, now: dt.datetime) -> BlockerView:
    window = _price_window(row, now)
    step = _step(figures(row.stream, window), row.step)
    value = values.get(row.stream)
    raised = as_utc(row.raised_at)
    end = as_utc(row.cleared_at) if row.cleared_at else now
    return BlockerView(
        key=row.key,
        title=row.title,
        owner=row.owner,
        teams=tuple(row.teams or ()),
        stream=row.stream,
        step=row.step,
        raised_at=raised,
        decision=row.decision,
        cleared_at=as_utc(row.cleared_at) if row.cleared_at else None,
        cleared_by=row.cleared_by,
        clearance=row.clearance,
        age_days=max(0.0, (end - raised).total_seconds() / 86400),
        price=price(
            declared_wait_days=row.wait_days,
            measured_wait_hours=step.wait_before_hours if step is not None else None,
            items=step.items if step is not None else None,
            window_days=PRICE_WINDOW_DAYS,
            value_per_day=value.value_per_day if value else None,
            currency=value.currency if value else "USD",
            effort_days=row.effort_days,
        ),
    )


def register(
    session: Session,
    *,
    status: str = "open",
    stream: str | None = None,
    team: str | None = None,
    now: dt.datetime | None = None,
) -> list[BlockerView]:
    """The blockers, priced and ranked by CD3 (highest first); `status` is open, cleared or all."""
    if status not in ("open", "cleared", "all"):
        raise FieldError("status", "one of open, cleared, all")
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    query = select(Blocker).order_by(Blocker.raised_at, Blocker.key)
    if status == "open":
        query = query.where(Blocker.cleared_at.is_(None))
    elif status == "cleared":
        query = query.where(Blocker.cleared_at.is_not(None))
    if stream:
        query = query.where(Blocker.stream == stream)
    rows: Iterable[Blocker] = session.scalars(query)
    if team:
        rows = [r for r in rows if team in (r.teams or [])]
    values = {v.stream: v for v in session.scalars(select(StreamValue))}
    figures = _Figures(session)
    views = [_view(r, values, figures, moment) for r in rows]
    return [v for v, _ in ranked([(v, v.price) for v in views])]


def stream_values(session: Session) -> dict[str, tuple[float, str]]:
    return {v.stream: (v.value_per_day, v.currency) for v in session.scalars(select(StreamValue))}


def blocker_detail(session: Session, key: str, *, now: dt.datetime | None = None) -> BlockerDetail:
    """One blocker with its price, what removing it would do to the stream's lead time, and (once
    cleared) its effect: the wait before its step before and after it was cleared."""
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    row = _row(session, key)
    values = {v.stream: v for v in session.scalars(select(StreamValue))}
    figures = _Figures(session)
    view = _view(row, values, figures, moment)
    current = figures(row.stream, _price_window(row, moment))
    what_if = None
    step = _step(current, row.step)
    if current is not None and step is not None and step.wait_before_hours is not None:
        total = current.total_lead_time_hours
        what_if = WhatIf(total, max(0.0, total - step.wait_before_hours))
    effect = None
    if row.cleared_at is not None and row.step is not None:
        cleared = as_utc(row.cleared_at)
        before = _step(
            figures(row.stream, Window(cleared - dt.timedelta(days=PRICE_WINDOW_DAYS), cleared)), row.step
        )
        after = _step(figures(row.stream, Window(cleared, max(cleared, moment))), row.step)
        effect = Effect(
            step=row.step,
            before_wait_hours=before.wait_before_hours if before else None,
            before_items=before.items if before else 0,
            after_wait_hours=after.wait_before_hours if after else None,
            after_items=after.items if after else 0,
        )
    return BlockerDetail(view, effect, what_if)


__all__ = [
    "PRICE_WINDOW_DAYS",
    "BlockerDetail",
    "BlockerIn",
    "BlockerView",
    "Effect",
    "WhatIf",
    "add_blocker",
    "apply_register",
    "blocker_detail",
    "check_blocker",
    "clear_blocker",
    "read_register_file",
    "register",
    "set_stream_value",
    "stream_values",
]
