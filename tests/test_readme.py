"""The README's commands exist: each `make X` is a Makefile target, each `missionos ...` a command."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from missionos.cli.main import app

ROOT = Path(__file__).resolve().parent.parent


def _makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z0-9-]*):", text, flags=re.M))


def test_readme_make_commands_are_targets() -> None:
    readme = (ROOT / "README.md").read_text()
    used = set(re.findall(r"\bmake ([a-z][a-z0-9-]*)", readme))
    assert {"demo", "test"} <= used, "the README shows the two commands"
    assert used <= _makefile_targets()


def test_readme_missionos_commands_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    for line in re.findall(r"^\s*(?:\$ )?missionos ([a-z][a-z -]*)", readme, flags=re.M):
        words = [w for w in line.split() if not w.startswith("-")][:3]
        result = CliRunner().invoke(app, [*words, "--help"])
        assert result.exit_code == 0, f"`missionos {' '.join(words)}` from the README: {result.output}"


def test_ci_runs_make_test() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", script, flags=re.M)
