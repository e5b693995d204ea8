"""`missionos demo`: real git repositories, deterministic for a seed, idempotent."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from sqlalchemy import func, select

from missionos.delivery.models import Repository, Service, Team
from missionos.demo import load_demo
from missionos.store import Database

TODAY = dt.date(2026, 11, 24)


def _counts(db: Database) -> tuple[int, int, int]:
    with db.session() as s:
        return (
            s.scalar(select(func.count()).select_from(Team)) or 0,
            s.scalar(select(func.count()).select_from(Service)) or 0,
            s.scalar(select(func.count()).select_from(Repository)) or 0,
        )


def test_demo_builds_teams_services_and_real_repositories(db: Database, tmp_path: Path) -> None:
    org = load_demo(db, seed=7, home=tmp_path, today=TODAY)
    assert _counts(db) == (4, 5, 5)
    commits = org.commits("payments-batch")
    assert len(commits) > 300
    assert commits[0][1].date() == TODAY - dt.timedelta(days=180)
    assert all(c[1].date() < TODAY for c in commits)
    log = subprocess.run(
        ["git", "-C", str(org.repo_path("intake-web")), "log", "--format=%an", "-n", "50"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    assert len({a for a in log if a}) > 1, "several people commit"


def test_demo_twice_duplicates_nothing(db: Database, tmp_path: Path) -> None:
    first = load_demo(db, seed=7, home=tmp_path, today=TODAY)
    head = first.commits("intake-web")[-1][0]
    second = load_demo(db, seed=7, home=tmp_path, today=TODAY)
    assert _counts(db) == (4, 5, 5)
    assert second.commits("intake-web")[-1][0] == head


def test_same_seed_same_history_other_seed_other_history(db: Database, tmp_path: Path) -> None:
    a = load_demo(db, seed=7, home=tmp_path / "a", today=TODAY).commits("eligibility-engine")
    b = load_demo(db, seed=7, home=tmp_path / "b", today=TODAY).commits("eligibility-engine")
    c = load_demo(db, seed=8, home=tmp_path / "c", today=TODAY).commits("eligibility-engine")
    assert [sha for sha, _ in a] == [sha for sha, _ in b]
    assert [sha for sha, _ in a] != [sha for sha, _ in c]
