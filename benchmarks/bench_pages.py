"""Every page cold and warm against the health endpoint; the home page (`/`, the one-page plan) and the
Delivery page (`/delivery`) under concurrent readers.

Cold and warm: on the demo organization, for each page of `EVERY_PAGE` (or those named, comma-separated, in
`MISSIONOS_BENCH_PAGES`), a fresh `missionos serve` (one worker) is started and, once its health endpoint
answers, the page is fetched once (cold: the first request after a start), then `MISSIONOS_BENCH_WARM`
(default 20) times alternating with the health endpoint (warm). Prints the cold time, the warm p50 and p95,
the health endpoint's p95 measured side by side, their ratio, and the goals (warm p95 < 300 ms, cold < 1 s).

Then, work: the demo organization (as of 2026-11-24, like the server benchmark) loaded into a temporary
`MISSIONOS_HOME` (SQLite), `missionos serve` on a free port (`MISSIONOS_BENCH_WORKERS` worker processes,
default 2), then for each page one reader right after each of as many commits (so that no figure kept until
the database changes can answer: the cost while data is arriving), one reader alone, and then
`MISSIONOS_BENCH_READERS` (default 8) concurrent
readers (httpx, one thread each), every reader fetching the page `MISSIONOS_BENCH_PAGE_READS` times (default
20). Then the same on the organization the server benchmark leaves behind: the demo plus
`MISSIONOS_BENCH_EXTRA` (default 10,000; 0 skips it) production deployments and as many pull requests,
spread over the demo's services (the well-signed deliveries of the server benchmark's `workload()`, mapped
as its hooks processor maps them). Prints requests, wall time, requests/s, p50/p95 latency, the p95
and throughput of the concurrent run against the single reader, and the p95 of each page on the larger
organization against the plain demo, measured side by side.

`build(home, extra)` builds either organization into `home`, for profiling outside the benchmark.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tests.conftest import stop_group, wait_healthy

from benchmarks.bench_server import workload
from missionos.accounts.models import Setting
from missionos.demo import load_demo
from missionos.ingest import batches, inbox
from missionos.store import Database, open_database, utcnow

PAGES = ("/", "/delivery")
EVERY_PAGE = (
    "/",
    "/delivery",
    "/delivery/services/intake-web",
    "/delivery/teams/Intake",
    "/flow",
    "/flow/streams/claims",
    "/experiments",
    "/experiments/guided-intake",
    "/experiments/flags",
    "/compliance",
    "/compliance/benefits-portal",
    "/strategy",
    "/strategy/plans/benefits-2027",
    "/friction",
    "/maps",
    "/maps/benefits-landscape",
    "/org",
)
HEALTH = "/api/v1/health"
WARM_GOAL, COLD_GOAL = 0.300, 1.0
TODAY = dt.date(2026, 11, 24)


@dataclass(frozen=True)
class Run:
    readers: int
    requests: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(home: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MISSIONOS_HOME": str(home)}
    env.pop("MISSIONOS_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "missionos.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    if wait_healthy(f"http://127.0.0.1:{port}", timeout=120):
        return proc
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError("missionos serve did not start")


def read(base: str, path: str, readers: int, each: int) -> Run:
    """`readers` threads each fetch `path` `each` times; every answer must be 200."""
    latencies: list[float] = []
    lock = threading.Lock()
    failures: list[str] = []

    def reader() -> None:
        with httpx.Client(base_url=base, timeout=120) as http:
            for _ in range(each):
                started = time.perf_counter()
                response = http.get(path)
                took = time.perf_counter() - started
                with lock:
                    latencies.append(took)
                    if response.status_code != 200:
                        failures.append(f"{path}: HTTP {response.status_code}")

    threads = [threading.Thread(target=reader) for _ in range(readers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} failed reads, first: {failures[0]}")
    return Run(readers, len(latencies), seconds, latencies)


def add_deliveries(db: Database, org: Any, extra: int, *, chunk: int = 2000) -> None:
    """`extra` production deployments and as many pull requests of the demo services' commits: the
    well-signed deliveries of the server benchmark's `workload(2 * extra)`, mapped as the hooks processor maps
    them and written through the delivery service `chunk` deliveries a transaction (the processor's SQLite
    batches of 50 would take minutes)."""
    commits = {s.name: org.commits(s.name) for s in org.services if org.commits(s.name)}
    requests, _ = workload(2 * extra, commits)
    unique = {r.delivery_id: r for r in requests if not r.signature.endswith("0" * 64)}
    batches = [
        batches.batch_of(inbox.Delivery(0, "github", r.delivery_id, r.event, {}, r.body))[1]
        for r in unique.values()
    ]
    for start in range(0, len(batches), chunk):
        with db.session() as session:
            batches.apply(session, batches.combine(batches[start : start + chunk]), source="github")


def build(home: Path, extra: int = 0) -> None:
    """The demo organization in `home` (`missionos.db`), plus `extra` deployments and pull requests."""
    db = open_database(f"sqlite:///{home / 'missionos.db'}")
    try:
        org = load_demo(db, seed=7, home=home, today=TODAY)
        if extra:
            add_deliveries(db, org, extra)
    finally:
        db.dispose()


def read_after_writes(base: str, path: str, db: Database, each: int) -> Run:
    """One reader fetching `path` `each` times, each time just after a commit, so no kept figure answers:
    what a page costs while webhooks or imports are writing."""
    latencies: list[float] = []
    started_all = time.perf_counter()
    with httpx.Client(base_url=base, timeout=120) as http:
        for n in range(each):
            with db.session() as session:
                session.merge(Setting(name="bench_pages_write", value=str(n), updated_at=utcnow()))
            started = time.perf_counter()
            response = http.get(path)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: HTTP {response.status_code}")
    return Run(1, len(latencies), time.perf_counter() - started_all, latencies)


def measure(home: Path, workers: int, readers: int, each: int) -> dict[str, Run]:
    """p95 and the rest for each page: one reader alone, then `readers` together (keys `path` and
    `path*`), then one reader right after each of `each` commits (key `path!`)."""
    port = _free_port()
    proc = _serve(home, port, workers)
    base = f"http://127.0.0.1:{port}"
    runs: dict[str, Run] = {}
    db = open_database(f"sqlite:///{home / 'missionos.db'}")
    try:
        for path in PAGES:
            read(base, path, 1, 2)  # warm up
            runs[path + "!"] = cold = read_after_writes(base, path, db, each)
            print(_line(path, cold) + " (each right after a commit)")
            runs[path] = alone = read(base, path, 1, each)
            runs[path + "*"] = crowd = read(base, path, readers, each)
            print(_line(path, alone))
            print(_line(path, crowd))
            slower, faster = crowd.quantile(0.95) / alone.quantile(0.95), crowd.rate / alone.rate
            print(
                f"{path:<10} {readers} readers vs 1: p95 x{slower:.2f}, throughput x{faster:.2f}",
                flush=True,
            )
    finally:
        stop_group(proc)
        db.dispose()
    return runs


def cold_and_warm(home: Path, pages: tuple[str, ...], warm: int) -> dict[str, tuple[float, Run, Run]]:
    """Per page: the first request to a freshly started server, then `warm` reads alternating with the health
    endpoint's; (cold seconds, the page's warm run, the health endpoint's run)."""
    found: dict[str, tuple[float, Run, Run]] = {}
    print(
        f"{'page':<34} {'cold':>8} {'warm p50':>9} {'warm p95':>9} {'health p95':>11} {'ratio':>7}  goals "
        f"(warm p95 < {WARM_GOAL * 1000:.0f} ms, cold < {COLD_GOAL:.0f} s)",
        flush=True,
    )
    for path in pages:
        port = _free_port()
        proc = _serve(home, port, 1)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as http:
                started = time.perf_counter()
                response = http.get(path)
                cold = time.perf_counter() - started
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: HTTP {response.status_code}")
                page_times, health_times = [], []
                for _ in range(warm):
                    for target, into in ((path, page_times), (HEALTH, health_times)):
                        started = time.perf_counter()
                        http.get(target).raise_for_status()
                        into.append(time.perf_counter() - started)
        finally:
            stop_group(proc)
        page_run = Run(1, warm, sum(page_times), page_times)
        health_run = Run(1, warm, sum(health_times), health_times)
        found[path] = (cold, page_run, health_run)
        p95, h95 = page_run.quantile(0.95), health_run.quantile(0.95)
        verdict = "met" if p95 < WARM_GOAL and cold < COLD_GOAL else "missed"
        print(
            f"{path:<34} {cold * 1000:6.0f}ms {page_run.quantile(0.5) * 1000:7.1f}ms {p95 * 1000:7.1f}ms "
            f"{h95 * 1000:9.1f}ms {p95 / h95:6.1f}x  {verdict}",
            flush=True,
        )
    return found


