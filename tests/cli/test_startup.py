"""Start-up: `missionos --help` and each group load only what they use, and an up-to-date database is
recognised without Alembic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command

from missionos.cli.lazy import LazyGroup
from missionos.cli.main import GROUPS, app

HEAVY = ("numpy", "scipy", "sqlalchemy", "fastapi", "vl_convert", "alembic", "httpx", "pandas")


PROBE = """
import json, sys
out, sys.argv = sys.argv[1], ["missionos", *sys.argv[2:]]
from missionos.cli.main import main
try:
    main()
except SystemExit as exc:
    code = exc.code
with open(out, "w") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""


def _imported(*args: str, home: Path) -> set[str]:
    """The modules a real `missionos ARGS` process has imported when it finishes (its stdout a pipe)."""
    env = {**os.environ, "MISSIONOS_HOME": str(home)}
    env.pop("MISSIONOS_DATABASE_URL", None)
    out = home / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(out.read_text())
    assert found["code"] in (0, None), done.stderr[-2000:]
    return set(found["modules"])


def _top(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_help_imports_no_heavy_library_and_no_context_group(tmp_path: Path) -> None:
    modules = _imported("--help", home=tmp_path)
    assert not _top(modules) & set(HEAVY), sorted(_top(modules) & set(HEAVY))
    groups = {g.target.partition(":")[0] for g in GROUPS}
    assert not modules & groups, sorted(modules & groups)
    assert "rich" not in _top(modules)  # piped help is plain text, without Rich's renderer


def test_a_group_imports_its_own_module_only(tmp_path: Path) -> None:
    modules = _imported("maps", "--help", home=tmp_path)
    assert "missionos.cli.maps" in modules
    others = {g.target.partition(":")[0] for g in GROUPS} - {"missionos.cli.maps"}
    assert not modules & others, sorted(modules & others)
    assert not _top(modules) & {"numpy", "sqlalchemy", "fastapi"}


def test_an_up_to_date_database_is_opened_without_alembic(tmp_path: Path) -> None:
    first = _imported("delivery", "services", home=tmp_path)
    assert "alembic" in _top(first)  # the empty database is migrated
    again = _imported("delivery", "services", home=tmp_path)
    assert "alembic" not in _top(again)
    assert "fastapi" not in _top(again)
    assert "httpx" not in _top(again)  # only the commands that read a forge load the HTTP client
    assert "numpy" not in _top(again)  # listing services needs the catalog, not the metrics


def test_the_heads_read_from_the_files_are_alembics() -> None:
    from alembic.script import ScriptDirectory

    from missionos.store.migrate import alembic_config, script_heads

    assert script_heads() == set(ScriptDirectory.from_config(alembic_config()).get_heads())


def test_help_lists_every_group_with_its_help_and_the_loaded_group_keeps_it() -> None:
    root = get_command(app)
    assert isinstance(root, LazyGroup)
    from typer.testing import CliRunner

    listing = " ".join(CliRunner().invoke(app, ["--help"]).output.split())
    for group in GROUPS:
        assert f" {group.name} {group.help}" in listing
        assert group.load().help == group.help


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g.name)
def test_each_group_runs_by_name(group: object) -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, [group.name, "--help"])  # type: ignore[attr-defined]
    assert result.exit_code == 0, result.output
    assert f" {group.name} [OPTIONS] COMMAND" in result.output  # type: ignore[attr-defined]
