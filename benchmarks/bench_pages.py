"""The home page (`/`, the one-page plan) and the Delivery page (`/delivery`) under concurrent readers.

Work: the demo organization loaded into a temporary `MISSIONOS_HOME` (SQLite), `missionos serve` on a free
port (`MISSIONOS_BENCH_WORKERS` worker processes, default 1), then for each page one reader alone and then
`MISSIONOS_BENCH_READERS` (default 8) concurrent readers (httpx, one thread each), every reader fetching the
page `MISSIONOS_BENCH_PAGE_READS` times (default 20). Prints requests, wall time, requests/s, p50/p95 latency,
and the p95 and throughput of the concurrent run against the single reader, measured side by side.
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

import httpx

from missionos.demo import load_demo
from missionos.store import open_database

PAGES = ("/", "/delivery")


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
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
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


def _line(path: str, run: Run) -> str:
    return (
        f"{path:<10} {run.readers} reader(s): {run.requests:>4} requests in {run.seconds:6.2f} s = "
        f"{run.rate:6.1f} req/s, p50 {run.quantile(0.5) * 1000:7.1f} ms, "
        f"p95 {run.quantile(0.95) * 1000:7.1f} ms, mean {statistics.fmean(run.latencies) * 1000:7.1f} ms"
    )


def main() -> None:
    readers = int(os.environ.get("MISSIONOS_BENCH_READERS", "8"))
    each = int(os.environ.get("MISSIONOS_BENCH_PAGE_READS", "20"))
    workers = int(os.environ.get("MISSIONOS_BENCH_WORKERS", "1"))
    with tempfile.TemporaryDirectory(prefix="missionos-bench-pages-") as tmp:
        home = Path(tmp)
        db = open_database(f"sqlite:///{home / 'missionos.db'}")
        print("loading the demo organization…", flush=True)
        load_demo(db, seed=7, home=home, today=dt.datetime.now(dt.UTC).date())
        db.dispose()
        port = _free_port()
        proc = _serve(home, port, workers)
        base = f"http://127.0.0.1:{port}"
        print(
            f"work: {len(PAGES)} pages, 1 reader then {readers} readers, "
            f"{each} reads each, {workers} worker(s)"
        )
        try:
            for path in PAGES:
                read(base, path, 1, 2)  # warm up
                alone = read(base, path, 1, each)
                crowd = read(base, path, readers, each)
                print(_line(path, alone))
                print(_line(path, crowd))
                slower, faster = crowd.quantile(0.95) / alone.quantile(0.95), crowd.rate / alone.rate
                print(
                    f"{path:<10} {readers} readers vs 1: p95 x{slower:.2f}, throughput x{faster:.2f}",
                    flush=True,
                )
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


if __name__ == "__main__":
    main()
