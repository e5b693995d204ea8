"""Flow at scale: CSV import rate, `flow metrics` on one stream of 100,000 items, and drawing the VSM.

Work: N items with 10 transitions each (N = BENCH_FLOW_ITEMS, default 1,000,000, so 10,000,000 transitions)
in teams of 100,000 items; one stream per team. Peers measured side by side in the same run:
- import: the same rows inserted with plain sqlite3 `executemany` (no parsing, no validation, no upsert);
- metrics: reading the stream's transitions with plain sqlite3 and nothing else (the floor under any
  computation), and the record-level path (`load_items` → `item_flow` per item → `stream_figures`: one
  object per transition, every item of the team), which is how `flow metrics` computed before.
Wall time and this process's CPU time are both printed: on a shared machine the CPU time is the steadier.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from missionos.flow import metrics, service, vsm
from missionos.flow.importers.csvfiles import import_csv
from missionos.flow.metrics import StreamFigures
from missionos.flow.records import StreamDefinition, StreamEntry
from missionos.measures import Window
from missionos.store import Database, open_database

PATH = ["Ready A", "Doing A", "Doing B", "Ready C", "Doing C", "Ready D", "Doing D", "Review", "Done"]
STREAM_TEMPLATE = (
    StreamEntry("A", ("Ready A",), "wait"),
    StreamEntry("A", ("Doing A",), "active"),
    StreamEntry("B", ("Doing B",), "active"),
    StreamEntry("C", ("Ready C",), "wait"),
    StreamEntry("C", ("Doing C",), "active"),
    StreamEntry("D", ("Ready D",), "wait"),
    StreamEntry("D", ("Doing D",), "active"),
    StreamEntry("Review", ("Review",), "active"),
)
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def generate(items_path: Path, moves_path: Path, n: int, per_team: int) -> int:
    rng = random.Random(7)
    moves = 0
    with items_path.open("w", newline="") as fi, moves_path.open("w", newline="") as fm:
        wi, wm = csv.writer(fi), csv.writer(fm)
        wi.writerow(["id", "type", "title", "created_at", "team"])
        wm.writerow(["item", "from_status", "to_status", "at"])
        for k in range(n):
            created = START + dt.timedelta(seconds=rng.random() * 300 * 86400)
            key = f"W-{k}"
            wi.writerow(
                [key, "Story" if k % 4 else "Bug", f"item {k}", created.isoformat(), f"team-{k // per_team}"]
            )
            wm.writerow([key, "", "Todo", created.isoformat()])
            previous, at = "Todo", created
            for status in PATH:
                at += dt.timedelta(seconds=rng.expovariate(1 / 40000))
                wm.writerow([key, previous, status, at.isoformat()])
                previous = status
            moves += 1 + len(PATH)
    return moves


def peer_import(db_path: Path, items_path: Path, moves_path: Path) -> float:
    started = time.perf_counter()
    con = sqlite3.connect(db_path)
    con.execute(
        "CREATE TABLE i (id INTEGER PRIMARY KEY, key TEXT UNIQUE, type TEXT, title TEXT, c TEXT, team TEXT)"
    )
    con.execute("CREATE TABLE t (item TEXT, f TEXT, s TEXT, at TEXT)")
    with items_path.open() as fh:
        rows = csv.reader(fh)
        next(rows)
        con.executemany("INSERT INTO i (key, type, title, c, team) VALUES (?,?,?,?,?)", rows)
    with moves_path.open() as fh:
        rows = csv.reader(fh)
        next(rows)
        con.executemany("INSERT INTO t VALUES (?,?,?,?)", rows)
    con.commit()
    con.close()
    return time.perf_counter() - started


def sql_floor(path: Path, team: str) -> tuple[float, float, int]:
    """Read the stream's transitions in time order with plain sqlite3, computing nothing."""
    started, cpu = time.perf_counter(), time.process_time()
    con = sqlite3.connect(path)
    rows = con.execute(
        "SELECT t.item_id, t.from_status, t.to_status, t.at FROM flow_transition t WHERE t.item_id IN "
        "(SELECT i.id FROM flow_work_item i WHERE lower(i.team) = ?) ORDER BY t.item_id, t.at",
        (team,),
    ).fetchall()
    con.close()
    return time.perf_counter() - started, time.process_time() - cpu, len(rows)


