"""A directory, a FIFO or a socket given to an importer: a clear error naming it and exit status 2, never a
traceback and never a command blocked forever on a FIFO."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from missionos.store import Database
from tests.conftest import Cli

IMPORTERS = [
    ("delivery", "import", "deployments"),
    ("delivery", "import", "incidents"),
    ("experiments", "import", "exposures"),
    ("experiments", "import", "events"),
    ("experiments", "flags", "apply"),
    ("compliance", "evidence", "add", "--kind", "junit", "--subject", "intake-web"),
    ("compliance", "import"),
    ("compliance", "pack", "from-oscal"),
    ("flow", "stream", "apply"),
    ("friction", "apply"),
    ("strategy", "check"),
    ("strategy", "apply"),
]


@pytest.mark.parametrize("args", IMPORTERS, ids=" ".join)
def test_a_directory_gets_a_clear_error(cli: Cli, tmp_path: Path, args: tuple[str, ...]) -> None:
    folder = tmp_path / "a-folder.json"
    folder.mkdir()
    result = cli(*args, str(folder))
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert str(folder) in result.stderr and "Traceback" not in result.stderr


def test_a_socket_gets_a_clear_error(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        result = cli("delivery", "import", "deployments", str(path))
    assert result.exit_code == 2
    assert "is a socket" in result.stderr


@pytest.mark.parametrize(
    "args",
    [("delivery", "import", "deployments"), ("strategy", "check"), ("flow", "import", "jira")],
    ids=" ".join,
)
def test_a_fifo_is_refused_instead_of_blocking(db: Database, tmp_path: Path, args: tuple[str, ...]) -> None:
    if db.url.startswith("postgresql"):
        pytest.skip("the refusal happens before the database is opened")
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    env = {**os.environ, "MISSIONOS_DATABASE_URL": db.url}
    done = subprocess.run(
        [sys.executable, "-m", "missionos.cli", *args, str(fifo)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert f"{fifo}: is a FIFO" in done.stderr.replace("\n", "")
