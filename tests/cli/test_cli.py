"""The CLI through Typer's runner: help everywhere, the version, and errors without tracebacks."""

from __future__ import annotations

from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from missionos import __version__
from missionos.cli.main import app
from tests.conftest import Cli


def _all_commands(group: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    if hasattr(group, "commands"):
        for name, sub in group.commands.items():
            found += _all_commands(sub, (*path, name))
    return found


def _tree() -> Any:
    root = get_command(app)
    root.load_all()  # type: ignore[attr-defined]  # the context groups are otherwise imported on demand
    return root


@pytest.mark.parametrize("path", _all_commands(_tree()), ids=lambda p: " ".join(p) or "missionos")
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_every_context_has_a_sub_app() -> None:
    names = set(get_command(app).commands)  # type: ignore[attr-defined]
    assert {"delivery", "flow", "experiments", "compliance", "strategy", "serve", "demo", "db"} <= names


def test_db_upgrade_reports_the_heads(cli: Cli) -> None:
    result = cli("db", "upgrade")
    assert result.exit_code == 0
    assert "delivery_" in result.stdout


def test_bad_option_value_exits_2_without_traceback(cli: Cli) -> None:
    from missionos.cli.common import parse_window

    with pytest.raises(Exception, match="--since"):
        parse_window("yesterday-ish", None)
    result = cli("delivery", "services", "--format", "yaml")
    assert result.exit_code == 2
    assert "Traceback" not in result.stdout + result.stderr


def test_mission_errors_exit_2_with_the_message_only(cli: Cli) -> None:
    import typer

    from missionos.cli import main
    from missionos.errors import InputError

    probe = typer.Typer()

    @probe.command("boom")
    def boom() -> None:
        raise InputError("expected an ISO 8601 time with offset", source="deploys.jsonl", line=3)

    main.app.add_typer(probe, name="probe")
    try:
        result = cli("probe", "boom")
    finally:
        main.app.registered_groups.pop()
    assert result.exit_code == 2
    assert "deploys.jsonl:3: expected an ISO 8601 time with offset" in result.stderr
    assert "Traceback" not in result.stderr


def test_services_json(cli: Cli) -> None:
    import json

    from missionos.delivery.service import ensure_service
    from missionos.store import Database

    db = Database(cli.url)
    with db.session() as session:
        ensure_service(session, "svc-a", team="A")
    db.dispose()
    result = cli("delivery", "services", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [{"service": "svc-a", "team": "A", "repositories": ""}]


def test_the_command_reference_is_up_to_date() -> None:
    from pathlib import Path

    from missionos.cli.reference import render

    page = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
    assert page.read_text() == render(), (
        "docs/cli.md is out of date: python -m missionos.cli.reference > docs/cli.md"
    )
