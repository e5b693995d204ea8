"""`missionos serve` as a real process: loopback without sign-in, two workers, and a SIGKILL mid-ingest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from missionos.accounts import settings
from missionos.delivery import service as delivery
from missionos.delivery.models import Deployment
from missionos.ingest.models import WebhookDelivery
from missionos.store import Database
from tests.accounts import hookdata as h
from tests.conftest import Cli, free_port, stop_group, wait_healthy

ENVIRONMENTS = ("staging", "production", "disaster-recovery")


@contextmanager
def serving(db: Database, home: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = {**os.environ, "MISSIONOS_HOME": str(home), "MISSIONOS_DATABASE_URL": db.url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "missionos.cli", "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so the workers die with it
    )
    url = f"http://127.0.0.1:{port}"
    if not wait_healthy(url):
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"missionos serve did not start: {proc.communicate()[0].decode()}")
    try:
        yield url, proc
    finally:
        stop_group(proc, timeout=15)
        if proc.stdout:
            proc.stdout.close()


def pipeline(n: int) -> bytes:
    """A GitLab pipeline deploying to three environments: one delivery, a batch of three deployments."""
    return h.dumps(
        {
            "object_kind": "pipeline",
            "object_attributes": {
                "id": n,
                "iid": n,
                "ref": "main",
                "sha": f"{n:040x}",
                "status": "success",
                "created_at": "2026-11-20 10:00:00 UTC",
                "finished_at": "2026-11-20 10:20:00 UTC",
                "duration": 1200,
            },
            "project": {"id": 30, "name": "intake-web", "path_with_namespace": "agency/intake-web"},
            "builds": [
                {
                    "id": n * 10 + i,
                    "stage": "deploy",
                    "name": f"deploy-{env}",
                    "status": "success",
                    "environment": {"name": env, "action": "start", "deployment_tier": env},
                }
                for i, env in enumerate(ENVIRONMENTS)
            ],
        }
    )


def test_non_loopback_without_sign_in_is_refused(cli: Cli) -> None:
    result = cli("serve", "--host", "0.0.0.0", "--port", "1")
    assert result.exit_code == 2
    assert "refusing to listen on 0.0.0.0 without sign-in" in result.stderr
    assert "Traceback" not in result.stderr


def test_proxy_header_needs_a_trusted_proxy(cli: Cli) -> None:
    result = cli("serve", "--auth-proxy-header", "X-Remote-User")
    assert result.exit_code == 2 and "--trusted-proxy" in result.stderr


def test_a_trusted_proxy_must_be_an_address(cli: Cli) -> None:
    result = cli("serve", "--trusted-proxy", "proxy.example")
    assert result.exit_code == 2 and "--trusted-proxy" in result.stderr and "proxy.example" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_sigkill_mid_ingest_loses_no_acknowledged_delivery_and_leaves_no_partial_batch(
    db: Database, tmp_path: Path, cli: Cli
) -> None:
    with db.session() as session:
        settings.set_hook_secret(session, "gitlab", h.SECRET, actor="test")
        delivery.ensure_service(session, "intake-web", team="Intake")
    acknowledged: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def sender(url: str, worker: int) -> None:
        with httpx.Client(timeout=10) as client:
            for n in range(worker * 100_000, worker * 100_000 + 5_000):
                if stop.is_set():
                    return
                delivery_id = f"pipe-{n}"
                try:
                    response = client.post(
                        f"{url}/hooks/gitlab",
                        content=pipeline(n),
                        headers=h.gitlab_headers("Pipeline Hook", delivery=delivery_id),
                    )
                except httpx.HTTPError:
                    return  # the server is gone
                if response.status_code in (200, 202):
                    with lock:
                        acknowledged.add(delivery_id)

    with serving(db, tmp_path / "home", "--workers", "2") as (url, proc):
        output = proc.stdout
        threads = [threading.Thread(target=sender, args=(url, w)) for w in range(4)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 80 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        stop.set()
        for t in threads:
            t.join()
        assert output is not None
    assert len(acknowledged) >= 80, "the server should have acknowledged deliveries before the kill"

    def check(*, all_processed: bool) -> None:
        with db.session() as session:
            stored = {d.delivery_id: d.status for d in session.scalars(select(WebhookDelivery))}
            deployed = {d.external_id for d in session.scalars(select(Deployment))}
        assert acknowledged <= set(stored), f"lost: {sorted(acknowledged - set(stored))[:5]}"
        for delivery_id, status in stored.items():
            n = int(delivery_id.removeprefix("pipe-"))
            present = {f"gitlab:pipeline:{n}:{env}" in deployed for env in ENVIRONMENTS}
            assert len(present) == 1, f"{delivery_id}: a partial batch of deployments"
            if all_processed or status == "processed":
                assert status == "processed" and present == {True}, delivery_id
            else:
                assert present == {False}, f"{delivery_id} is {status} but its records exist"

    check(all_processed=False)
    # The same host (its MISSIONOS_HOME holds the key that sealed the webhook secret).
    with serving(db, tmp_path / "home") as (url, restarted):
        # The restarted server takes new deliveries and answers a resent one as a duplicate.
        resent = sorted(acknowledged)[0]
        n = int(resent.removeprefix("pipe-"))
        again = httpx.post(
            f"{url}/hooks/gitlab",
            content=pipeline(n),
            headers=h.gitlab_headers("Pipeline Hook", delivery=resent),
        )
        assert again.status_code == 200 and again.json()["status"] == "duplicate"
        me = httpx.get(f"{url}/api/v1/accounts/me").json()
        assert me["role"] == "admin" and me["via"] == "local"
        os.killpg(restarted.pid, signal.SIGTERM)
        said = restarted.communicate(timeout=15)[0].decode()
    assert "No sign-in is configured: listening on loopback only" in said
    replayed = cli("hooks", "replay")
    assert replayed.exit_code == 0, replayed.stderr
    check(all_processed=True)


def _socket_inodes(pid: int | str) -> set[str]:
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(target[8:-1])
    return found


def _tcp_entries() -> list[tuple[int, int, str, str]]:
    """(local port, remote port, state, inode) of every TCP socket on this host."""
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = (int(f.rsplit(":", 1)[1], 16) for f in (fields[1], fields[2]))
            out.append((local, remote, fields[3], fields[9]))
    return out


def _connections_by_process(pids: list[int], port: int) -> dict[int, int]:
    """How many established TCP connections from this process to `port` each of `pids` holds (from /proc).
    Only this process's own connections count, so a health check's connection still closing does not."""
    entries = _tcp_entries()
    mine = _socket_inodes("self")
    ours = {local for local, remote, state, inode in entries if remote == port and inode in mine}
    owner = {inode: pid for pid in pids for inode in _socket_inodes(pid)}
    counts = dict.fromkeys(pids, 0)
    for local, remote, state, inode in entries:
        if local == port and state == "01" and remote in ours and inode in owner:
            counts[owner[inode]] += 1
    return counts


@pytest.mark.slow
def test_workers_share_the_port_and_the_connections(db: Database, tmp_path: Path) -> None:
    with serving(db, tmp_path / "home", "--workers", "2") as (url, proc):
        workers = [
            int(child)
            for task in Path(f"/proc/{proc.pid}/task").iterdir()
            for child in (task / "children").read_text().split()
            if b"multiprocessing" in Path(f"/proc/{child}/cmdline").read_bytes()
            and b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes()
        ]
        assert len(workers) == 2, workers
        clients = [httpx.Client(base_url=url) for _ in range(20)]  # keep-alive connections
        try:
            for client in clients:
                assert client.get("/api/v1/health").status_code == 200
            counts = _connections_by_process(workers, int(url.rsplit(":", 1)[1]))
        finally:
            for client in clients:
                client.close()
    assert sum(counts.values()) == 20 and min(counts.values()) >= 1, counts


@pytest.mark.parametrize("shared", [False, True], ids=["plain", "reuseport"])
def test_a_port_taken_by_another_program_is_refused(cli: Cli, shared: bool) -> None:
    import socket

    with socket.socket() as taken:
        if shared:  # a server that itself allows others to join the port, as a running `serve` does
            taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("serve", "--port", str(port), "--workers", "2")
    assert result.exit_code == 2 and f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
