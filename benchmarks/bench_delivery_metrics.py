"""Metrics at scale: `missionos delivery metrics` over a generated organization, on SQLite and PostgreSQL.

200 services in 20 teams, 1,000,000 production deployments and 5,000,000 changes over the year that ends on
2026-11-24, with hotfixes and incidents (set `MISSIONOS_BENCH_SCALE=0.01` for a quick run; PostgreSQL at
`MISSIONOS_BENCH_PG`, default the test server). The rows are bulk-loaded straight into the delivery tables,
as attribution would have left them. Reported for the command's default 90-day window (and for the whole
year with `MISSIONOS_BENCH_FULL_YEAR=1`):

- ours: the service call behind the command (`delivery_metrics`), for the organization and for one service;
- floor: only running the loading queries and fetching their rows, with no arithmetic.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from missionos.delivery import queries
from missionos.delivery.service import delivery_metrics, scope_of
from missionos.measures import Scope, Window
from missionos.store import Database
from missionos.store.migrate import upgrade

SCALE = float(os.environ.get("MISSIONOS_BENCH_SCALE", "1"))
SERVICES = 200
TEAMS = 20
DEPLOYMENTS = int(1_000_000 * SCALE)
CHANGES = int(5_000_000 * SCALE)
END = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
YEAR = 365 * 86400
PG = os.environ.get("MISSIONOS_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _sqlite_time(seconds: float) -> str:
    return (
        dt.datetime.fromtimestamp(seconds, dt.UTC)
        .replace(tzinfo=None)
        .isoformat(sep=" ", timespec="microseconds")
    )


def _pg_time(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(sep=" ", timespec="microseconds")


def generate(fmt: Any) -> Iterator[tuple[str, tuple[str, ...], list[tuple[Any, ...]]]]:
    """The organization's rows, table by table, in chunks, with times formatted by `fmt`."""
    rng = random.Random(7)
    start = END.timestamp() - YEAR
    yield "delivery_team", ("id", "name", "description"), [(t + 1, f"team-{t:02d}", "") for t in range(TEAMS)]
    yield (
        "delivery_service",
        ("id", "name", "team_id", "description", "created_at", "production_environments"),
        [(s + 1, f"svc-{s:03d}", s % TEAMS + 1, "", fmt(start), "") for s in range(SERVICES)],
    )
    yield (
        "delivery_repository",
        ("id", "service_id", "location", "path_prefix", "branch"),
        [(s + 1, s + 1, f"/repos/svc-{s:03d}", "", "main") for s in range(SERVICES)],
    )
    dep_cols = (
        "id",
        "service_id",
        "external_id",
        "source",
        "environment",
        "status",
        "finished_at",
        "revision",
        "kind",
        "effective_kind",
        "remediates",
        "is_production",
    )
    commit_cols = (
        "id",
        "repository_id",
        "sha",
        "parents",
        "is_merge",
        "touches",
        "authored_at",
        "author_offset",
        "committed_at",
        "committer_offset",
        "author",
        "author_email",
        "message",
        "files",
        "deployment_id",
        "start_at",
    )
    incident_cols = (
        "id",
        "service_id",
        "external_id",
        "source",
        "started_at",
        "resolved_at",
        "severity",
        "cause",
    )
    dep_id = commit_id = incident_id = 0
    per_service = DEPLOYMENTS // SERVICES
    changes_per_deployment = CHANGES / DEPLOYMENTS
    flag_true, flag_false = (True, False) if fmt is _pg_time else (1, 0)
    for s in range(1, SERVICES + 1):
        deps: list[tuple[Any, ...]] = []
        commits: list[tuple[Any, ...]] = []
        incidents: list[tuple[Any, ...]] = []
        step = YEAR / per_service
        for n in range(per_service):
            dep_id += 1
            finished = start + n * step + rng.random() * step * 0.5
            kind = "hotfix" if rng.random() < 0.05 else "planned"
            k = int(changes_per_deployment * 2 * rng.random() + 0.5)
            sha = ""
            for _ in range(k):
                commit_id += 1
                sha = f"{commit_id:040x}"
                began = fmt(finished - rng.expovariate(1 / (30 * 3600)))
                commits.append(
                    (
                        commit_id,
                        s,
                        sha,
                        "",
                        flag_false,
                        flag_true,
                        began,
                        0,
                        began,
                        0,
                        "dev",
                        "dev@example.org",
                        "change",
                        "",
                        dep_id,
                        began,
                    )
                )
            deps.append(
                (
                    dep_id,
                    s,
                    f"d{n}",
                    "bench",
                    "production",
                    "success",
                    fmt(finished),
                    sha or "0" * 40,
                    kind,
                    kind,
                    "",
                    flag_true,
                )
            )
            if rng.random() < 0.02:
                incident_id += 1
                began_at = finished + rng.uniform(600, 36000)
                incidents.append(
                    (
                        incident_id,
                        s,
                        f"i{incident_id}",
                        "bench",
                        fmt(began_at),
                        fmt(began_at + rng.uniform(600, 86400)),
                        "sev2",
                        f"d{n}" if rng.random() < 0.5 else None,
                    )
                )
        yield "delivery_deployment", dep_cols, deps
        yield "delivery_commit", commit_cols, commits
        yield "delivery_incident", incident_cols, incidents


