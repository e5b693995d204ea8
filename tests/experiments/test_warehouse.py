"""Sufficient statistics by SQL: the same numbers on SQLite, PostgreSQL and DuckDB, and equal to a plain
Python computation of the rules (first exposure counts, units with several variations are set aside)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from missionos.experiments import warehouse
from missionos.experiments.models import Exposure, MetricEvent
from missionos.experiments.service import event_key
from missionos.store import Database

T0 = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
FIELDS = (
    "n",
    "sum",
    "sum_squares",
    "covariate_sum",
    "covariate_sum_squares",
    "cross_sum",
    "denominator_sum",
    "denominator_sum_squares",
    "denominator_cross_sum",
)


def _dataset() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(11)
    exposures, events = [], []
    for i in range(300):
        unit = f"u{i:03d}"
        variation = rng.choice(["control", "treatment"])
        first = T0 + dt.timedelta(hours=rng.randrange(0, 24 * 20))
        for k in range(rng.choice([1, 1, 2, 3])):
            exposures.append(
                {
                    "experiment_key": "exp",
                    "unit_id": unit,
                    "variation": variation,
                    "exposed_at": first + dt.timedelta(hours=5 * k),
                }
            )
        if i % 50 == 0:  # saw both variations
            other = "treatment" if variation == "control" else "control"
            exposures.append(
                {
                    "experiment_key": "exp",
                    "unit_id": unit,
                    "variation": other,
                    "exposed_at": first + dt.timedelta(days=1),
                }
            )
        for _ in range(rng.randrange(0, 4)):
            at = first + dt.timedelta(hours=rng.randrange(-72, 200))
            events.append(
                {
                    "unit_id": unit,
                    "event": "purchase",
                    "value": round(rng.uniform(1, 90), 2),
                    "occurred_at": at,
                }
            )
        for _ in range(rng.randrange(0, 6)):
            at = first + dt.timedelta(hours=rng.randrange(-10, 100))
            events.append({"unit_id": unit, "event": "visit", "value": 1.0, "occurred_at": at})
    exposures.append({"experiment_key": "other", "unit_id": "u001", "variation": "x", "exposed_at": T0})
    for e in events:
        e["key"] = event_key(e["unit_id"], e["event"], e["occurred_at"], e["value"])
    unique = {e["key"]: e for e in events}
    return exposures, list(unique.values())


def _expected(
    exposures: list[dict[str, Any]], events: list[dict[str, Any]], kind: str
) -> dict[str, dict[str, float]]:
    seen: dict[str, list[dict[str, Any]]] = {}
    for e in exposures:
        if e["experiment_key"] == "exp":
            seen.setdefault(e["unit_id"], []).append(e)
    out: dict[str, dict[str, float]] = {}
    for unit, rows in seen.items():
        if len({r["variation"] for r in rows}) > 1:
            continue
        first = min(r["exposed_at"] for r in rows)
        mine = [e for e in events if e["unit_id"] == unit]
        purchases_after = [e["value"] for e in mine if e["event"] == "purchase" and e["occurred_at"] >= first]
        purchases_before = [e["value"] for e in mine if e["event"] == "purchase" and e["occurred_at"] < first]
        visits = sum(e["value"] for e in mine if e["event"] == "visit" and e["occurred_at"] >= first)
        if kind == "proportion":
            x, y = float(bool(purchases_after)), float(bool(purchases_before))
        else:
            x, y = sum(purchases_after), sum(purchases_before)
        s = out.setdefault(
            rows[0]["variation"],
            dict.fromkeys(FIELDS, 0.0),
        )
        s["n"] += 1
        s["sum"] += x
        s["sum_squares"] += x * x
        s["covariate_sum"] += y
        s["covariate_sum_squares"] += y * y
        s["cross_sum"] += x * y
        s["denominator_sum"] += visits
        s["denominator_sum_squares"] += visits * visits
        s["denominator_cross_sum"] += x * visits
    return out


def _compute(conn: Any, exposures_name: str, events_name: str) -> dict[str, Any]:
    exp_t, ev_t = warehouse.exposures_table(exposures_name), warehouse.events_table(events_name)
    return {
        "proportion": warehouse.sufficient_statistics(
            conn, exp_t, ev_t, "exp", kind="proportion", event="purchase"
        ),
        "mean": warehouse.sufficient_statistics(conn, exp_t, ev_t, "exp", kind="mean", event="purchase"),
        "ratio": warehouse.sufficient_statistics(
            conn, exp_t, ev_t, "exp", kind="ratio", event="purchase", denominator_event="visit"
        ),
        "counts": warehouse.exposure_counts(conn, exp_t, "exp"),
        "together": warehouse.aggregate(
            conn,
            exp_t,
            ev_t,
            "exp",
            [warehouse.MetricSpec("mean", "purchase"), warehouse.MetricSpec("proportion", "purchase")],
        ),
    }


def _check(result: dict[str, Any], exposures: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
    for kind in ("proportion", "mean", "ratio"):
        expected = _expected(exposures, events, kind)
        got = result[kind]
        assert set(got) == set(expected)
        for variation, values in got.items():
            for name, value in values.items():
                assert value == pytest.approx(expected[variation][name], rel=1e-9, abs=1e-9), (
                    kind,
                    variation,
                    name,
                )
    counts = result["counts"]
    assert counts.multiple_variations == 6
    assert sum(counts.units.values()) == 294
    assert counts.exposures == sum(1 for e in exposures if e["experiment_key"] == "exp")
    # One pass for the counts and several metrics gives the same figures as the separate queries.
    together_counts, (mean, proportion) = result["together"]
    assert together_counts == counts
    for one_pass, separate in ((mean, result["mean"]), (proportion, result["proportion"])):
        assert set(one_pass) == set(separate)
        for variation, values in one_pass.items():
            assert values == pytest.approx(separate[variation], rel=1e-12)


def test_sufficient_statistics_on_the_embedded_database(db: Database) -> None:
    exposures, events = _dataset()
    with db.session() as session:
        session.execute(Exposure.__table__.insert(), exposures)
        session.execute(MetricEvent.__table__.insert(), events)
    with db.engine.connect() as conn:
        result = _compute(conn, "experiments_exposure", "experiments_event")
    _check(result, exposures, events)


def test_sufficient_statistics_on_duckdb_match(tmp_path: Path) -> None:
    pytest.importorskip("duckdb_engine")
    exposures, events = _dataset()
    engine = create_engine(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE exposures (experiment_key VARCHAR, unit_id VARCHAR, variation VARCHAR, "
                "exposed_at TIMESTAMPTZ)"
            )
        )
        conn.execute(
            text(
                "CREATE TABLE events (unit_id VARCHAR, event VARCHAR, value DOUBLE, occurred_at TIMESTAMPTZ)"
            )
        )
        conn.execute(
            text("INSERT INTO exposures VALUES (:experiment_key, :unit_id, :variation, :exposed_at)"),
            exposures,
        )
        conn.execute(
            text("INSERT INTO events VALUES (:unit_id, :event, :value, :occurred_at)"),
            [{k: e[k] for k in ("unit_id", "event", "value", "occurred_at")} for e in events],
        )
    with engine.connect() as conn:
        result = _compute(conn, "exposures", "events")
    engine.dispose()
    _check(result, exposures, events)
