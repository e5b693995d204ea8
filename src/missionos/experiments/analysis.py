"""The analysis of an experiment: its exposures and metrics read where they live, compared by `stats`, and the
verdict on its bet; and the statistics alone on sufficient statistics."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, create_engine, inspect, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.sql import TableClause

from missionos.errors import FieldError, InputError
from missionos.experiments import stats, warehouse
from missionos.experiments.design import ExperimentInfo, MetricInfo, get_experiment, list_metrics
from missionos.store import Database, utcnow


@dataclass(frozen=True)
class Source:
    """Where the exposures and events live: the embedded database, or a warehouse reached by URL."""

    url: str | None = None
    exposures_table: str = "experiments_exposure"
    events_table: str = "experiments_event"

    def tables(self) -> tuple[TableClause, TableClause]:
        """The two tables; a name may be qualified by its schema (`analytics.exposures`)."""
        ex_schema, _, ex_name = self.exposures_table.rpartition(".")
        ev_schema, _, ev_name = self.events_table.rpartition(".")
        return (
            warehouse.exposures_table(ex_name, ex_schema or None),
            warehouse.events_table(ev_name, ev_schema or None),
        )


@dataclass(frozen=True)
class MetricResult:
    metric: MetricInfo
    role: str  # primary | guardrail | secondary
    variations: list[dict[str, Any]]
    comparisons: list[stats.Comparison]
    harmed: bool
    adjusted_p: list[float | None] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric.key,
            "name": self.metric.name,
            "type": self.metric.type,
            "role": self.role,
            "direction": self.metric.direction,
            "variations": self.variations,
            "results": [c.as_dict() for c in self.comparisons],
            "harmed": self.harmed,
            **({"adjusted_p_values": self.adjusted_p} if self.adjusted_p is not None else {}),
        }


@dataclass(frozen=True)
class Analysis:
    experiment: ExperimentInfo
    counts: warehouse.ExposureCounts
    srm: stats.SrmResult | None
    metrics: list[MetricResult]
    verdict: stats.VerdictResult
    power: stats.PowerResult | None
    daily_traffic: float | None
    analyzed_at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "experiment": self.experiment.as_dict(),
            "exposures": {
                "units": self.counts.units,
                "multiple_variations": self.counts.multiple_variations,
                "exposures": self.counts.exposures,
                "duplicates": self.counts.duplicates,
            },
            "srm": self.srm.as_dict() if self.srm else None,
            "metrics": [m.as_dict() for m in self.metrics],
            "verdict": {"status": self.verdict.status, "reason": self.verdict.reason},
            "power": self.power.as_dict() if self.power else None,
            "daily_traffic": self.daily_traffic,
            "analyzed_at": self.analyzed_at.isoformat(),
        }


WAREHOUSE_COLUMNS = {
    "exposures": ("experiment_key", "unit_id", "variation", "exposed_at"),
    "events": ("unit_id", "event", "value", "occurred_at"),
}


def _safe_url(url: str) -> str:
    """The URL as it may be shown: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _connect(db: Database, source: Source) -> Iterator[Connection]:
    """A connection to the source's database; a URL that cannot be read or reached is a `FieldError` on
    `--source` naming it (without its password), never a traceback."""
    if not source.url:
        with db.engine.connect() as conn:
            yield conn
        return
    try:
        engine = create_engine(source.url)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise FieldError(
            "--source",
            "a SQLAlchemy URL such as postgresql://user@host/db, sqlite:///path/file.db or "
            f"duckdb:///path/file.duckdb; got {source.url!r} ({exc})",
        ) from None
    try:
        try:
            conn = engine.connect()
        except DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            raise FieldError(
                "--source",
                f"a warehouse that answers; {_safe_url(source.url)} could not be reached ({reason})",
            ) from None
        with conn:
            _check_tables(conn, source)
            yield conn
    finally:
        engine.dispose()


