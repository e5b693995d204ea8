"""Measures the friction context publishes (metrics.md §6), so a plan's story can name where work waits.

Each is one point at the end of the window (or at now, when the window ends later): the open register as it
stands then, priced and ranked by CD3.
"""

from __future__ import annotations

import datetime as dt

from missionos.friction import service
from missionos.measures import Direction, Point, Scope, Series, Window, measure, memoized
from missionos.store import Database


def _moment(window: Window) -> dt.datetime:
    return min(window.until, dt.datetime.now(dt.UTC))


@measure(
    "friction.open_cost_of_delay",
    unit="money/month",
    direction=Direction.LOWER_IS_BETTER,
    description="What the open blockers' delay costs a month (priced ones); the detail names the top by CD3",
    scopes=("org",),
)
def open_cost_of_delay(db: Database, scope: Scope, window: Window) -> Series:
    at = _moment(window)

    def compute() -> list[service.BlockerView]:
        with db.session() as session:
            return service.register(session, status="open", now=at)

    views = memoized(("friction.register", id(db), at), compute)
    priced = [v for v in views if v.price.cost_per_month is not None]
    total = sum(v.price.cost_per_month or 0.0 for v in priced)
    top = views[0] if views else None
    detail = {
        "open": len(views),
        "priced": len(priced),
        "currency": priced[0].price.currency if priced else None,
        "top": None
        if top is None
        else {
            "key": top.key,
            "title": top.title,
            "owner": top.owner,
            "stream": top.stream,
            "step": top.step,
            "decision": top.decision,
            "cost_per_month": top.price.cost_per_month,
            "currency": top.price.currency,
            "cd3": top.price.cd3,
            "age_days": round(top.age_days, 1),
        },
    }
    return Series("friction.open_cost_of_delay", scope, "money/month", (Point(at, total),), detail)
