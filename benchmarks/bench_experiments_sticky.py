"""OFREP bulk evaluation with server-side sticky bucketing on and off, side by side, on SQLite and PostgreSQL.

The flags are `bench_experiments_eval`'s feature set (20 flags: defaults, conditions, 5% rollouts and five
experiments). "off" serves them as they are; "on" gives the five experiment rules a `bucketVersion`, so they
are sticky. Each user's request is what `POST /ofrep/v1/evaluate/flags` does: one transaction that reads the
flags, reads the user's sticky-bucket document, evaluates every flag and, on a first visit, upserts the new
assignments. Reported: first visits (every user's document written) and return visits (read, nothing written),
against "off" (no sticky-bucket read or write at all). `MISSIONOS_BENCH_USERS` sets the number of users
(default 2,000); PostgreSQL at `MISSIONOS_BENCH_PG`, default the test server.
"""

from __future__ import annotations

import copy
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

from benchmarks.bench_experiments_eval import feature_set, users
from missionos.experiments import service
from missionos.experiments.models import StickyBucket
from missionos.store import Database
from missionos.store.migrate import upgrade

USERS = int(os.environ.get("MISSIONOS_BENCH_USERS", "2000"))
PG = os.environ.get("MISSIONOS_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def flags(sticky: bool) -> list[dict[str, Any]]:
    found = []
    for key, definition in feature_set().items():
        definition = copy.deepcopy(definition)
        for rule in definition.get("rules", []):
            if sticky and "variations" in rule:
                rule["bucketVersion"] = 0
        found.append({"key": key, **definition})
    return found


def prepare(db: Database, sticky: bool) -> None:
    upgrade(db.engine)
    with db.session() as session:
        service.apply_document(session, {"flags": flags(sticky)}, actor="bench")


def serve(db: Database, people: list[dict[str, Any]]) -> tuple[float, list[Any]]:
    """One OFREP bulk request per user, each in its own transaction; the time and every value served."""
    values: list[Any] = []
    started = time.perf_counter()
    for attrs in people:
        context = {"targetingKey": attrs["id"], **{k: v for k, v in attrs.items() if k != "id"}}
        with db.session() as session:
            answer, _ = service.ofrep_flags(session, context)
        assert answer is not None
        values.extend(f["value"] for f in answer)
    return time.perf_counter() - started, values


def documents(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(StickyBucket)) or 0)


def report(name: str, open_db: Callable[[str], Database]) -> None:
    people = users(USERS)
    off, on = open_db("off"), open_db("on")
    try:
        prepare(off, sticky=False)
        prepare(on, sticky=True)
        serve(off, people[:50])  # warm the connection pools and the code paths alike
        serve(on, people[:50])
        with on.session() as session:
            session.execute(StickyBucket.__table__.delete())
        t_off, v_off = serve(off, people)
        t_first, v_first = serve(on, people)
        written = documents(on)
        t_again, v_again = serve(on, people)
        assert documents(off) == 0, "sticky bucketing off wrote documents"
        assert v_off == v_first == v_again, "unchanged weights: every mode serves the same values"
        assert documents(on) == written, "return visits wrote documents"
        n_flags = len(v_off) // len(people)
        print(f"{name}: {len(people):,} users x {n_flags} flags, one bulk request per user")
        for label, seconds in (
            ("sticky off", t_off),
            ("sticky on, first visit", t_first),
            ("sticky on, return visit", t_again),
        ):
            print(
                f"  {label:24} {seconds:6.2f} s  {len(people) / seconds:>8,.0f} requests/s"
                f"  {len(v_off) / seconds:>9,.0f} flags/s  ratio vs off {seconds / t_off:4.2f}x"
            )
        print(
            f"  documents written on first visits: {written:,} (none on return visits, none with sticky off)"
        )
    finally:
        off.dispose()
        on.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        report("SQLite", lambda mode: Database(f"sqlite:///{Path(tmp) / f'{mode}.db'}"))
    schemas: list[str] = []
    try:
        admin = create_engine(PG, connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # reported, not hidden: the SQLite figures stand alone
        print(f"PostgreSQL at {PG} is unavailable ({type(exc).__name__}); skipped")
        return

    def postgres(mode: str) -> Database:
        schema = f"bench_sticky_{mode}_{uuid.uuid4().hex[:8]}"
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        schemas.append(schema)
        return Database(f"{PG}?options=-csearch_path%3D{schema}")

    try:
        report("PostgreSQL", postgres)
    finally:
        with admin.begin() as conn:
            for schema in schemas:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
