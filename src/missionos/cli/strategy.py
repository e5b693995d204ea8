"""`missionos strategy`: the strategy context's commands."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Strategy: OGSM plans as code, the litmus check, and the loop to live evidence.",
    no_args_is_help=True,
)
