"""From raw exposures and metric events to per-variation sufficient statistics, by SQL where the events live.

One SQLAlchemy Core query, portable across SQLite, PostgreSQL and DuckDB (and any engine with CTEs, CASE and
GROUP BY): nothing but the aggregates comes back to Python. The same query runs on the embedded database's own
tables or on an organization's warehouse tables with these columns:

- exposures: `experiment_key`, `unit_id`, `variation`, `exposed_at`
- events: `unit_id`, `event`, `value`, `occurred_at`

Rules (metrics.md §3): the first exposure of a unit counts; a unit exposed to more than one variation is
counted and left out. A unit's metric value is taken over its events at or after its first exposure; its CUPED
covariate is the same metric over its events before that moment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, DateTime, Float, String, and_, case, func, literal, select
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
            # 1 when every exposure of the unit names one variation (cheaper than COUNT(DISTINCT)).
            case((func.min(e.variation) == func.max(e.variation), literal(1)), else_=literal(2)).label(
                "nvar"
            ),
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


@dataclass(frozen=True)
class MetricSpec:
    """What one metric aggregates: its kind, its event, and a ratio's denominator event."""

    kind: str
    event: str
    denominator_event: str | None = None


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
    spec = MetricSpec(kind, event, denominator_event)
    return sufficient_statistics_many(conn, exposures, events, experiment, [spec], until=until)[0]


def sufficient_statistics_many(
    conn: Connection,
    exposures: TableClause,
    events: TableClause,
    experiment: str,
    metrics: list[MetricSpec],
    *,
    until: dt.datetime | None = None,
) -> list[dict[str, dict[str, float]]]:
    """`sufficient_statistics` for several metrics at once: one join of units and events, one pass."""
    return aggregate(conn, exposures, events, experiment, metrics, until=until)[1]


def aggregate(
    conn: Connection,
    exposures: TableClause,
    events: TableClause,
    experiment: str,
    metrics: list[MetricSpec],
    *,
    until: dt.datetime | None = None,
) -> tuple[ExposureCounts, list[dict[str, dict[str, float]]]]:
    """Exposure counts and every metric's sufficient statistics in one query: one scan of the exposures, one
    join with the events, one GROUP BY per unit and one per variation."""
    first = _first_exposures(exposures, experiment, until)
    label = case((first.c.nvar > 1, literal(MULTIPLE)), else_=first.c.variation)
    units = select(first.c.unit_id, first.c.first_at, first.c.seen, label.label("variation")).cte("units")
    ev = events.c
    names = sorted({m.event for m in metrics} | {m.denominator_event for m in metrics if m.denominator_event})
    join_on: list[ColumnElement[bool]] = [ev.unit_id == units.c.unit_id, ev.event.in_(names or [""])]
    if until is not None:
        join_on.append(ev.occurred_at < until)
    after = ev.occurred_at >= units.c.first_at
    before = ev.occurred_at < units.c.first_at

    def agg(kind: str, condition: ColumnElement[bool]) -> ColumnElement[Any]:
        if kind == "proportion":
            inner: ColumnElement[Any] = func.max(case((condition, literal(1.0)), else_=literal(0.0)))
        else:
            inner = func.sum(case((condition, ev.value), else_=literal(0.0)))
        return func.coalesce(inner, literal(0.0))

    cols: list[Any] = [units.c.variation.label("variation"), func.max(units.c.seen).label("seen")]
    for i, m in enumerate(metrics):
        cols.append(agg(m.kind, and_(ev.event == m.event, after)).label(f"x{i}"))
        cols.append(agg(m.kind, and_(ev.event == m.event, before)).label(f"y{i}"))
        if m.denominator_event:
            cols.append(agg("mean", and_(ev.event == m.denominator_event, after)).label(f"d{i}"))
    per_unit = (
        select(*cols)
        .select_from(units.outerjoin(events, and_(*join_on)))
        .group_by(units.c.unit_id, units.c.variation)
        .cte("per_unit")
    )
    p = per_unit.c
    out_cols: list[Any] = [p.variation, func.count().label("n"), func.sum(p.seen).label("seen")]
    for i, m in enumerate(metrics):
        x, y = p[f"x{i}"], p[f"y{i}"]
        out_cols += [
            func.sum(x).label(f"sum{i}"),
            func.sum(x * x).label(f"sum_squares{i}"),
            func.sum(y).label(f"covariate_sum{i}"),
            func.sum(y * y).label(f"covariate_sum_squares{i}"),
            func.sum(x * y).label(f"cross_sum{i}"),
        ]
        if m.denominator_event:
            d = p[f"d{i}"]
            out_cols += [
                func.sum(d).label(f"denominator_sum{i}"),
                func.sum(d * d).label(f"denominator_sum_squares{i}"),
                func.sum(x * d).label(f"denominator_cross_sum{i}"),
            ]
    result = conn.execute(select(*out_cols).group_by(p.variation).order_by(p.variation))
    out: list[dict[str, dict[str, float]]] = [{} for _ in metrics]
    units_by_variation: dict[str, int] = {}
    multiple = multiple_seen = total = 0
    for row in result.mappings():
        variation, n, seen = str(row["variation"]), int(row["n"]), int(row["seen"] or 0)
        total += seen
        if variation == MULTIPLE:
            multiple, multiple_seen = n, seen
            continue
        units_by_variation[variation] = n
        for i, m in enumerate(metrics):
            names_i = ["sum", "sum_squares", "covariate_sum", "covariate_sum_squares", "cross_sum"]
            if m.denominator_event:
                names_i += ["denominator_sum", "denominator_sum_squares", "denominator_cross_sum"]
            values = {name: float(row[f"{name}{i}"] or 0.0) for name in names_i}
            values["n"] = n
            out[i][variation] = values
    return ExposureCounts(units_by_variation, multiple, total, multiple_seen), out
