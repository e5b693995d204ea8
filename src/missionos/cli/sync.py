"""`missionos sync`: read the configured sources (GitHub, GitLab, git, issues, Jira) and record each run."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from missionos import config
from missionos.cli.common import (
    Format,
    FormatOption,
    console,
    database,
    emit,
    emit_json,
    err_console,
    progress_bar,
)
from missionos.ingest import sync

app = typer.Typer(
    no_args_is_help=True,
    help="Read the configured sources on a schedule, instead of a cron line per import command.",
)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="The sources file (YAML). Default: $MISSIONOS_SYNC_CONFIG, else $MISSIONOS_HOME/sources.yaml.",
    ),
]


def config_path(given: Path | None) -> Path:
    if given is not None:
        return given
    named = os.environ.get("MISSIONOS_SYNC_CONFIG")
    return Path(named) if named else config.home() / "sources.yaml"


def _row(o: sync.Outcome) -> dict[str, Any]:
    return {
        "source": o.source,
        "kind": o.kind,
        "status": o.status,
        "seconds": f"{o.seconds:.1f}",
        "since": o.since.isoformat(timespec="minutes") if o.since else None,
        "result": o.error or sync.summary_text(o.summary),
    }


@app.command("run")
def run(
    config_file: ConfigOption = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Read only this source (repeatable).")
    ] = None,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow", help="Keep going: read each source whenever its `every` has passed, until stopped."
        ),
    ] = False,
    exit_with_parent: Annotated[
        bool,
        typer.Option(
            "--exit-with-parent", help="With --follow, stop when the process that started this one ends."
        ),
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Read every configured source now (or those named), one transaction each; exit 1 if any failed.

    A failing source is recorded with its reason and does not stop the others. With --follow (what `missionos
    serve --sync FILE` runs), each source is read when its `every` has passed since its last run.
    """
    path = config_path(config_file)
    chosen = sync.read_config(path).select(source or [])
    db = database()
    if follow:
        parent = os.getppid()
        err_console.print(f"Reading {len(chosen)} source(s) from {path} as they come due (Ctrl-C stops).")
        try:
            while not (exit_with_parent and os.getppid() != parent):
                for outcome in sync.run(db, chosen, only_due=True):
                    row = _row(outcome)
                    err_console.print(f"{row['source']}: {row['status']}: {row['result']}")
                time.sleep(5)
        except KeyboardInterrupt:
            pass
        return
    with progress_bar("Reading sources", len(chosen)) as advance:
        outcomes = sync.run(db, chosen, advance=lambda _s: advance())
    if fmt is Format.json:
        emit_json([o.as_dict() for o in outcomes])
    else:
        emit([_row(o) for o in outcomes], ["source", "kind", "status", "seconds", "since", "result"], fmt)
    if any(o.status == "failed" for o in outcomes):
        raise typer.Exit(1)


@app.command("status")
def status(config_file: ConfigOption = None, fmt: FormatOption = Format.table) -> None:
    """Each configured source with its last run: when, how it ended, and when it is due again."""
    path = config_path(config_file)
    sources = sync.read_config(path).sources
    db = database()
    with db.session() as session:
        last = sync.last_runs(session)
    rows = [sync.status_row(s, last.get(s.name)) for s in sources]
    if fmt is Format.json:
        emit_json(rows)
        return
    emit(
        rows,
        ["source", "kind", "reads", "last_started", "last_status", "last_error", "next_due"],
        fmt,
        title=f"Sources in {path}",
    )


@app.command("check")
def check(config_file: ConfigOption = None) -> None:
    """Check a sources file without reading anything: exit 2 naming the field that is wrong."""
    path = config_path(config_file)
    found = sync.read_config(path)
    for s in found.sources:
        console.print(f"{s.name} ({s.kind}, every {sync.span_text(s.every)}): {s.describe()}")
    console.print(f"{path}: {len(found.sources)} source(s), all well-formed.")
