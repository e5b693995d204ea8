"""Aggregation to sufficient statistics where the events live: 10,000,000 exposures and 10,000,000 metric
events in DuckDB, through the same portable SQLAlchemy query the product runs on SQLite and PostgreSQL.

The peer is a hand-written DuckDB query of the same computation run on the raw connection, so the ratio shows
what the portable query costs. The statistics step (Welch, SRM) on the result is timed too.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine

from missionos.experiments import stats, warehouse

EXPOSURES = 10_000_000
EVENTS = 10_000_000
UNITS = 8_000_000

NATIVE = """
WITH first AS (
  SELECT unit_id, min(exposed_at) AS first_at, min(variation) AS variation,
         CASE WHEN min(variation) = max(variation) THEN 1 ELSE 2 END AS nvar
  FROM exposures WHERE experiment_key = 'big' GROUP BY unit_id
), units AS (SELECT * FROM first WHERE nvar = 1),
per_unit AS (
  SELECT u.variation,
         coalesce(max(CASE WHEN e.event = 'purchase' AND e.occurred_at >= u.first_at
                           THEN 1.0 ELSE 0.0 END), 0)::DOUBLE AS x,
         coalesce(max(CASE WHEN e.event = 'purchase' AND e.occurred_at < u.first_at
                           THEN 1.0 ELSE 0.0 END), 0)::DOUBLE AS y
  FROM units u LEFT JOIN events e ON e.unit_id = u.unit_id AND e.event IN ('purchase')
  GROUP BY u.unit_id, u.variation
)
SELECT variation, count(*), sum(x), sum(x * x), sum(y), sum(y * y), sum(x * y)
FROM per_unit GROUP BY variation ORDER BY variation
"""


def build(path: Path) -> float:
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect(str(path))
    con.execute(
        f"""
        CREATE TABLE exposures AS
        SELECT 'big' AS experiment_key,
               'u' || (i % {UNITS}) AS unit_id,
               CASE WHEN i >= {EXPOSURES - 5000} THEN 'treatment'
                    WHEN hash(i % {UNITS}) % 2 = 0 THEN 'control' ELSE 'treatment' END AS variation,
               TIMESTAMPTZ '2026-06-01 00:00:00+00' + to_seconds(i % 5000000) AS exposed_at
        FROM range({EXPOSURES}) t(i)
        """
    )
    con.execute(
        f"""
        CREATE TABLE events AS
        SELECT 'u' || (hash(i) % {UNITS + 1_000_000}) AS unit_id,
               CASE WHEN i % 3 = 0 THEN 'visit' ELSE 'purchase' END AS event,
               (i % 97)::DOUBLE AS value,
               TIMESTAMPTZ '2026-06-01 00:00:00+00' + to_seconds(hash(i * 7) % 6000000) AS occurred_at
        FROM range({EVENTS}) t(i)
        """
    )
    con.close()
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "warehouse.duckdb"
        built = build(path)
        engine = create_engine(f"duckdb:///{path}")
        exposures, events = warehouse.exposures_table("exposures"), warehouse.events_table("events")
        with engine.connect() as conn:
            started = time.perf_counter()
            counts = warehouse.exposure_counts(conn, exposures, "big")  # the separate SRM query
            t_counts = time.perf_counter() - started
            started = time.perf_counter()
            proportion = warehouse.sufficient_statistics(
                conn, exposures, events, "big", kind="proportion", event="purchase"
            )
            t_prop = time.perf_counter() - started
            specs = [warehouse.MetricSpec("proportion", "purchase"), warehouse.MetricSpec("mean", "purchase")]
            started, cpu_started = time.perf_counter(), time.process_time()
            one_pass_counts, both = warehouse.aggregate(conn, exposures, events, "big", specs)
            assert one_pass_counts == counts
            t_mean = time.perf_counter() - started
            cpu_mean = time.process_time() - cpu_started
            mean = both[1]
            assert all(both[0][v]["n"] == proportion[v]["n"] for v in proportion)
            raw = conn.connection.dbapi_connection
            started = time.perf_counter()
            native = raw.execute(NATIVE).fetchall()  # type: ignore[union-attr]
            t_native = time.perf_counter() - started
        engine.dispose()
        for row in native:
            assert row[1] == proportion[row[0]]["n"] and abs(float(row[2]) - proportion[row[0]]["sum"]) < 1e-6
        started = time.perf_counter()
        for _ in range(100):
            variations = [
                stats.VariationStats(name, int(v["n"]), v["sum"], v["sum_squares"])
                for name, v in sorted(mean.items())
            ]
            stats.compare("mean", variations, cuped=False)
            stats.compare(
                "proportion",
                [
                    stats.VariationStats(name, int(v["n"]), v["sum"], v["sum_squares"])
                    for name, v in sorted(proportion.items())
                ],
            )
            stats.srm([counts.units[v] for v in sorted(counts.units)], [0.5, 0.5])
        t_stats = (time.perf_counter() - started) / 100
    total = t_mean
    rows = EXPOSURES + EVENTS
    print(f"work: {EXPOSURES:,} exposures ({UNITS:,} units) and {EVENTS:,} metric events in DuckDB")
    print(f"  built in {built:.1f} s; units per variation {counts.units};")
    print(
        f"  {counts.multiple_variations:,} units set aside (both variations), {counts.duplicates:,} repeats"
    )
    print(f"exposure counts (SRM input):          {t_counts:6.2f} s")
    print(f"one metric, portable SQL:             {t_prop:6.2f} s  {rows / t_prop:>12,.0f} rows/s")
    print(f"counts + two metrics, one query:      {t_mean:6.2f} s  {rows / t_mean:>12,.0f} rows/s")
    print(f"one metric, hand-written DuckDB SQL:  {t_native:6.2f} s  (peer; ratio {t_prop / t_native:.2f}x)")
    print(f"aggregation as `analyze` runs it (one query): {total:.2f} s (goal: under 15 s)")
    print(
        f"  CPU time of that query: {cpu_mean:.2f} s over {os.cpu_count()} cores "
        f"(load average {os.getloadavg()[0]:.1f} while measuring: other work shares the cores)"
    )
    print(f"statistics step (Welch x2 + SRM on the sufficient statistics): {t_stats * 1000:.2f} ms")


if __name__ == "__main__":
    main()
