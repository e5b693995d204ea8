"""`missionos org`: teams, services and value streams declared in one file (docs/org.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from missionos.cli.common import Format, FormatOption, actor, console, database, emit, emit_json

app = typer.Typer(
    help="Your organization: teams, services (repositories, history start, production environments) and "
    "value streams, declared in one YAML file.",
    no_args_is_help=True,
)


@app.command("apply")
def apply(
    file: Annotated[Path, typer.Argument(help="The organization file (YAML): teams, services, streams.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would change and store nothing.")
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Create or update what the file declares and print the difference (added, changed, unchanged).

    Applying the same file again changes nothing. Nothing the file leaves out is deleted. A bad file is
    rejected whole, naming its line and field, and nothing is stored.
    """
    from missionos.organization import apply_org, read_org_file

    spec = read_org_file(file)
    with database().session() as session:
        result = apply_org(session, spec, dry_run=dry_run, actor=actor())
    if fmt is Format.json:
        emit_json(result.as_dict())
        return
    rows = [
        {"what": c.kind, "name": c.name, "outcome": c.outcome, "fields": ", ".join(c.details)}
        for c in result.changes
    ]
    emit(
        rows,
        ["what", "name", "outcome", "fields"],
        fmt,
        title="Organization" + (" (dry run)" if dry_run else ""),
    )
    if fmt is Format.table:
        verb = "would be" if dry_run else "were"
        console.print(
            f"{result.count('added')} added, {result.count('changed')} changed, "
            f"{result.count('unchanged')} unchanged; {'nothing stored' if dry_run else 'stored'}."
            if result.changes
            else f"Nothing {verb} declared."
        )


@app.command("export")
def export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of standard output.")
    ] = None,
) -> None:
    """Write the current organization as YAML that `missionos org apply` accepts unchanged."""
    from missionos.organization import dump_org, export_org

    with database().session() as session:
        text = dump_org(export_org(session))
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"Organization written to {output}.")
