"""A Jira source read again and again: `missionos sync` (incremental) against re-running the import command.

Work: N Jira issues (BENCH_SYNC_ISSUES, default 5,000), copies of the real Jira REST responses in
`tests/data/jira-rest` under new keys, served by a replaying transport that pages like Jira
(`/rest/api/2/search`, 50 a page) and honours the `updated >= "DAY"` that an incremental read adds to the JQL.
1% of the issues changed since the last read. Measured side by side in one run, each into its own SQLite file:
- the peer: `flow import jira --url --jql` (fetch everything, parse, upsert), first into an empty database and
  then again, which is what a cron line per import command does on every tick;
- `sync run`, first read (everything, plus the run record and the lease) against the peer's first run;
- `sync run`, next read (only what changed): the saving on every tick after the first.
Prints issues read, seconds, issues/s, and each ratio against the peer.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from missionos.flow.importers import jira
from missionos.flow.service import upsert_work
from missionos.flow.typemap import TypeMap
from missionos.ingest import sync
from missionos.store import Database, open_database

SHARED = Path(__file__).resolve().parents[1] / "tests" / "data" / "jira-rest"
URL = "https://jira.bench.example"
NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)


def issues(n: int) -> list[dict[str, Any]]:
    """`n` issues cloned from the real sample, 1 in 100 updated today and the rest months ago."""
    sample = [json.loads(line) for line in (SHARED / "issues.jsonl").read_text(encoding="utf-8").splitlines()]
    out = []
    for i in range(n):
        issue = copy.deepcopy(sample[i % len(sample)])
        issue["id"], issue["key"] = str(500_000 + i), f"BEN-{i + 1}"
        issue["fields"]["project"] = {"key": "BEN", "name": "Bench"}
        fresh = i % 100 == 0
        issue["fields"]["updated"] = (
            "2026-11-24T09:00:00.000+0000" if fresh else "2026-06-01T09:00:00.000+0000"
        )
        log = issue.get("changelog") or {}
        log["total"] = len(log.get("histories") or [])  # the whole history is on the page
        out.append(issue)
    return out


def transport(pool: list[dict[str, Any]], served: list[int]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        jql = request.url.params["jql"]
        chosen = pool
        if 'updated >= "' in jql:
            day = jql.split('updated >= "', 1)[1][:10]
            chosen = [i for i in pool if i["fields"]["updated"][:10] >= day]
        start, size = int(request.url.params["startAt"]), int(request.url.params["maxResults"])
        page = chosen[start : start + size]
        served[0] += len(page)
        return httpx.Response(
            200, json={"startAt": start, "maxResults": size, "total": len(chosen), "issues": page}
        )

    return httpx.MockTransport(handle)


def fresh_db(folder: Path, name: str) -> Database:
    return open_database(f"sqlite:///{folder / name}")


def peer(db: Database, pool: list[dict[str, Any]]) -> tuple[float, int]:
    """What `flow import jira --url --jql` does: fetch every issue, parse, upsert."""
    served = [0]
    started = time.perf_counter()
    client = jira.JiraClient(URL, transport=transport(pool, served))
    batch = client.search("project = BEN")
    items, moves, _notes = jira.to_records(batch, TypeMap())
    with db.session() as session:
        upsert_work(session, items, moves, source=jira.SOURCE)
    return time.perf_counter() - started, served[0]


def synced(
    db: Database, pool: list[dict[str, Any]], source: sync.Source, at: dt.datetime
) -> tuple[float, int]:
    served = [0]
    started = time.perf_counter()
    (outcome,) = sync.run(db, [source], transport=transport(pool, served), now=lambda: at)
    if outcome.status != "ok":
        raise RuntimeError(f"sync failed: {outcome.error}")
    return time.perf_counter() - started, served[0]


def line(what: str, issues_read: int, seconds: float, against: float | None) -> str:
    ratio = f", {seconds / against:5.2f}x the peer's time" if against else ""
    rate = issues_read / seconds
    return f"{what:<44} {issues_read:>6} issues in {seconds:6.2f} s = {rate:8.0f} issues/s{ratio}"


def main() -> None:
    n = int(os.environ.get("BENCH_SYNC_ISSUES", "5000"))
    pool = issues(n)
    source = sync.Source(
        "bench", "jira", dt.timedelta(hours=1), {**sync.KINDS["jira"][1], "url": URL, "jql": "project = BEN"}
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db_peer, db_sync = fresh_db(folder, "peer.db"), fresh_db(folder, "sync.db")
        try:
            peer_first, _ = peer(db_peer, pool)  # into an empty database, as the first sync read is
            peer_seconds, peer_read = peer(db_peer, pool)  # again: what every cron tick costs
            first_seconds, first_read = synced(db_sync, pool, source, NOW - dt.timedelta(hours=1))
            next_seconds, next_read = synced(db_sync, pool, source, NOW)
        finally:
            db_peer.dispose()
            db_sync.dispose()
    print(f"{n} Jira issues (1% changed since the last read), SQLite")
    print(line("peer: `flow import jira`, first run", peer_read, peer_first, None))
    print(line("peer: `flow import jira`, run again", peer_read, peer_seconds, None))
    print(line("sync run, first read (vs the peer's first)", first_read, first_seconds, peer_first))
    print(line("sync run, next read (vs the peer run again)", next_read, next_seconds, peer_seconds))
    print(f"every tick after the first: {peer_seconds / next_seconds:.1f}x faster than re-running the import")