def _check_tables(conn: Connection, source: Source) -> None:
    """Each source table exists and has the columns the analysis reads; otherwise a `FieldError` on the
    `--exposures-table` or `--events-table` option that names what is missing."""
    inspector = inspect(conn)
    for option, kind, name in (
        ("--exposures-table", "exposures", source.exposures_table),
        ("--events-table", "events", source.events_table),
    ):
        schema, _, bare = name.rpartition(".")
        try:
            present = inspector.has_table(bare, schema=schema or None)
            found = (
                {c["name"].lower() for c in inspector.get_columns(bare, schema=schema or None)}
                if present
                else set()
            )
        except DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            raise FieldError(
                option, f"a {kind} table that can be read at {_safe_url(source.url or '')} ({reason})"
            ) from None
        if not present:
            raise FieldError(
                option, f"a {kind} table at {_safe_url(source.url or '')}; there is no table {name!r}"
            )
        missing = [c for c in WAREHOUSE_COLUMNS[kind] if c not in found]
        if missing:
            raise FieldError(
                option,
                f"the {kind} table, with the columns {', '.join(WAREHOUSE_COLUMNS[kind])}; "
                f"{name!r} lacks {', '.join(missing)}",
            )


def analyze(
    db: Database,
    key: str,
    *,
    source: Source | None = None,
    method: str | None = None,
    correction: str | None = None,
    until: dt.datetime | None = None,
    prior: tuple[float, float] | None = None,
    alpha: float | None = None,
) -> Analysis:
    """The whole pipeline on a stored experiment: exposure counts and SRM, every metric, the guardrails, and
    the verdict on its bet (metrics.md §3)."""
    src = source or Source()
    with db.session() as session:
        design = get_experiment(session, key)
        metrics = list_metrics(session)
    exposures, events = src.tables()
    method = method or design.method
    if alpha is not None and not 0 < alpha < 1:
        raise FieldError("--alpha", f"a number strictly between 0 and 1, e.g. 0.05; got {alpha:g}")
    alpha = alpha or design.alpha
    if correction is not None and correction not in stats.CORRECTIONS:
        raise FieldError("--correction", f"one of {', '.join(stats.CORRECTIONS)}")
    roles = (
        [(design.primary_metric, "primary")]
        + [(g, "guardrail") for g in design.guardrails]
        + [(s, "secondary") for s in design.secondary]
    )
    results: list[MetricResult] = []
    for conn in _connect(db, src):
        specs = [
            warehouse.MetricSpec(metrics[k].type, metrics[k].event, metrics[k].denominator_event)
            for k, _ in roles
        ]
        counts, all_raw = warehouse.aggregate(conn, exposures, events, key, specs, until=until)
        unknown = sorted(set(counts.units) - set(design.variations))
        if unknown:
            raise InputError(
                f"exposures name variations the experiment does not have: {', '.join(unknown)}", source=key
            )
        observed = [counts.units.get(v, 0) for v in design.variations]
        srm_result = stats.srm(observed, design.weights) if sum(observed) else None
        enough = all(n >= 2 for n in observed)
        for (metric_key, role), raw in zip(roles, all_raw, strict=True):
            metric = metrics[metric_key]
            per_var = [_variation_stats(v, raw.get(v), metric.type) for v in design.variations]
            comparisons: list[stats.Comparison] = []
            if enough and all(v.n >= 2 for v in per_var) and (per_var[0].sum != 0):
                comparisons = stats.compare(
                    metric.type,
                    per_var,
                    method=method,
                    alpha=alpha,
                    direction=metric.direction,
                    prior=prior,
                )
            harmed = role == "guardrail" and any(_harmed(c, metric.direction) for c in comparisons)
            results.append(
                MetricResult(
                    metric,
                    role,
                    [{"name": v.name, "n": v.n, "sum": v.sum, "sum_squares": v.sum_squares} for v in per_var],
                    comparisons,
                    harmed,
                )
            )
        traffic = _daily_traffic(conn, exposures, key)
    if correction:
        flat = [
            (i, j, c.absolute.p_value) for i, m in enumerate(results) for j, c in enumerate(m.comparisons)
        ]
        adjusted = stats.CORRECTIONS[correction]([p or 1.0 for _, _, p in flat])
        per_metric: dict[int, list[float | None]] = {}
        for (i, _, _), a in zip(flat, adjusted, strict=True):
            per_metric.setdefault(i, []).append(a)
        results = [
            MetricResult(m.metric, m.role, m.variations, m.comparisons, m.harmed, per_metric.get(i, []))
            for i, m in enumerate(results)
        ]
    primary = results[0].comparisons[0] if results and results[0].comparisons else None
    verdict = stats.decide(
        srm_result=srm_result,
        primary=primary,
        direction=design.direction,
        mme=design.mme,
        guardrails_harmed=[m.metric.key for m in results if m.harmed],
        planned_sample=design.planned_sample,
        observed_sample=sum(observed),
        sequential=method == "sequential",
    )
    power = None
    prim = results[0] if results else None
    if prim is not None and prim.metric.type == "proportion" and prim.variations[0]["n"] and design.mme > 0:
        baseline = prim.variations[0]["sum"] / prim.variations[0]["n"]
        if 0 < baseline < 1 and 0 < baseline * (1 + design.mme) < 1:
            power = stats.sample_size(
                baseline,
                design.mme if design.direction == "higher" else -design.mme,
                alpha=alpha,
                weights=design.weights,
                daily_traffic=traffic,
            )
    return Analysis(design, counts, srm_result, results, verdict, power, traffic, utcnow())


