"""How long the demo organization takes to load, against `git fast-import` of the same repositories alone,
with the time of each context's step (wall and this process's CPU) so that the slowest is plain."""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
import time
from pathlib import Path

from missionos.demo import load_demo
from missionos.demo.org import DemoOrg
from missionos.demo.repos import ensure_repositories
from missionos.store import open_database


def main() -> None:
    today = dt.date(2026, 11, 24)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        started = time.perf_counter()
        org = DemoOrg(db=None, seed=7, home=base / "repos-only", today=today)  # type: ignore[arg-type]
        ensure_repositories(org)
        repos_only = time.perf_counter() - started
        commits = sum(len(org.commits(s.name)) for s in org.services)

        db = open_database(f"sqlite:///{base / 'demo.db'}")
        steps: list[tuple[str, float, float]] = []

        def step(name: str) -> None:
            steps.append((name, time.perf_counter(), time.process_time()))

        started = time.perf_counter()
        load_demo(db, seed=7, home=base / "full", today=today, progress=step)
        full = time.perf_counter() - started
        steps.append(("", time.perf_counter(), time.process_time()))
        started = time.perf_counter()
        load_demo(db, seed=7, home=base / "full", today=today)
        again = time.perf_counter() - started
    print(f"work: {len(org.services)} repositories, {commits} commits, 180 days")
    print(f"repositories alone (baseline): {repos_only:.2f} s ({commits / repos_only:,.0f} commits/s)")
    print(f"full demo load: {full:.2f} s; ratio to baseline {full / repos_only:.2f}x")
    print(f"second load (idempotent, nothing to do): {again:.2f} s")
    for (name, wall, cpu), (_, next_wall, next_cpu) in itertools.pairwise(steps):
        print(
            f"  {name:<14} {next_wall - wall:6.2f} s wall, {next_cpu - cpu:6.2f} s CPU "
            f"({(next_wall - wall) / full:5.1%} of the load)"
        )
