"""Command groups loaded by name: only the group named on the command line is imported.

The root command knows each group by its name, the module that defines it and its one-line help (a `Group`
row in `missionos.cli.main.GROUPS`, read from the table of contexts, `missionos.contexts`). `missionos
--help` lists the groups from those rows alone; `missionos delivery ...` imports `missionos.cli.delivery` and
nothing else, so no command pays for the libraries (numpy, SQLAlchemy, FastAPI, ...) that another context's
commands use.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup


def markup_mode() -> Any:
    """How `--help` is drawn: with Rich panels on a terminal; as plain text when piped or redirected, which
    is also quicker (Rich's help renderer costs more to import than the rest of the start-up)."""
    isatty = getattr(sys.stdout, "isatty", None)
    if isatty is not None and isatty():
        return getattr(typer.core, "DEFAULT_MARKUP_MODE", "rich")
    return None


@dataclass(frozen=True)
class Group:
    """A command group: `missionos NAME`, defined by the `typer.Typer` at `target` ("module:attribute")."""

    name: str
    target: str
    help: str

    def load(self) -> Any:
        """The group's Click command, built from its module (imported now) as `add_typer` would build it."""
        module, _, attribute = self.target.partition(":")
        sub = getattr(importlib.import_module(module), attribute)
        holder = typer.Typer(rich_markup_mode=markup_mode())
        holder.add_typer(sub, name=self.name, help=self.help)
        group = typer.main.get_group(holder).commands[self.name]
        return group


class _Listed(TyperCommand):
    """What a not-yet-imported group shows in its parent's help: its name and one-line help."""

    def __init__(self, group: Group) -> None:
        super().__init__(name=group.name, help=group.help, short_help=group.help)


class LazyGroup(TyperGroup):
    """A Typer group whose `groups` are imported only when one of them is run (or asked for its own help).

    Subclass it with `groups` set, and pass the subclass as `cls=` to the root `typer.Typer`."""

    groups: Sequence[Group] = ()

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._lazy = {g.name: g for g in self.groups}
        self._listing = False
        for group in self.groups:
            self.commands.setdefault(group.name, _Listed(group))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = self.commands.get(cmd_name)
        if isinstance(command, _Listed) and not self._listing:
            command = self.commands[cmd_name] = self._lazy[cmd_name].load()
        return command

    @contextmanager
    def _only_listing(self) -> Iterator[None]:
        listing, self._listing = self._listing, True
        try:
            yield
        finally:
            self._listing = listing

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with self._only_listing():
            super().format_help(ctx, formatter)

    def load_all(self) -> None:
        """Import every group (for the command reference and for tests that walk the whole tree)."""
        for name in self._lazy:
            self.get_command(typer.Context(self), name)