def record_path(db: Database, stream: StreamDefinition, window: Window) -> tuple[float, float, int]:
    """The record-level path: TransitionRecords for every item of the team, `item_flow` on each."""
    started, cpu = time.perf_counter(), time.process_time()
    with db.session() as session:
        loaded = service.load_items(session, stream.team)
    index = metrics.StreamIndex(stream)
    flows = [metrics.item_flow(li.record, li.transitions, index) for li in loaded]
    metrics.stream_figures(flows, stream, window)
    return time.perf_counter() - started, time.process_time() - cpu, len(loaded)


def timed_metrics(db: Database, window: Window) -> tuple[float, float, StreamFigures]:
    started, cpu = time.perf_counter(), time.process_time()
    with db.session() as session:
        figures = service.stream_metrics(session, "bench", window)
    return time.perf_counter() - started, time.process_time() - cpu, figures


def main() -> None:
    n = int(os.environ.get("BENCH_FLOW_ITEMS", "1000000"))
    per_team = min(n, 100_000)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        items_path, moves_path = base / "items.csv", base / "moves.csv"
        started = time.perf_counter()
        moves = generate(items_path, moves_path, n, per_team)
        print(
            f"work: {n:,} items, {moves:,} transitions, {n // per_team} teams of {per_team:,} "
            f"(generated in {time.perf_counter() - started:.1f} s)"
        )

        db = open_database(f"sqlite:///{base / 'flow.db'}")
        started = time.perf_counter()
        with db.session() as session:
            import_csv(session, items_path, moves_path)
        took = time.perf_counter() - started
        peer = peer_import(base / "peer.db", items_path, moves_path)
        print(
            f"import csv: {took:.1f} s, {moves / took:,.0f} transitions/s "
            f"(plain sqlite3 executemany, no parsing: {peer:.1f} s, {moves / peer:,.0f}/s; "
            f"ratio {took / peer:.1f}x)"
        )

        stream = StreamDefinition("bench", "team-0", ("Done",), STREAM_TEMPLATE)
        with db.session() as session:
            service.apply_stream(session, stream)
        window = Window(START, START + dt.timedelta(days=400))
        quarter = Window(START + dt.timedelta(days=200), START + dt.timedelta(days=290))
        floor, floor_cpu, rows = sql_floor(base / "flow.db", "team-0")
        record, record_cpu, loaded = record_path(db, stream, window)
        took, took_cpu, figures = timed_metrics(db, window)
        print(
            f"flow metrics, one stream of {loaded:,} items ({rows:,} transitions), whole history: "
            f"{took:.2f} s wall, {took_cpu:.2f} s CPU ({loaded / took:,.0f} items/s); "
            f"plain sqlite3 read alone {floor:.2f} s ({floor_cpu:.2f} s CPU), ratio {took / floor:.1f}x; "
            f"record-level path {record:.2f} s ({record_cpu:.2f} s CPU), ratio {record / took:.1f}x slower; "
            f"goal <10 s {'met' if took < 10 else 'missed'}"
        )
        q_took, q_cpu, q_figures = timed_metrics(db, quarter)
        print(
            f"flow metrics, a 90-day window of the same stream: {q_took:.2f} s wall, {q_cpu:.2f} s CPU "
            f"({q_figures.items_done:,} items done in it; items done before it are not read)"
        )
        started = time.perf_counter()
        svg = vsm.render(figures)
        draw = time.perf_counter() - started
        print(
            f"draw the VSM: {draw * 1000:.1f} ms ({len(svg):,} bytes; {figures.items_done:,} items done; "
            f"ratio to metrics {draw / took:.4f})"
        )
