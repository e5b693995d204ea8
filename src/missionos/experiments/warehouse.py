"""From raw exposures and metric events to per-variation sufficient statistics, by SQL where the events live.

One SQLAlchemy Core query, portable across SQLite, PostgreSQL and DuckDB (and any engine with CTEs, CASE and
GROUP BY): nothing but the aggregates comes back to Python. The same query runs on the embedded database's own
tables or on an organization's warehouse tables with these columns:

- exposures: `experiment_key`, `unit_id`, `variation`, `exposed_at`
- events: `unit_id`, `event`, `value`, `occurred_at`

Rules (METRICS.md §3): the first exposure of a unit counts; a unit exposed to more than one variation is
counted and left out. A unit's metric value is taken over its events at or after its first exposure; its CUPED
covariate is the same metric over its events before that moment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, DateTime, Float, String, and_, case, distinct, func, literal, select
from sqlalchemy.sql import ColumnElement, TableClause, column, table

MULTIPLE = "__multiple__"


def exposures_table(name: str, schema: str | None = None) -> TableClause:
    """A warehouse table of exposures (see the module docstring for its columns)."""
    return table(
        name,
        column("experiment_key", String),
        column("unit_id", String),
        column("variation", String),
        column("exposed_at", DateTime(timezone=True)),
        schema=schema,
    )


def events_table(name: str, schema: str | None = None) -> TableClause:
    """A warehouse table of metric events (see the module docstring for its columns)."""
    return table(
        name,
        column("unit_id", String),
        column("event", String),
        column("value", Float),
        column("occurred_at", DateTime(timezone=True)),
        schema=schema,
    )


@dataclass(frozen=True)
class ExposureCounts:
    """Units per variation (first exposure), units set aside for seeing several variations, and duplicates."""

    units: dict[str, int]
    multiple_variations: int
    exposures: int

    @property
    def duplicates(self) -> int:
        return self.exposures - sum(self.units.values()) - self.multiple_variations_exposures

    multiple_variations_exposures: int = 0


def _first_exposures(exposures: TableClause, experiment: str, until: dt.datetime | None) -> Any:
    e = exposures.c
    where: list[ColumnElement[bool]] = [e.experiment_key == experiment]
    if until is not None:
        where.append(e.exposed_at < until)
    return (
        select(
            e.unit_id.label("unit_id"),
            func.min(e.exposed_at).label("first_at"),
            func.min(e.variation).label("variation"),
            func.count(distinct(e.variation)).label("nvar"),
            func.count().label("seen"),
        )
        .where(*where)
        .group_by(e.unit_id)
        .cte("first_exposure")
    )


def exposure_counts(
    conn: Connection, exposures: TableClause, experiment: str, *, until: dt.datetime | None = None
) -> ExposureCounts:
    """Exposure counts for `experiment`, computed in the database."""
    first = _first_exposures(exposures, experiment, until)
    label = case((first.c.nvar > 1, literal(MULTIPLE)), else_=first.c.variation).label("variation")
    rows = conn.execute(
        select(label, func.count(), func.sum(first.c.seen)).group_by(label).order_by(label)
    ).all()
    units = {str(v): int(n) for v, n, _ in rows if v != MULTIPLE}
    multiple = next((int(n) for v, n, _ in rows if v == MULTIPLE), 0)
    multiple_seen = next((int(s) for v, _, s in rows if v == MULTIPLE), 0)
    total = sum(int(s or 0) for _, _, s in rows)
    return ExposureCounts(units, multiple, total, multiple_seen)


def daily_exposures(
    conn: Connection, exposures: TableClause, experiment: str
) -> list[tuple[dt.date, str, int]]:
    """New units per day and variation (by first exposure), for the live exposure chart."""
    first = _first_exposures(exposures, experiment, None)
    rows = conn.execute(select(first.c.first_at, first.c.variation).where(first.c.nvar == 1)).all()
    counts: dict[tuple[dt.date, str], int] = {}
    for at, variation in rows:
        day = at.date() if isinstance(at, dt.datetime) else dt.date.fromisoformat(str(at)[:10])
        counts[(day, variation)] = counts.get((day, variation), 0) + 1
    return sorted((d, v, n) for (d, v), n in counts.items())


def sufficient_statistics(
    conn: Connection,
    exposures: TableClause,
    events: TableClause,
    experiment: str,
    *,
    kind: str,
    event: str,
    denominator_event: str | None = None,
    until: dt.datetime | None = None,
) -> dict[str, dict[str, float]]:
    """Per variation: n, Σx, Σx², the CUPED covariate's Σy, Σy², Σxy, and a ratio's Σd, Σd², Σxd.

    `kind` is `proportion` (x is 1 if the unit had the event after exposure), `mean` (x is the sum of the
    unit's event values after exposure) or `ratio` (x and d are the sums of `event` and `denominator_event`).
    """
    first = _first_exposures(exposures, experiment, until)
    units = select(first.c.unit_id, first.c.first_at, first.c.variation).where(first.c.nvar == 1).cte("units")
    ev = events.c
    names = [event] + ([denominator_event] if denominator_event else [])
    join_on: list[ColumnElement[bool]] = [ev.unit_id == units.c.unit_id, ev.event.in_(names)]
    if until is not None:
        join_on.append(ev.occurred_at < until)
    after = ev.occurred_at >= units.c.first_at
    before = ev.occurred_at < units.c.first_at
    is_num = ev.event == event

    def agg(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        if kind == "proportion":
            return func.max(case((condition, literal(1.0)), else_=literal(0.0)))
        return func.sum(case((condition, ev.value), else_=literal(0.0)))

    x = func.coalesce(agg(and_(is_num, after)), literal(0.0)).label("x")
    y = func.coalesce(agg(and_(is_num, before)), literal(0.0)).label("y")
    cols = [units.c.variation.label("variation"), x, y]
    if denominator_event:
        d = func.coalesce(
            func.sum(case((and_(ev.event == denominator_event, after), ev.value), else_=literal(0.0))),
            literal(0.0),
        ).label("d")
        cols.append(d)
    per_unit = (
        select(*cols)
        .select_from(units.outerjoin(events, and_(*join_on)))
        .group_by(units.c.unit_id, units.c.variation)
        .cte("per_unit")
    )
    p = per_unit.c
    out_cols: list[Any] = [
        p.variation,
        func.count().label("n"),
        func.sum(p.x).label("sum"),
        func.sum(p.x * p.x).label("sum_squares"),
        func.sum(p.y).label("covariate_sum"),
        func.sum(p.y * p.y).label("covariate_sum_squares"),
        func.sum(p.x * p.y).label("cross_sum"),
    ]
    if denominator_event:
        out_cols += [
            func.sum(p.d).label("denominator_sum"),
            func.sum(p.d * p.d).label("denominator_sum_squares"),
            func.sum(p.x * p.d).label("denominator_cross_sum"),
        ]
    result = conn.execute(select(*out_cols).group_by(p.variation).order_by(p.variation))
    stats: dict[str, dict[str, float]] = {}
    for row in result.mappings():
        values = {k: float(v or 0.0) for k, v in row.items() if k != "variation"}
        values["n"] = int(row["n"])
        stats[str(row["variation"])] = values
    return stats
