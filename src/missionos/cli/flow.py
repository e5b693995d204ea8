"""`missionos flow`: the flow context's commands."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Flow: value-stream maps and flow metrics from the issue tracker.", no_args_is_help=True
)
