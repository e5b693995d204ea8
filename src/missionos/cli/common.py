"""Shared CLI vocabulary: the database, output formats, time windows and progress bars.

Every metrics command takes the same `--format table|json|csv`, `--since/--until` and scope options, so a
user learns them once.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from missionos import times

if TYPE_CHECKING:
    from rich.console import Console

    from missionos.measures import Window
    from missionos.store import Database


class _LazyConsole:
    """A Rich console made on first use, so that commands which print nothing through it (and `--help`)
    don't pay for importing Rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def real(self) -> Console:
        if self._console is None:
            from rich.console import Console

            made = Console(**self._options)
            if not made.is_terminal and "COLUMNS" not in os.environ:
                # Piped or redirected: lines as long as they need to be, never cut or wrapped at 80 columns.
                made = Console(width=PIPED_WIDTH, **self._options)
            self._console = made
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)


PIPED_WIDTH = 100_000


def real_console(which: Console) -> Console:
    """The Rich console behind `console` or `err_console` (made now if it was not yet), for Rich objects
    that need a console of their own, such as progress bars."""
    lazy: Any = which
    return lazy.real() if isinstance(lazy, _LazyConsole) else which


console = cast("Console", _LazyConsole())
err_console = cast("Console", _LazyConsole(stderr=True))


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
    from missionos.store import open_database

    return open_database()


def parse_moment(text: str, *, option: str) -> dt.datetime:
    """An ISO date or date-time; a date means its midnight UTC, a time without offset is refused."""
    return times.parse_moment(text, field=option)


def parse_window(since: str | None, until: str | None, *, default_days: int = 90) -> Window:
    """The window [since, until) from the shared options; `since` may be a span like `30d` or `12w`."""
    end = parse_moment(until, option="--until") if until else None
    if since is None:
        start: dt.datetime | dt.timedelta | None = None
    elif times.is_span(since):
        start = times.parse_span(since, field="--since")
    else:
        start = parse_moment(since, option="--since")
    return times.window(
        start, end, default_days=default_days, field="--since", expected="a moment before --until"
    )


def note_empty_window(what: str, window: Window, covered: tuple[Any, Any] | None) -> None:
    """On stderr, when a window holds no `what` although the data has some: say so, name the dates the
    data covers, and the options that show it. Nothing when there is no data at all (`covered` None)."""
    if covered is None or covered[0] is None or covered[1] is None:
        return
    first, last = (_utc_date(c) for c in covered)
    after = last + dt.timedelta(days=1)
    err_console.print(
        f"note: no {what} from {window.since:%Y-%m-%d} to {window.until:%Y-%m-%d}, but the data covers "
        f"{first:%Y-%m-%d} to {last:%Y-%m-%d}; to see it: --since {first:%Y-%m-%d} --until {after:%Y-%m-%d}",
        highlight=False,
        soft_wrap=True,
    )


def _utc_date(moment: dt.datetime | dt.date) -> dt.date:
    if not isinstance(moment, dt.datetime):
        return moment
    return times.as_utc(moment).date()


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
    elif not console.is_terminal:
        emit_text(rows, columns, title=title)
    else:
        from rich.table import Table

        table = Table(title=title)
        for c in columns:
            # A value too long for its column folds onto the next line instead of being cut to "tag…".
            table.add_column(c, overflow="fold")
        for r in rows:
            table.add_row(*("—" if r.get(c) is None else str(_plain(r.get(c))) for c in columns))
        console.print(table)


def _text_cell(value: Any) -> str:
    return "—" if value is None else " ".join(str(_plain(value)).split())


def emit_text(rows: Sequence[dict[str, Any]], columns: Sequence[str], *, title: str | None = None) -> None:
    """Rows as plain text for a pipe or a file: the title if any, a header line, then one line per row,
    columns aligned with two spaces between them, every value whole (no box drawing, no colour, no cuts)."""
    if title:
        sys.stdout.write(f"{title}\n")
    cells = [[_text_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    for line in [list(columns), *cells]:
        sys.stdout.write("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() + "\n")


def emit_json(document: Any) -> None:
    """Print one JSON document (the stable `--format json` output of a command)."""
    json.dump(document, sys.stdout, indent=2, default=_plain)
    sys.stdout.write("\n")


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Any]:
    """A Rich progress bar on stderr; yields a function `advance(n=1)`."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=real_console(err_console),
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
