"""The `missionos` Typer application: context, then noun, then verb."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from missionos import __version__, config
from missionos.cli import compliance, delivery, experiments, flow, strategy
from missionos.cli.common import Format, FormatOption, console, database, emit, err_console
from missionos.errors import MissionOSError


class MissionGroup(TyperGroup):
    """Renders `MissionOSError`s as one line on stderr with exit status 2, never a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except MissionOSError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None


app = typer.Typer(
    cls=MissionGroup,
    help="Mission OS: think big, start small, scale fast.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
db_app = typer.Typer(help="The database: migrations and backups.", no_args_is_help=True)
measures_app = typer.Typer(
    help="The measures registry: every named measure the contexts publish.", no_args_is_help=True
)
app.add_typer(delivery.app, name="delivery")
app.add_typer(flow.app, name="flow")
app.add_typer(experiments.app, name="experiments")
app.add_typer(compliance.app, name="compliance")
app.add_typer(strategy.app, name="strategy")
app.add_typer(measures_app, name="measures")
app.add_typer(db_app, name="db")


def _version(value: bool) -> None:
    if value:
        console.print(f"missionos {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Mission OS: one-page OGSM plans bound to live delivery, flow, experiment and compliance evidence."""


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the dashboard and the JSON API."""
    import uvicorn

    from missionos.web.app import create_app

    db = database()
    console.print(f"Mission OS on http://{host}:{port}/ (database: {db.engine.url.render_as_string()})")
    uvicorn.run(create_app(db), host=host, port=port, log_level="warning")


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Seed for the generated organization.")] = 7,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the dashboard once the demo is loaded.")
    ] = True,
    host: Annotated[str, typer.Option(help="Address to listen on with --serve.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on with --serve.")] = 8000,
) -> None:
    """Load the demo organization (180 days ending today) into the database."""
    from missionos.demo import STEPS, load_demo

    db = database()
    with err_console.status("Loading the demo organization…") as status:

        def step(name: str) -> None:
            status.update(
                f"Loading the demo organization: {name} ({STEPS.index(name) + 1 if name in STEPS else 0}"
                f"/{len(STEPS)})"
            )

        org = load_demo(db, seed=seed, home=config.home(), progress=step)
    console.print(f"Demo organization loaded (seed {seed}, {org.start} to {org.today}).")
    for note in org.notes:
        console.print(f"  {note}")
    if serve_after:
        serve(host=host, port=port)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (every command that needs the database also does this itself)."""
    from missionos.store import current_heads

    db = database()
    console.print(
        f"Database at {db.engine.url.render_as_string()} is at: {', '.join(sorted(current_heads(db.engine)))}"
    )


@measures_app.command("list")
def measures_list(fmt: FormatOption = Format.table) -> None:
    """List the measures that contexts publish, with unit, direction and scopes."""
    from missionos import measures

    rows = [
        {
            "name": m.name,
            "unit": m.unit,
            "better": m.direction.value,
            "scopes": ", ".join(m.scopes),
            "description": m.description,
        }
        for m in measures.describe()
    ]
    emit(rows, ["name", "unit", "better", "scopes", "description"], fmt, title="Measures")


def main() -> None:
    sys.exit(app())  # pragma: no cover