def load_sqlite(path: Path) -> Database:
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    for table, columns, rows in generate(_sqlite_time):
        marks = ", ".join("?" * len(columns))
        conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    return Database(f"sqlite:///{path}")


def load_postgres(schema: str) -> Database | None:
    try:
        admin = create_engine(PG, connect_args={"connect_timeout": 3})
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # reported, not hidden: the benchmark still prints SQLite's figures
        print(f"PostgreSQL at {PG} is unavailable ({type(exc).__name__}); skipped")
        return None
    url = f"{PG}?options=-csearch_path%3D{schema}"
    engine = create_engine(url)
    upgrade(engine)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, columns, rows in generate(_pg_time):
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    engine.dispose()
    return Database(url)


def floor(db: Database, scope: Scope, window: Window) -> float:
    started = time.perf_counter()
    with db.session() as session:
        queries.load(session, queries.services_in(session, scope), window)
    return time.perf_counter() - started


def ours(db: Database, service: str | None, window: Window) -> tuple[float, float, dict[str, Any]]:
    """Wall time and this process's CPU time (SQLite's work included; PostgreSQL's server is not)."""
    started, cpu = time.perf_counter(), time.process_time()
    with db.session() as session:
        doc = delivery_metrics(session, scope_of(session, services=[service] if service else []), window)
    return time.perf_counter() - started, time.process_time() - cpu, doc


def report(name: str, db: Database) -> None:
    windows = [("90 days", Window(END - dt.timedelta(days=90), END))]
    if os.environ.get("MISSIONOS_BENCH_FULL_YEAR"):
        windows.append(("365 days", Window(END - dt.timedelta(days=365), END)))
    for label, window in windows:
        for scope, service in ((Scope("org"), None), (Scope("service", "svc-007"), "svc-007")):
            best, cpu, doc = min((ours(db, service, window) for _ in range(2)), key=lambda r: r[0])
            base = min(floor(db, scope, window) for _ in range(2))
            what = "organization" if service is None else "one service"
            deployments, changes = doc["deployment_frequency"]["count"], doc["lead_time"]["count"]
            print(
                f"{name:10} {label:8} {what:12} {best:7.2f} s (cpu {cpu:6.2f} s)  "
                f"({deployments:,} deployments, {changes:,} changes, {changes / best:,.0f} changes/s)"
                f"  load floor {base:6.2f} s  ratio {best / base:4.2f}x"
            )


def sqlite_database() -> Database:
    """The generated SQLite organization, kept between runs under $MISSIONOS_BENCH_DIR (it takes minutes)."""
    base = Path(os.environ.get("MISSIONOS_BENCH_DIR", tempfile.gettempdir())) / "missionos-bench"
    base.mkdir(parents=True, exist_ok=True)
    path = base / f"metrics-{SCALE:g}.db"
    done = path.with_name(path.name + ".complete")
    if path.exists() and done.exists():
        print(f"SQLite organization reused from {path}")
        return Database(f"sqlite:///{path}")
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    db = load_sqlite(path)
    done.write_text("ok")
    print(f"SQLite loaded in {time.perf_counter() - started:.1f} s")
    return db


def main() -> None:
    print(
        f"work: {SERVICES} services, {DEPLOYMENTS:,} production deployments, {CHANGES:,} changes over a year"
    )
    sqlite = sqlite_database()
    report("SQLite", sqlite)
    sqlite.dispose()
    schema = f"bench_delivery_{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    pg = load_postgres(schema)
    if pg is None:
        return
    try:
        print(f"PostgreSQL loaded in {time.perf_counter() - started:.1f} s")
        report("PostgreSQL", pg)
    finally:
        pg.dispose()
        admin = create_engine(PG)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