def _line(path: str, run: Run) -> str:
    return (
        f"{path:<10} {run.readers} reader(s): {run.requests:>4} requests in {run.seconds:6.2f} s = "
        f"{run.rate:6.1f} req/s, p50 {run.quantile(0.5) * 1000:7.1f} ms, "
        f"p95 {run.quantile(0.95) * 1000:7.1f} ms, mean {statistics.fmean(run.latencies) * 1000:7.1f} ms"
    )


def main() -> None:
    wanted = os.environ.get("MISSIONOS_BENCH_PAGES")
    every = tuple(wanted.split(",")) if wanted else EVERY_PAGE
    warm = int(os.environ.get("MISSIONOS_BENCH_WARM", "20"))
    readers = int(os.environ.get("MISSIONOS_BENCH_READERS", "8"))
    each = int(os.environ.get("MISSIONOS_BENCH_PAGE_READS", "20"))
    workers = int(os.environ.get("MISSIONOS_BENCH_WORKERS", "2"))
    extra = int(os.environ.get("MISSIONOS_BENCH_EXTRA", "10000"))
    print(
        f"work: {len(PAGES)} pages, 1 reader then {readers} readers, {each} reads each, {workers} worker(s); "
        f"the demo, then the demo + {extra:,} deployments and {extra:,} pull requests"
    )
    results: dict[str, dict[str, Run]] = {}
    for label, size in (("demo", 0), (f"demo+{extra}", extra)):
        if label != "demo" and not size:
            continue
        with tempfile.TemporaryDirectory(prefix="missionos-bench-pages-") as tmp:
            print(f"[{label}] loading the organization…", flush=True)
            started = time.perf_counter()
            build(Path(tmp), size)
            print(f"[{label}] loaded in {time.perf_counter() - started:.0f} s", flush=True)
            if label == "demo" and every:
                print(f"[{label}] each page cold, then warm ({warm} reads) beside the health endpoint")
                cold_and_warm(Path(tmp), every, warm)
            if each:
                results[label] = measure(Path(tmp), workers, readers, each)
    if len(results) < 2:
        return
    (small_label, small), (big_label, big) = results.items()
    for path in PAGES:
        crowd = path + "*"
        print(
            f"{path:<10} {readers} readers, p95: {small_label} {small[crowd].quantile(0.95) * 1000:.0f} ms, "
            f"{big_label} {big[crowd].quantile(0.95) * 1000:.0f} ms "
            f"(x{big[crowd].quantile(0.95) / small[crowd].quantile(0.95):.2f}); 1 reader, p50: "
            f"{small[path].quantile(0.5) * 1000:.0f} ms vs {big[path].quantile(0.5) * 1000:.0f} ms; "
            f"right after a commit, p50: {small[path + '!'].quantile(0.5) * 1000:.0f} ms vs "
            f"{big[path + '!'].quantile(0.5) * 1000:.0f} ms",
            flush=True,
        )


if __name__ == "__main__":
    main()
