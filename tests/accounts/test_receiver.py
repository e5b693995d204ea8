"""The webhook receiver of one server process: group commit, cached secrets, and the processor process."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from missionos.accounts import settings
from missionos.ingest import inbox
from missionos.ingest.models import WebhookDelivery
from missionos.store import Database
from missionos.web import hooks
from tests.accounts import hookdata as h
from tests.accounts.test_server import serving


def _incoming(delivery_id: str) -> inbox.Incoming:
    # Each delivery its own body: the same body under another id is a replay (tests/security).
    body = h.dumps({**h.github_deployment_status(1), "delivery": delivery_id})
    return inbox.Incoming("github", delivery_id, "deployment_status", {}, body)


def _rows(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(WebhookDelivery)) or 0


def test_concurrent_deliveries_share_one_commit_and_repeats_are_duplicates(db: Database) -> None:
    groups: list[int] = []
    receiver = hooks.Receiver(db, on_stored=lambda: groups.append(1))
    ids = [f"d-{n % 10}" for n in range(30)]  # ten deliveries, each sent three times at once

    async def send() -> list[tuple[int, bool]]:
        return await asyncio.gather(*(receiver.store(_incoming(i)) for i in ids))

    outcomes = asyncio.run(send())
    assert len(groups) == 1, "the thirty concurrent deliveries should be written in one transaction"
    new = [delivery_id for delivery_id, (_, is_new) in zip(ids, outcomes, strict=True) if is_new]
    assert sorted(new) == sorted(set(ids)), "each delivery is new exactly once"
    by_id: dict[str, set[int]] = {}
    for delivery_id, (row, _) in zip(ids, outcomes, strict=True):
        by_id.setdefault(delivery_id, set()).add(row)
    assert all(len(rows) == 1 for rows in by_id.values()), "repeats answer with the stored row's id"
    assert _rows(db) == 10
    # Sent again later, in a new group, they are all duplicates of the stored rows.
    again = asyncio.run(send())
    assert not any(is_new for _, is_new in again) and {r for r, _ in again} == {r for r, _ in outcomes}
    assert _rows(db) == 10


def test_a_row_the_database_refuses_fails_alone(db: Database) -> None:
    if db.dialect == "sqlite":
        pytest.skip("SQLite stores any string, so no row of a delivery is refused there")
    receiver = hooks.Receiver(db)

    async def send() -> list[tuple[int, bool] | BaseException]:
        items = [_incoming("good-1"), _incoming("bad-\x00-nul"), _incoming("good-2")]
        return await asyncio.gather(*(receiver.store(i) for i in items), return_exceptions=True)

    good1, bad, good2 = asyncio.run(send())
    assert isinstance(bad, SQLAlchemyError)
    assert isinstance(good1, tuple) and good1[1] and isinstance(good2, tuple) and good2[1]
    assert _rows(db) == 2


NEW_SECRET = "a-rotated-webhook-secret-0123456789"


def _post(client: httpx.Client, body: bytes, secret: str = h.SECRET) -> httpx.Response:
    return client.post(
        "/hooks/github", content=body, headers=h.github_headers(body, "deployment_status", secret=secret)
    )


def _rotate_after_one_delivery(client: httpx.Client, db: Database, n: int) -> bytes:
    """Send one delivery (the worker now keeps the secret), then store a new secret as another worker or
    `missionos hooks secret set` would; returns the next body to send (a new one: the same body again would
    be a replay)."""
    assert _post(client, h.dumps(h.github_deployment_status(n))).status_code == 202
    with db.session() as session:
        settings.set_hook_secret(session, "github", NEW_SECRET, actor="test")
    return h.dumps(h.github_deployment_status(n + 10_000))


def test_a_rotated_secret_works_at_once_and_the_old_one_stops(
    client: httpx.Client, hooks_ready: Database
) -> None:
    body = _rotate_after_one_delivery(client, hooks_ready, 7101)
    assert _post(client, body, NEW_SECRET).status_code == 202
    old = _post(client, body)
    assert old.status_code == 401 and "nothing was stored" in old.json()["detail"]


def test_the_kept_secret_is_read_again_after_its_time(
    client: httpx.Client, hooks_ready: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = _rotate_after_one_delivery(client, hooks_ready, 7102)
    # Within SECRET_TTL a worker may still accept the old secret; once it has passed, it never does.
    monkeypatch.setattr(hooks, "SECRET_TTL", 0.0)
    assert _post(client, body).status_code == 401


def _children(pid: int) -> list[tuple[int, str]]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            found.append((int(child), cmdline))
    return found


@pytest.mark.slow
def test_serve_maps_deliveries_in_its_own_processor_which_ends_with_it(
    hooks_ready: Database,
    tmp_path: Path,
) -> None:
    with serving(hooks_ready, tmp_path / "home") as (url, proc):
        (processor,) = [pid for pid, cmd in _children(proc.pid) if "hooks process --follow" in cmd]
        body = h.dumps(h.github_deployment_status(7103))
        sent = httpx.post(
            f"{url}/hooks/github", content=body, headers=h.github_headers(body, "deployment_status")
        )
        assert sent.status_code == 202
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            counts = httpx.get(f"{url}/api/v1/hooks/deliveries").json()["counts"]
            if counts["processed"] == 1:
                break
            time.sleep(0.2)
        assert counts["processed"] == 1, counts
        os.kill(proc.pid, signal.SIGKILL)  # the server alone, not its process group
        proc.wait()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and Path(f"/proc/{processor}").exists():
            status = Path(f"/proc/{processor}/stat").read_text().split()[2]
            if status == "Z":
                break
            time.sleep(0.1)
        stat = Path(f"/proc/{processor}/stat")
        alive = stat.exists() and stat.read_text().split()[2] != "Z"
        if alive:
            os.kill(processor, signal.SIGKILL)
        assert not alive, "the processor should stop when the server that started it is gone"
