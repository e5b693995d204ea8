"""`missionos compliance`: the compliance context's commands."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Compliance: continuous ATO from pipeline evidence, with OSCAL in and out.", no_args_is_help=True
)
