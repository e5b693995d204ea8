"""Shared CLI vocabulary: the database, output formats, time windows and progress bars.

Every metrics command takes the same `--format table|json|csv`, `--since/--until` and scope options, so a
user learns them once.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from missionos.errors import FieldError
from missionos.measures import Window
from missionos.store import Database, open_database

console = Console()
err_console = Console(stderr=True)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format: table, json or csv.")]
SinceOption = Annotated[
    str | None,
    typer.Option(help="Start of the window: an ISO date/time, or a span back from --until like 90d."),
]
UntilOption = Annotated[
    str | None, typer.Option(help="End of the window (exclusive): an ISO date/time. Default: now.")
]


def database() -> Database:
    """The configured database, upgraded to the current schema."""
    return open_database()


def parse_moment(text: str, *, option: str) -> dt.datetime:
    """An ISO date or date-time; a date means its midnight UTC, a time without offset is refused."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.UTC)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise FieldError(option, "an ISO 8601 date or date-time, e.g. 2026-01-31") from None
    if moment.tzinfo is None:
        raise FieldError(option, "a time with a UTC offset, e.g. 2026-01-31T09:00:00+00:00")
    return moment.astimezone(dt.UTC)


def parse_window(since: str | None, until: str | None, *, default_days: int = 90) -> Window:
    """The window [since, until) from the shared options; `since` may be a span like `30d` or `12w`."""
    end = parse_moment(until, option="--until") if until else dt.datetime.now(dt.UTC)
    if since is None:
        return Window(end - dt.timedelta(days=default_days), end)
    span = re.fullmatch(r"(\d+)([dw])", since)
    if span:
        days = int(span.group(1)) * (7 if span.group(2) == "w" else 1)
        return Window(end - dt.timedelta(days=days), end)
    start = parse_moment(since, option="--since")
    if start > end:
        raise FieldError("--since", "a moment before --until")
    return Window(start, end)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value


def emit(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: Format, *, title: str | None = None
) -> None:
    """Print `rows` as a Rich table, JSON (a list of objects) or CSV with `columns` as its header."""
    if fmt is Format.json:
        json.dump([{c: _plain(r.get(c)) for c in columns} for r in rows], sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif fmt is Format.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        for r in rows:
            writer.writerow(["" if r.get(c) is None else _plain(r.get(c)) for c in columns])
    else:
        table = Table(title=title)
        for c in columns:
            table.add_column(c)
        for r in rows:
            table.add_row(*("—" if r.get(c) is None else str(_plain(r.get(c))) for c in columns))
        console.print(table)


def emit_json(document: Any) -> None:
    """Print one JSON document (the stable `--format json` output of a command)."""
    json.dump(document, sys.stdout, indent=2, default=_plain)
    sys.stdout.write("\n")


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Any]:
    """A Rich progress bar on stderr; yields a function `advance(n=1)`."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as bar:
        task = bar.add_task(description, total=total)

        def advance(n: int = 1) -> None:
            bar.advance(task, n)

        yield advance


def actor() -> str:
    """Who is acting on the command line, for the audit log: `cli:<login name>`."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"