def _variation_stats(name: str, raw: Mapping[str, float] | None, kind: str) -> stats.VariationStats:
    if raw is None:
        return stats.VariationStats(name, 0, 0.0, 0.0)
    extra: dict[str, Any] = {
        "covariate_sum": raw.get("covariate_sum"),
        "covariate_sum_squares": raw.get("covariate_sum_squares"),
        "cross_sum": raw.get("cross_sum"),
    }
    if kind == "ratio":
        extra.update(
            denominator_sum=raw.get("denominator_sum"),
            denominator_sum_squares=raw.get("denominator_sum_squares"),
            denominator_cross_sum=raw.get("denominator_cross_sum"),
        )
    return stats.VariationStats(name, int(raw["n"]), raw["sum"], raw["sum_squares"], **extra)


def _harmed(c: stats.Comparison, direction: str) -> bool:
    lo, hi = c.relative.ci
    return hi < 0 if direction == "higher" else lo > 0


def _daily_traffic(conn: Connection, exposures: TableClause, key: str) -> float | None:
    """New units a day over the last 14 days of exposures (the traffic a power calculation plans with)."""
    days = warehouse.daily_exposures(conn, exposures, key)
    if not days:
        return None
    last = max(d for d, _, _ in days)
    recent = [n for d, _, n in days if (last - d).days < 14]
    span = min(14, (last - min(d for d, _, _ in days)).days + 1)
    return sum(recent) / span if span else None


def daily_exposures(db: Database, key: str) -> list[dict[str, Any]]:
    """New units per day and variation, oldest first."""
    with db.engine.connect() as conn:
        return [
            {"day": d.isoformat(), "variation": v, "units": n}
            for d, v, n in warehouse.daily_exposures(
                conn, warehouse.exposures_table("experiments_exposure"), key
            )
        ]


def analyze_stats(
    doc: Any, *, method: str = "frequentist", alpha: float = 0.05, source: str = "stats"
) -> dict[str, Any]:
    """`missionos experiments analyze --stats FILE`: the statistics alone, on sufficient statistics."""
    kind, variations = stats.parse_stats_document(doc, source=source)
    direction = doc["metric"].get("direction", "higher")
    if direction not in stats.DIRECTIONS:
        raise FieldError(
            "metric.direction", "higher or lower (which way the metric is better)", source=source
        )
    for v in variations:
        if v.n < 2:
            raise FieldError(f"variations[{v.name}].n", "at least 2 units in every variation", source=source)
    if not 0 < alpha < 1:
        raise FieldError("--alpha", f"a number strictly between 0 and 1, e.g. 0.05; got {alpha:g}")
    prior = _prior_of(doc.get("prior"), source=source)
    comparisons = stats.compare(
        kind, variations, method=method, alpha=alpha, direction=direction, prior=prior
    )
    out: dict[str, Any] = {
        "metric": {"type": kind, "direction": direction},
        "method": method,
        "alpha": alpha,
        "results": [c.as_dict() for c in comparisons],
    }
    weights = doc.get("weights") if isinstance(doc, Mapping) else None
    if weights is not None:
        out["srm"] = stats.srm([v.n for v in variations], weights).as_dict()
    return out


def _prior_of(raw: Any, *, source: str) -> tuple[float, float] | None:
    """A stats document's `prior`: `{"mean": m, "variance": v}` on the relative lift (None when absent)."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise FieldError("prior", 'an object such as {"mean": 0, "variance": 0.09}', source=source)
    mean, variance = raw.get("mean", 0.0), raw.get("variance")
    if not isinstance(mean, int | float) or isinstance(mean, bool) or not math.isfinite(mean):
        raise FieldError("prior.mean", "a finite number (the expected relative lift, e.g. 0)", source=source)
    if not isinstance(variance, int | float) or isinstance(variance, bool) or not 0 < variance < math.inf:
        raise FieldError("prior.variance", "a positive number (e.g. 0.09 for a 30% spread)", source=source)
    return float(mean), float(variance)
