"""Git import rate: `missionos delivery import git` against `git log` (the floor) and PyDriller.

A generated repository of 60,000 commits (set `MISSIONOS_BENCH_GIT_COMMITS` for a quick run), each
touching one to three of 400 files in 20 directories, written with `git fast-import` and kept between runs
under `$MISSIONOS_BENCH_DIR` (default: the system temp directory).

- floor: `git log` streaming the very fields the importer reads (sha, parents, author, both times with
  offsets, message, touched files) to /dev/null;
- ours: the importer end to end (git log, parsing, inserting every commit into a fresh SQLite database);
- peer: PyDriller walking the first 2,000 commits, with and without their modified files.
"""

from __future__ import annotations

import os
import random
import subprocess
import tempfile
import time
from pathlib import Path

from missionos.delivery import gitlog
from missionos.delivery.service import import_git
from missionos.store import open_database

COMMITS = int(os.environ.get("MISSIONOS_BENCH_GIT_COMMITS", "60000"))
PEER_COMMITS = min(2000, COMMITS)


def build_repository(path: Path, commits: int) -> None:
    """A linear history of `commits` commits with realistic messages and touched files, via fast-import."""
    rng = random.Random(42)
    files = [f"dir{d:02d}/module{m:02d}.py" for d in range(20) for m in range(20)]
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    proc = subprocess.Popen(["git", "-C", str(path), "fast-import", "--quiet"], stdin=subprocess.PIPE)
    assert proc.stdin is not None
    moment = 1_600_000_000
    for mark in range(1, commits + 1):
        moment += rng.randint(60, 3600)
        offset = rng.choice(("+0000", "+0200", "-0500", "+0530"))
        author = f"Person {rng.randint(1, 300)}"
        message = f"Change {mark}: adjust {rng.choice(files)}\n\nLonger explanation of change {mark}.\n"
        out = [
            "commit refs/heads/main\n",
            f"mark :{mark}\n",
            f"author {author} <p{mark % 300}@example.org> {moment} {offset}\n",
            f"committer {author} <p{mark % 300}@example.org> {moment + 30} {offset}\n",
            f"data {len(message.encode())}\n{message}",
        ]
        if mark > 1:
            out.append(f"from :{mark - 1}\n")
        for name in rng.sample(files, rng.randint(1, 3)):
            blob = f"# {name} at change {mark}\n"
            out.append(f"M 100644 inline {name}\ndata {len(blob)}\n{blob}")
        out.append("\n")
        proc.stdin.write("".join(out).encode())
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError("git fast-import failed")


def repository() -> Path:
    base = Path(os.environ.get("MISSIONOS_BENCH_DIR", tempfile.gettempdir())) / "missionos-bench"
    path = base / f"git-{COMMITS}"
    if not (path / ".git" / "bench-complete").exists():
        if path.exists():
            subprocess.run(["rm", "-rf", str(path)], check=True)
        path.mkdir(parents=True)
        started = time.perf_counter()
        build_repository(path, COMMITS)
        (path / ".git" / "bench-complete").write_text("ok")
        print(f"generated {COMMITS:,} commits in {time.perf_counter() - started:.1f} s at {path}")
    return path


def git_floor(path: Path, *, files: bool) -> float:
    args = ["git", "-C", str(path), "log", f"--format={gitlog.FORMAT}", "main"]
    if files:
        args[4:4] = ["-z", "--name-only", "--no-renames"]
    started = time.perf_counter()
    subprocess.run(args, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def pydriller_rate(path: Path, *, files: bool) -> float | None:
    try:
        from pydriller import Repository
    except ImportError:
        return None
    started = time.perf_counter()
    n = 0
    for commit in Repository(str(path), only_in_branch="main", order="reverse").traverse_commits():
        _ = (
            commit.hash,
            commit.parents,
            commit.author.name,
            commit.author_date,
            commit.committer_date,
            commit.msg,
        )
        if files:
            _ = [m.new_path or m.old_path for m in commit.modified_files]
        n += 1
        if n >= PEER_COMMITS:
            break
    return n / (time.perf_counter() - started)


def main() -> None:
    path = repository()
    total = int(
        subprocess.run(
            ["git", "-C", str(path), "rev-list", "--count", "main"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    floor_files = min(git_floor(path, files=True) for _ in range(2))
    floor_plain = git_floor(path, files=False)
    started = time.perf_counter()
    parsed = sum(1 for _ in gitlog.read_commits(path, ["main"]))
    parse_only = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        started = time.perf_counter()
        with db.session() as session:
            summary = import_git(session, path, service="bench", branch="main")
        ours = time.perf_counter() - started
        started = time.perf_counter()
        with db.session() as session:
            again = import_git(session, path, service="bench", branch="main")
        rerun = time.perf_counter() - started
        db.dispose()
    assert summary.inserted == total == parsed and again.inserted == 0
    rate, floor_rate = total / ours, total / floor_files
    print(f"work: {total:,} commits with touched files ({path})")
    print(f"git log, commit fields only:        {floor_plain:6.2f} s  {total / floor_plain:10,.0f} commits/s")
    print(f"git log, same fields + files (floor): {floor_files:4.2f} s  {floor_rate:10,.0f} commits/s")
    print(
        f"git log piped and parsed, no database: {parse_only:4.2f} s  {parsed / parse_only:9,.0f} commits/s"
    )
    print(
        f"import git into SQLite (ours):      {ours:6.2f} s  {rate:10,.0f} commits/s"
        f"  = {rate / floor_rate:.2f} of git's own rate (goal >= 0.5)"
    )
    print(f"re-run, nothing new:                {rerun:6.2f} s")
    with_files = pydriller_rate(path, files=True)
    without = pydriller_rate(path, files=False)
    if with_files is None or without is None:
        print("PyDriller is not installed (pip install -e '.[bench]'): peer not measured")
        return
    print(
        f"PyDriller, {PEER_COMMITS:,} commits with modified files: {with_files:10,.0f} commits/s"
        f"  -> ours is {rate / with_files:,.0f}x (goal >= 50x)"
    )
    print(
        f"PyDriller, {PEER_COMMITS:,} commits without files:        {without:10,.0f} commits/s"
        f"  -> ours is {rate / without:,.0f}x"
    )
