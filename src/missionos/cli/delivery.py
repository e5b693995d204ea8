"""`missionos delivery`: the delivery context's commands."""

from __future__ import annotations

import typer

from missionos.cli.common import Format, FormatOption, database, emit

app = typer.Typer(
    help="Delivery: DORA metrics and the path to production, from git, deployments and incidents.",
    no_args_is_help=True,
)


@app.command("services")
def services(fmt: FormatOption = Format.table) -> None:
    """List services with their team and repositories."""
    from missionos.delivery.service import list_services

    with database().session() as session:
        rows = [
            {"service": s.name, "team": s.team, "repositories": ", ".join(s.repositories)}
            for s in list_services(session)
        ]
    emit(rows, ["service", "team", "repositories"], fmt, title="Services")
