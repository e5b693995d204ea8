"""Signed GitHub webhooks into `missionos serve --workers 2`, on PostgreSQL and then SQLite, side by side.

Work: `MISSIONOS_BENCH_DELIVERIES` deliveries (default 20,000; deployment_status and pull_request events for
the demo organization's services), 10% of them sent twice and 1% badly signed, from 8 concurrent clients on
loopback. Reports deliveries/s, p50/p99 latency, the count stored (which must equal the unique, well-signed
deliveries), and the p95 latency of the Delivery and home pages under 8 concurrent readers with the demo
organization loaded. PostgreSQL runs in its own schema of `MISSIONOS_BENCH_PG` (default: the test server);
`MISSIONOS_BENCH_BACKENDS=sqlite` (or `postgresql`) runs one backend only;
`MISSIONOS_BENCH_PROCESSOR=workers` maps deliveries inside the web workers instead of in `serve`'s own
processor process.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select, text
from tests.conftest import wait_healthy

from missionos.accounts import settings
from missionos.demo import load_demo
from missionos.ingest.models import WebhookDelivery
from missionos.store import open_database

SECRET = "benchmark-webhook-secret-0123456789"
CLIENTS = 8
READERS = 8
PG_URL = os.environ.get("MISSIONOS_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PROCESSOR = os.environ.get("MISSIONOS_BENCH_PROCESSOR", "process")
GOAL = 500.0  # deliveries/s on PostgreSQL, from the issue


@dataclass(frozen=True)
class Request:
    delivery_id: str
    event: str
    body: bytes
    signature: str


@dataclass
class Result:
    backend: str
    requests: int
    seconds: float
    processed_by: float
    latencies: list[float]
    stored: int
    expected: int
    statuses: dict[str, int]
    refused: int
    page_p95: dict[str, float]


def _sign(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def _deployment(n: int, service: str, sha: str, at: dt.datetime) -> dict[str, Any]:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "action": "created",
        "deployment_status": {"id": n, "state": "success", "environment": "production", "created_at": stamp},
        "deployment": {
            "id": 10_000_000 + n,
            "sha": sha,
            "ref": "main",
            "task": "deploy",
            "payload": {},
            "environment": "production",
            "created_at": stamp,
        },
        "repository": {"name": service, "full_name": f"agency/{service}"},
        "sender": {"login": "deploy-bot"},
    }


def _pull_request(n: int, service: str, at: dt.datetime) -> dict[str, Any]:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "action": "opened",
        "number": 100_000 + n,
        "pull_request": {
            "number": 100_000 + n,
            "title": f"Change {n}",
            "user": {"login": "dev"},
            "labels": [],
            "created_at": stamp,
            "merged_at": None,
        },
        "repository": {"name": service, "full_name": f"agency/{service}"},
        "sender": {"login": "dev"},
    }


def workload(size: int, commits: dict[str, list[tuple[str, dt.datetime]]]) -> tuple[list[Request], int]:
    """The requests to send (shuffled) and how many unique, well-signed deliveries they hold."""
    rng = random.Random(8)
    services = sorted(commits)
    unique = []
    for n in range(size):
        service = services[n % len(services)]
        sha, at = commits[service][rng.randrange(len(commits[service]))]
        at = at + dt.timedelta(minutes=30)
        if n % 2:
            event, doc = "pull_request", _pull_request(n, service, at)
        else:
            event, doc = "deployment_status", _deployment(n, service, sha, at)
        body = json.dumps(doc).encode()
        unique.append(Request(str(uuid.UUID(int=rng.getrandbits(128))), event, body, _sign(body)))
    bad = set(rng.sample(range(size), size // 100))
    twice = rng.sample([i for i in range(size) if i not in bad], size // 10)
    requests = [
        Request(r.delivery_id, r.event, r.body, "sha256=" + "0" * 64) if i in bad else r
        for i, r in enumerate(unique)
    ]
    requests += [requests[i] for i in twice]
    rng.shuffle(requests)
    return requests, size - len(bad)


class _Connection:
    """A minimal HTTP/1.1 keep-alive client over asyncio streams, so that the load generator, which shares the
    machine's cores with the server, spends as little of them as it can (httpx costs about 1 ms a request)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = await self.reader.readexactly(length)
        if b"connection: close" in head.lower():
            await self.close()
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _raw_post(port: int, r: Request) -> bytes:
    head = (
        f"POST /hooks/github HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\n"
        f"x-github-event: {r.event}\r\nx-github-delivery: {r.delivery_id}\r\n"
        f"x-hub-signature-256: {r.signature}\r\ncontent-length: {len(r.body)}\r\n\r\n"
    )
    return head.encode() + r.body


async def _send(port: int, requests: list[Request]) -> tuple[list[float], dict[int, int], float]:
    queue = [_raw_post(port, r) for r in reversed(requests)]
    latencies: list[float] = []
    codes: dict[int, int] = {}

    async def client() -> None:
        connection = _Connection("127.0.0.1", port)
        try:
            while queue:
                raw = queue.pop()
                started = time.perf_counter()
                status, _ = await connection.request(raw)
                latencies.append(time.perf_counter() - started)
                codes[status] = codes.get(status, 0) + 1
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return latencies, codes, time.perf_counter() - started


