"""`missionos experiments`: the experiments context's commands."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Experiments: feature flags, exposures, metric events and statistical verdicts.",
    no_args_is_help=True,
)
