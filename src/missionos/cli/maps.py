"""`missionos maps`: strategic maps (Wardley maps in OWM text, domain maps in YAML), versioned."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from missionos.cli.common import Format, FormatOption, actor, console, database, emit, emit_json

app = typer.Typer(
    help="Strategic maps: Wardley maps (OWM text) and domain maps (YAML), versioned beside the plans.",
    no_args_is_help=True,
)


class Kind(StrEnum):
    wardley = "wardley"
    domain = "domain"


class Drawing(StrEnum):
    svg = "svg"
    mermaid = "mermaid"
    json = "json"
    text = "text"


@app.command("apply")
def apply(
    path: Annotated[
        Path, typer.Argument(help="The map file: .owm/.wm/.txt (Wardley) or .yaml/.json (domain).")
    ],
    key: Annotated[str, typer.Option(help="The map's key, e.g. benefits-landscape.")],
    kind: Annotated[
        Kind | None, typer.Option(help="wardley or domain (default: from the file's extension).")
    ] = None,
    plan: Annotated[str | None, typer.Option(help="The plan the map sits beside.")] = None,
    why: Annotated[str, typer.Option("--why", help="Why it changed: kept with the version.")] = "",
) -> None:
    """Save a map file as the map's next version (checked whole first; an unchanged file adds nothing)."""
    from missionos import maps as service

    chosen = kind.value if kind else service.kind_of(path)
    text = service.read_file(path)
    with database().session() as session:
        number, changed = service.save(
            session, key, chosen, text, actor=actor(), plan=plan, rationale=why, where=str(path)
        )
    console.print(f"{key}: version {number}" + ("" if changed else " (unchanged)"))


@app.command("list")
def list_maps(
    plan: Annotated[str | None, typer.Option(help="Only the maps beside this plan.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """The maps and their latest versions."""
    from missionos import maps as service

    with database().session() as session:
        rows = [m.as_dict() for m in service.list_maps(session, plan=plan)]
    emit(rows, ["key", "kind", "title", "plan", "version", "rationale"], fmt)


@app.command("show")
def show(
    key: Annotated[str, typer.Argument(help="The map's key.")],
    version: Annotated[int | None, typer.Option(help="A version number (default: the latest).")] = None,
    draw: Annotated[
        Drawing, typer.Option("--as", help="svg, mermaid, json, or text (a description).")
    ] = Drawing.text,
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of standard output.")] = None,
) -> None:
    """Draw a map as SVG, export it to Mermaid, or print it as JSON or text."""
    from missionos import maps as service

    with database().session() as session:
        view = service.get(session, key, version=version)
    if draw is Drawing.json:
        if out is None:
            emit_json(view.as_dict())
            return
        import json

        text = json.dumps(view.as_dict(), indent=2) + "\n"
    elif draw is Drawing.svg:
        text = view.svg()
    elif draw is Drawing.mermaid:
        text = view.mermaid()
    else:
        text = f"{view.summary.title} (version {view.summary.version})\n" + view.description().replace(
            "; ", "\n"
        )
        text += "\n"
    if out is not None:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")
    else:
        sys.stdout.write(text)


@app.command("history")
def history(
    key: Annotated[str, typer.Argument(help="The map's key.")], fmt: FormatOption = Format.table
) -> None:
    """Every version of a map, newest first, with why it changed."""
    from missionos import maps as service

    with database().session() as session:
        view = service.get(session, key)
    emit(view.history, ["version", "at", "actor", "rationale"], fmt)
