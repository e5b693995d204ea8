"""The register as the pages and the API read it: each blocker priced by cost of delay and ranked by CD3.

A blocker is priced on its stream's flow figures (read through the flow context's service) over the
`PRICE_WINDOW_DAYS` before now, or before it was cleared; `blocker_detail` adds what removing it would do to
the stream's lead time and, once cleared, its measured effect. The arithmetic lives in
`missionos.friction.pricing`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos import flow
from missionos.errors import FieldError, NotFoundError
from missionos.friction.models import Blocker, StreamValue
from missionos.friction.pricing import Price, price, ranked
from missionos.measures import Window
from missionos.times import as_utc

# Blockers are priced on the flow of the 90 days before now (or before they were cleared).
PRICE_WINDOW_DAYS = 90


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
