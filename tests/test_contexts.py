"""`missionos.contexts` against the package: each row names what exists; nothing that exists lacks a row."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest
import typer
from fastapi import APIRouter

from missionos import contexts
from missionos.contexts import CONTEXTS

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "missionos"
ROWS = {c.name: c for c in CONTEXTS}


def test_names_are_unique_and_demo_steps_distinct() -> None:
    assert len(ROWS) == len(CONTEXTS)
    steps = [c.demo_step for c in CONTEXTS if c.demo_step is not None]
    assert len(steps) == len(set(steps))
    groups = [g.name for g in contexts.command_groups()]
    assert len(groups) == len(set(groups))


@pytest.mark.parametrize("row", CONTEXTS, ids=lambda c: c.name)
def test_each_row_names_modules_that_exist(row: contexts.Context) -> None:
    importlib.import_module(f"missionos.{row.name}")
    package = PACKAGE / row.name
    if row.tables:
        importlib.import_module(row.models)
        from missionos.store import Base

        assert any(t.startswith(f"{row.name}_") for t in Base.metadata.tables), (
            f"{row.name} declares no table"
        )
        assert (package / "migrations").is_dir(), f"{row.name} owns tables but has no migrations folder"
    if row.measures:
        importlib.import_module(row.publisher)
    if row.demo_step is not None:
        assert callable(importlib.import_module(row.demo).load)
    for module in row.routers:
        assert isinstance(importlib.import_module(module).router, APIRouter), module
    for group in row.commands:
        module, _, attribute = group.target.partition(":")
        assert isinstance(getattr(importlib.import_module(module), attribute), typer.Typer), group.target


def test_every_package_with_tables_measures_or_a_demo_step_has_its_row() -> None:
    for folder in sorted(p for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()):
        name = folder.name
        row = ROWS.get(name)
        if (folder / "migrations").is_dir() and name != "store":
            assert row is not None and row.tables, f"{name} has migrations but no row with tables=True"
        if (folder / "measures.py").is_file():
            assert row is not None and row.measures, f"{name} publishes measures but no row says so"
        if (folder / "demo.py").is_file():
            assert row is not None and row.demo_step is not None, f"{name} has a demo step but no place in it"


def test_every_router_and_command_group_is_in_the_table() -> None:
    web = {f"missionos.web.{p.stem}" for p in (PACKAGE / "web").glob("*.py")}
    with_router = {
        m for m in web if "router = APIRouter" in (PACKAGE / "web" / f"{m.rpartition('.')[2]}.py").read_text()
    }
    # The app's own routes (health, home, API index) are mounted by the app itself, not by a context.
    assert with_router - {"missionos.web.api", "missionos.web.pages"} == set(contexts.routers())
    cli_apps = set()
    for path in (PACKAGE / "cli").glob("*.py"):
        if path.stem == "__main__":  # runs the app when imported
            continue
        module = importlib.import_module(f"missionos.cli.{path.stem}")
        for name, value in inspect.getmembers(module, lambda v: isinstance(v, typer.Typer)):
            if value.info.name or name.endswith("app"):
                cli_apps.add(f"missionos.cli.{path.stem}:{name}")
    listed = {g.target for g in contexts.command_groups()}
    assert listed <= cli_apps


def test_the_five_lists_are_read_from_the_table() -> None:
    from missionos.cli.main import GROUPS
    from missionos.demo import STEPS
    from missionos.measures.registry import PUBLISHERS
    from missionos.store.migrate import CONTEXTS as MIGRATED
    from missionos.web.app import CONTEXT_ROUTERS

    assert ("store", *contexts.with_tables()) == MIGRATED
    assert contexts.publishers() == PUBLISHERS
    assert contexts.routers() == CONTEXT_ROUTERS
    assert (
        STEPS
        == contexts.demo_steps()
        == (
            "delivery",
            "flow",
            "friction",
            "experiments",
            "compliance",
            "platform",
            "strategy",
            "maps",
        )
    )
    assert [(g.name, g.target, g.help) for g in GROUPS] == [
        (g.name, g.target, g.help) for g in contexts.command_groups()
    ]


def test_named_finds_a_row_and_refuses_an_unknown_name() -> None:
    assert contexts.named("delivery").tables
    with pytest.raises(KeyError):
        contexts.named("nowhere")
