"""What commands print: whole values and plain text into a pipe, folded (never cut) values on a terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from missionos import measures


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "MISSIONOS_HOME": str(home), **extra}
    env.pop("MISSIONOS_DATABASE_URL", None)
    env.pop("COLUMNS", None)
    env.update(extra)
    return env


def _on_terminal(args: list[str], env: dict[str, str]) -> str:
    """What `missionos ARGS` shows on a (pseudo-)terminal."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "missionos.cli", *args], stdout=follower, stderr=subprocess.PIPE, env=env
    )
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    return out.decode()


def test_a_pipe_gets_plain_text_with_every_value_whole(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "missionos.cli", "measures", "list"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=120,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert lines[1].split() == ["name", "unit", "better", "scopes", "description"]
    measures.load_publishers()
    described = measures.describe()
    assert len(lines) == 2 + len(described)
    for m, line in zip(described, lines[2:], strict=True):
        assert line.startswith(m.name + " ") and line.endswith(m.description), line
    assert "…" not in done.stdout and "│" not in done.stdout and "\x1b[" not in done.stdout


def test_the_chosen_format_is_kept_in_a_pipe(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "missionos.cli", "measures", "list", "--format", "csv"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=120,
        check=True,
    )
    assert done.stdout.splitlines()[0] == "name,unit,better,scopes,description"


def test_a_narrow_terminal_folds_long_values_instead_of_cutting_them(tmp_path: Path) -> None:
    shown = _on_terminal(["measures", "list"], _env(tmp_path, COLUMNS="80", TERM="dumb"))
    assert "┃ name" in shown  # a table drawn for a terminal
    assert "…" not in shown
    assert max(len(line) for line in shown.splitlines()) <= 80
