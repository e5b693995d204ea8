"""Learning speed (metrics.md §4, "Learning speed"): how long a bet takes from its start to its verdict, and
the share of bets decided by their decision date, per team plan and per strategy.

- A bet *starts* when its experiment started (as the experiments context publishes it), else when the bet
  first appeared in a saved version of its plan.
- It is *decided* when it has a verdict that teaches something: validated, invalidated or inconclusive. The
  verdict's moment is when it was recorded (by hand) or, for a published verdict, the newest exposure it rests
  on: an experiment that keeps running after its verdict keeps collecting, so stopping it is part of deciding.
- *Days to verdict* is the whole days from start to verdict; a group's figure is their median.
- *Decided on time*: of the bets with a decision date that are decided or whose date has passed, the share
  decided on or before that date. A bet with no decision date counts for neither.
- A team is measured by its plan: a plan cascaded to a team is that team's.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from missionos.errors import NotFoundError
from missionos.store import Database
from missionos.strategy import models
from missionos.strategy.evaluation import bet_verdict, today
from missionos.strategy.loop import CITABLE, published_verdict
from missionos.strategy.plans import get_plan, list_plans
from missionos.times import as_utc


@dataclass(frozen=True)
class BetLearning:
    plan: str
    plan_title: str
    strategy: str
    bet: str
    status: str  # a verdict status or "open"
    started: dt.date | None
    started_from: str  # "experiment" | "plan"
    decided: dt.date | None
    decide_by: dt.date | None

    @property
    def days_to_verdict(self) -> int | None:
        if self.started is None or self.decided is None:
            return None
        return max((self.decided - self.started).days, 0)

    def counts_for_on_time(self, as_of: dt.date) -> bool:
        return self.decide_by is not None and (self.decided is not None or self.decide_by < as_of)

    @property
    def on_time(self) -> bool:
        return self.decided is not None and self.decide_by is not None and self.decided <= self.decide_by

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "strategy": self.strategy,
            "bet": self.bet,
            "status": self.status,
            "started": self.started.isoformat() if self.started else None,
            "started_from": self.started_from,
            "decided": self.decided.isoformat() if self.decided else None,
            "decide_by": self.decide_by.isoformat() if self.decide_by else None,
            "days_to_verdict": self.days_to_verdict,
        }


@dataclass(frozen=True)
class Speed:
    """One group's learning speed."""

    group: str  # a plan key, or PLAN/STRATEGY
    label: str
    bets: int
    decided: int
    median_days: float | None
    on_time: int
    due: int  # bets that count for the on-time share

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.due if self.due else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "label": self.label,
            "bets": self.bets,
            "decided": self.decided,
            "median_days_to_verdict": self.median_days,
            "decided_on_time": self.on_time,
            "due": self.due,
            "on_time_share": self.on_time_share,
        }


@dataclass(frozen=True)
class Learning:
    as_of: dt.date
    bets: tuple[BetLearning, ...]
    by_team: tuple[Speed, ...]
    by_strategy: tuple[Speed, ...]
    overall: Speed

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "overall": self.overall.as_dict(),
            "by_team": [s.as_dict() for s in self.by_team],
            "by_strategy": [s.as_dict() for s in self.by_strategy],
            "bets": [b.as_dict() for b in self.bets],
        }


def speed(group: str, label: str, bets: Sequence[BetLearning], as_of: dt.date) -> Speed:
    days = [d for b in bets if (d := b.days_to_verdict) is not None]
    due = [b for b in bets if b.counts_for_on_time(as_of)]
    return Speed(
        group,
        label,
        len(bets),
        sum(1 for b in bets if b.decided is not None),
        float(statistics.median(days)) if days else None,
        sum(1 for b in due if b.on_time),
        len(due),
    )


def _first_seen(rows: Iterable[models.PlanVersion]) -> dict[str, dt.date]:
    """Bet id -> the day it first appears in a saved version of the plan."""
    out: dict[str, dt.date] = {}
    for v in rows:
        for strat in v.document.get("strategies", []):
            for bet in strat.get("bets", []):
                out.setdefault(bet["id"], as_utc(v.created_at).date())
    return out


def learning(db: Database, *, plan: str | None = None, as_of: dt.date | None = None) -> Learning:
    """Learning speed over every stored plan (or plan `plan` only), as of `as_of` (default today)."""
    day = as_of or today()
    with db.session() as session:
        keys = [p.key for p in list_plans(session)]
        if plan is not None:
            if plan not in keys:
                raise NotFoundError("plan", plan)
            keys = [plan]
        stored = {k: get_plan(session, k) for k in keys}
        seen = {
            k: _first_seen(session.scalars(select(models.Plan).where(models.Plan.key == k)).one().versions)
            for k in keys
        }
        hand = {
            (h.plan_key, h.bet_id): as_utc(h.decided_at).date()
            for h in session.scalars(select(models.HandVerdict))
        }
    rows: list[BetLearning] = []
    for key in keys:
        p = stored[key].plan
        for bet in p.bets:
            published = published_verdict(db, bet)
            found = bet_verdict(db, key, bet)
            status = found.status if found else "open"
            started: dt.date | None = None
            started_from = "plan"
            if published is not None and published.started_at is not None:
                started, started_from = as_utc(published.started_at).date(), "experiment"
            else:
                started = seen[key].get(bet.id)
            decided: dt.date | None = None
            if found is not None and found.status in CITABLE:
                if found.source == "experiments" and published is not None and published.decided_at:
                    decided = as_utc(published.decided_at).date()
                else:
                    decided = hand.get((key, bet.id))
            if decided is not None and decided > day:
                decided = day  # evidence stamped later than the day asked about counts as in by then
            rows.append(
                BetLearning(
                    key, p.title, bet.strategy, bet.id, status, started, started_from, decided, bet.decide_by
                )
            )
    by_team = tuple(
        speed(key, stored[key].plan.title, [r for r in rows if r.plan == key], day) for key in keys
    )
    strategies = sorted({(r.plan, r.strategy) for r in rows}, key=lambda ps: (keys.index(ps[0]), ps[1]))
    by_strategy = tuple(
        speed(
            f"{k}/{s}",
            f"{k} {s}: {st.statement if (st := stored[k].plan.strategy(s)) else ''}",
            [r for r in rows if r.plan == k and r.strategy == s],
            day,
        )
        for k, s in strategies
    )
    return Learning(day, tuple(rows), by_team, by_strategy, speed("all", "All plans", rows, day))
