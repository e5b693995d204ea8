"""How long the demo organization takes to load, against `git fast-import` of the same repositories alone."""

from __future__ import annotations

import datetime as dt
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
        started = time.perf_counter()
        load_demo(db, seed=7, home=base / "full", today=today)
        full = time.perf_counter() - started
        started = time.perf_counter()
        load_demo(db, seed=7, home=base / "full", today=today)
        again = time.perf_counter() - started
    print(f"work: {len(org.services)} repositories, {commits} commits, 180 days")
    print(f"repositories alone (baseline): {repos_only:.2f} s ({commits / repos_only:,.0f} commits/s)")
    print(f"full demo load: {full:.2f} s; ratio to baseline {full / repos_only:.2f}x")
    print(f"second load (idempotent, nothing to do): {again:.2f} s")
