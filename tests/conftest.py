"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

- `db`: a migrated, empty `Database`, parametrized over both backends. The PostgreSQL leg uses its own schema
  per test worker and truncates every table after each test. Outside CI an unreachable PostgreSQL skips the
  leg with its reason; under CI (`CI` set) it fails loudly.
- `client`: an in-process ASGI client for the web app over `db`.
- `cli`: runs the Typer app against `db` (through `MISSIONOS_DATABASE_URL`).
- `live_server`: `missionos serve` in a subprocess on a free port, over a SQLite file (browser tests).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from missionos.store import Base, Database
from missionos.store.migrate import upgrade

PG_ADMIN_URL = os.environ.get("MISSIONOS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
UNDER_CI = bool(os.environ.get("CI"))


def _pg_reachable() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # the reason is reported, not swallowed
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the developer's ./.missionos: each gets its own MISSIONOS_HOME."""
    monkeypatch.setenv("MISSIONOS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MISSIONOS_DATABASE_URL", raising=False)
    # What `missionos serve` hands its workers must not outlive a test that ran it in process.
    for name in ("MISSIONOS_ALLOWED_HOSTS", "MISSIONOS_BIND_HOST"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is much faster than per test)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_url(worker_id: str) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh, migrated schema for this test worker."""
    reason = _pg_reachable()
    if reason:
        if UNDER_CI:
            pytest.fail(f"PostgreSQL is unreachable at {PG_ADMIN_URL} under CI: {reason}")
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {reason}")
    schema = f"t_{worker_id}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    """The xdist worker's id ('master' without xdist)."""
    workerinput = getattr(request.config, "workerinput", None)
    return str(workerinput["workerid"]) if workerinput else "master"


def _truncate_all(database: Database) -> None:
    tables = [t.name for t in Base.metadata.sorted_tables]
    if tables:
        with database.engine.begin() as conn:
            conn.execute(
                text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
            )


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty, migrated database: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.dispose()
    else:
        database = Database(request.getfixturevalue("pg_url"))
        try:
            yield database
        finally:
            _truncate_all(database)
            database.dispose()


@pytest.fixture
def client(db: Database) -> Iterator[httpx.Client]:
    """An in-process client for the web app over `db`."""
    from fastapi.testclient import TestClient

    from missionos.web.app import create_app

    with TestClient(create_app(db)) as test_client:
        yield test_client


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


class Cli:
    """Invokes `missionos ...` in process against a given database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> CliResult:
        from missionos.cli.main import app

        result = self.runner.invoke(
            app, list(args), input=input, env={"MISSIONOS_DATABASE_URL": self.url, "COLUMNS": "200"}
        )
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliResult(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def cli(db: Database) -> Cli:
    return Cli(db.url)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, timeout: float = 60) -> bool:
    """Whether `missionos serve` at `url` answers /api/v1/health within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            time.sleep(0.2)
    return False


def stop_group(proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """Stop a server started in its own process group: SIGTERM to the group (its workers and processor
    too), then SIGKILL if it has not stopped within `timeout` seconds."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@dataclass
class LiveServer:
    url: str
    home: Path
    database_url: str


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`missionos demo` loaded into a SQLite file, then `missionos serve` on a free port."""
    home = tmp_path_factory.mktemp("live-home")
    env = {**os.environ, "MISSIONOS_HOME": str(home)}
    env.pop("MISSIONOS_DATABASE_URL", None)
    exe = [sys.executable, "-m", "missionos.cli"]
    subprocess.run([*exe, "demo", "--no-serve", "--seed", "7"], env=env, check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen(
        [*exe, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    if not wait_healthy(url):
        proc.kill()
        out = proc.stdout.read().decode() if proc.stdout else ""
        pytest.fail(f"missionos serve did not become healthy on {url}:\n{out}")
    yield LiveServer(url=url, home=home, database_url=f"sqlite:///{home / 'missionos.db'}")
    proc.terminate()
    proc.wait(timeout=10)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        if UNDER_CI:
            pytest.fail(f"{CHROMIUM} is missing under CI; `make test` installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object, tmp_path: Path) -> Iterator[object]:
    """A fresh browser page; a screenshot of its last state is saved to the test's tmp dir."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    pg = context.new_page()
    yield pg
    pg.screenshot(path=str(tmp_path / "last.png"), full_page=True)
    context.close()