async def _read(url: str, path: str, count: int) -> list[float]:
    latencies: list[float] = []
    remaining = [count]

    async def reader() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            while remaining[0] > 0:
                remaining[0] -= 1
                started = time.perf_counter()
                response = await http.get(path, headers={"accept": "text/html"})
                response.raise_for_status()
                latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(reader() for _ in range(READERS)))
    return latencies


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _serve(url: str, home: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MISSIONOS_HOME": str(home), "MISSIONOS_DATABASE_URL": url}
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "missionos.cli", "serve", "--port", str(port), "--workers", "2"),
            *("--hooks-processor", PROCESSOR),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    if wait_healthy(f"http://127.0.0.1:{port}", timeout=120):
        return proc
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError("missionos serve did not start")


def run(backend: str, url: str, home: Path, size: int, page_reads: int) -> Result:
    db = open_database(url)
    print(f"[{backend}] loading the demo organization…", flush=True)
    org = load_demo(db, seed=7, home=home, today=dt.date(2026, 11, 24))
    commits = {s.name: org.commits(s.name) for s in org.services if org.commits(s.name)}
    with db.session() as session:
        settings.set_hook_secret(session, "github", SECRET, actor="benchmark")
    requests, expected = workload(size, commits)
    db.dispose()
    from tests.conftest import free_port, stop_group

    port = free_port()
    proc = _serve(url, home, port)
    base = f"http://127.0.0.1:{port}"
    try:
        print(f"[{backend}] sending {len(requests):,} requests from {CLIENTS} clients…", flush=True)
        latencies, codes, seconds = asyncio.run(_send(port, requests))
        started = time.perf_counter()
        while httpx.get(f"{base}/api/v1/hooks/deliveries?limit=1", timeout=60).json()["counts"]["received"]:
            time.sleep(0.2)
        processed_by = seconds + time.perf_counter() - started
        page_p95 = {}
        for name, path in (("delivery", "/delivery"), ("home", "/")):
            page_p95[name] = _p(asyncio.run(_read(base, path, page_reads)), 0.95)
    finally:
        stop_group(proc, timeout=60)
    db = open_database(url)
    with db.session() as session:
        stored = session.scalar(select(func.count()).select_from(WebhookDelivery)) or 0
        statuses = dict(
            session.execute(
                select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
            ).all()
        )
    db.dispose()
    return Result(
        backend,
        len(requests),
        seconds,
        processed_by,
        latencies,
        stored,
        expected,
        statuses,
        codes.get(401, 0),
        page_p95,
    )


def report(r: Result) -> None:
    rate = r.requests / r.seconds
    print(
        f"[{r.backend}] {r.requests:,} requests in {r.seconds:.1f} s = {rate:,.0f} deliveries/s; "
        f"latency p50 {_p(r.latencies, 0.5):.1f} ms, p99 {_p(r.latencies, 0.99):.1f} ms; "
        f"refused (401) {r.refused:,}"
    )
    print(
        f"[{r.backend}] all mapped onto delivery records {r.processed_by:.1f} s after the first request "
        f"({r.expected / r.processed_by:,.0f} deliveries/s end to end)"
    )
    verdict = "OK" if r.stored == r.expected else "MISMATCH"
    print(f"[{r.backend}] stored {r.stored:,}; unique well-signed {r.expected:,}: {verdict}; {r.statuses}")
    print(
        f"[{r.backend}] page p95 under {READERS} readers: "
        + ", ".join(f"{k} {v:.0f} ms" for k, v in r.page_p95.items())
    )


def main() -> None:
    size = int(os.environ.get("MISSIONOS_BENCH_DELIVERIES", "20000"))
    page_reads = int(os.environ.get("MISSIONOS_BENCH_PAGE_READS", "400"))
    print(f"work: {size:,} deliveries (+10% resent, 1% badly signed), {CLIENTS} clients, serve --workers 2")
    backends = os.environ.get("MISSIONOS_BENCH_BACKENDS", "postgresql,sqlite").split(",")
    results = {}
    if "postgresql" in backends:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_URL)
        try:
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            with tempfile.TemporaryDirectory() as tmp:
                url = f"{PG_URL}?options=-csearch_path%3D{schema}"
                results["postgresql"] = run("postgresql", url, Path(tmp), size, page_reads)
            report(results["postgresql"])
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()
    settings.forget_cached_keys()
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory() as tmp:
            results["sqlite"] = run(
                "sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp), size, page_reads
            )
        report(results["sqlite"])
    if len(results) < 2:
        return
    pg, lite = results["postgresql"], results["sqlite"]
    pg_rate, lite_rate = pg.requests / pg.seconds, lite.requests / lite.seconds
    print(
        f"ratio PostgreSQL / SQLite: {pg_rate / lite_rate:.2f}x; PostgreSQL against the {GOAL:.0f}/s goal: "
        f"{pg_rate / GOAL:.2f}x"
    )
