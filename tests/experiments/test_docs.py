"""docs/experiments.md stays true: every command of `missionos experiments` is documented, with --help."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.main import get_command
from typer.testing import CliRunner

from missionos.cli import experiments

DOC = Path(__file__).resolve().parents[2] / "docs" / "experiments.md"


def _commands(group: typer.Typer, prefix: str) -> list[str]:
    command = get_command(group)
    out = []
    for name, sub in getattr(command, "commands", {}).items():
        if hasattr(sub, "commands"):
            out += [f"{prefix} {name} {leaf}" for leaf in sub.commands]
        else:
            out.append(f"{prefix} {name}")
    return out


def test_every_command_is_documented_and_has_help() -> None:
    text = DOC.read_text()
    commands = _commands(experiments.app, "missionos experiments")
    assert len(commands) >= 10
    for line in commands:
        assert f"`{line}" in text, f"{line} is not in docs/experiments.md"
        result = CliRunner().invoke(experiments.app, [*line.split()[2:], "--help"])
        assert result.exit_code == 0 and len(result.output) > 40, line
