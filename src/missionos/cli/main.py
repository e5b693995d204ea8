"""The `missionos` Typer application: context, then noun, then verb."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from missionos import config
from missionos.cli.common import Format, FormatOption, console, database, emit, err_console, real_console
from missionos.cli.lazy import Group, LazyGroup, markup_mode
from missionos.contexts import command_groups
from missionos.errors import FieldError, InputError, MissionOSError

# The context groups (`missionos.contexts`), each imported only when named on the command line.
GROUPS = tuple(Group(g.name, g.target, g.help) for g in command_groups())


class MissionGroup(LazyGroup):
    """Renders `MissionOSError`s as one line on stderr with exit status 2, never a traceback; loads the
    context groups (`GROUPS`) by name."""

    groups = GROUPS

    def invoke(self, ctx: Any) -> Any:
        try:
            _refuse_special_files([*getattr(ctx, "_protected_args", []), *ctx.args])
            return super().invoke(ctx)
        except MissionOSError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except OSError as exc:
            if exc.filename is None:
                raise
            # A directory, an unreadable file, or anything else the system refuses to read as a file.
            what = (
                "a readable file, not a directory"
                if isinstance(exc, IsADirectoryError)
                else "a readable file"
            )
            problem = InputError(
                f"cannot read ({exc.strerror or exc}); expected {what}", source=str(exc.filename)
            )
            err_console.print(f"[bold red]error:[/] {problem}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None


def _refuse_special_files(args: list[str]) -> None:
    """A FIFO or a socket given where a file is read would block the command forever or fail deep inside
    it: refuse it up front, naming it (`/dev/stdin` and friends stay usable)."""
    import stat

    for arg in args:
        value = arg.partition("=")[2] if arg.startswith("--") and "=" in arg else arg
        if not value or value.startswith(("-", "/dev/", "/proc/")):
            continue
        try:
            mode = os.stat(value).st_mode
        except (OSError, ValueError):
            continue
        if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
            kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket"
            raise InputError(f"is {kind}; expected a regular file or a directory", source=value)


app = typer.Typer(
    cls=MissionGroup,
    help="Mission OS: think big, start small, scale fast.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=markup_mode(),
    context_settings={"help_option_names": ["-h", "--help"]},
)
db_app = typer.Typer(help="The database: migrations and backups.", no_args_is_help=True)
measures_app = typer.Typer(
    help="The measures registry: every named measure the contexts publish.", no_args_is_help=True
)
app.add_typer(measures_app, name="measures")
app.add_typer(db_app, name="db")


def _version(value: bool) -> None:
    if value:
        from missionos import __version__

        console.print(f"missionos {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Mission OS: one-page OGSM plans bound to live delivery, flow, experiment and compliance evidence."""


LOOPBACK = ("127.0.0.1", "::1", "localhost")


class HooksProcessor(StrEnum):
    process = "process"
    workers = "workers"
    none = "none"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (they share the database).")] = 1,
    auth_proxy_header: Annotated[
        str | None,
        typer.Option(
            help="Take the user's identity from this header (e.g. X-Remote-User) set by a trusted proxy."
        ),
    ] = None,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            help="Address or network of a trusted reverse proxy (repeatable); needed with the header. "
            "Behind it, rate limits count the client address from X-Forwarded-For."
        ),
    ] = None,
    max_request_bytes: Annotated[
        int, typer.Option(min=1024, help="Refuse request bodies larger than this (413).")
    ] = 25 * 1024 * 1024,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            help="A Host name this server answers to (repeatable), beside the bound address and localhost; "
            "requests naming any other host get 400 (DNS rebinding)."
        ),
    ] = None,
    hooks_processor: Annotated[
        HooksProcessor,
        typer.Option(
            help="Where stored webhook deliveries are mapped onto records: in one process of their own "
            "beside the web workers, inside the web workers, or nowhere here (run `missionos hooks process "
            "--follow` elsewhere)."
        ),
    ] = HooksProcessor.process,
    sync_config: Annotated[
        Path | None,
        typer.Option(
            "--sync",
            help="A sources file (YAML; see `missionos sync --help`): read its sources in a process of their "
            "own, each whenever its `every` has passed. Without it, nothing is read from the network.",
        ),
    ] = None,
    new_secret_key: Annotated[
        bool,
        typer.Option(
            "--new-secret-key",
            help="Start with a new generated master key although the database holds secrets sealed under "
            "another one that is not here: everyone is signed out and webhook secrets must be set again.",
        ),
    ] = False,
) -> None:
    """Serve the dashboard, the JSON API and the webhook receivers.

    Without sign-in set up (no user, no token, no proxy header) it listens on loopback only, where the local
    user is an admin; listening on another address then is refused.
    """
    import ipaddress
    import signal
    import subprocess

    import uvicorn

    from missionos.accounts import settings, sign_in_configured
    from missionos.web import workers as web_workers
    from missionos.web.security import default_allowed_hosts

    if auth_proxy_header and not trusted_proxy:
        raise FieldError("--trusted-proxy", "the address of the proxy that sets --auth-proxy-header")
    for proxy in trusted_proxy or ():
        try:
            ipaddress.ip_network(proxy.strip(), strict=False)
        except ValueError:
            raise FieldError("--trusted-proxy", f"an IP address or network, got {proxy!r}") from None
    db = database()
    with db.session() as session:
        configured = sign_in_configured(session) or bool(auth_proxy_header)
        missing = settings.missing_key_file(session)
        if missing is not None and not new_secret_key:
            raise InputError(
                f"this database holds secrets sealed under a key that is not here: {missing} does not exist. "
                "Name the key that sealed them with MISSIONOS_SECRET_KEY_FILE (or MISSIONOS_SECRET_KEY), or "
                "start from where MISSIONOS_HOME points at it; --new-secret-key starts over with a new key "
                "(everyone is signed out, and webhook secrets must be set again)"
            )
        settings.master_key(session)  # generated on first start (SQLite) when MISSIONOS_SECRET_KEY is not set
        key_file = None if os.environ.get("MISSIONOS_SECRET_KEY") else settings.key_file(session)
    db.dispose()
    if not configured and host not in LOOPBACK:
        raise InputError(
            f"refusing to listen on {host} without sign-in: create an admin with "
            "`missionos auth user create NAME --role admin`, or use --auth-proxy-header with --trusted-proxy"
        )
    if sync_config is not None:
        from missionos.ingest import read_config

        sync_config = sync_config.resolve()
        read_config(sync_config)  # a bad file stops the server before it starts, naming the field
    web_workers.check_port(host, port)
    os.environ["MISSIONOS_DATABASE_URL"] = db.engine.url.render_as_string(hide_password=False)
    os.environ["MISSIONOS_MAX_REQUEST_BYTES"] = str(max_request_bytes)
    os.environ["MISSIONOS_BIND_HOST"] = host
    os.environ["MISSIONOS_ALLOWED_HOSTS"] = ",".join(sorted(default_allowed_hosts(host, allowed_host or ())))
    if auth_proxy_header:
        os.environ["MISSIONOS_AUTH_PROXY_HEADER"] = auth_proxy_header
    if trusted_proxy:
        os.environ["MISSIONOS_TRUSTED_PROXIES"] = ",".join(trusted_proxy)
    where = db.engine.url.render_as_string()
    console.print(f"Mission OS on http://{host}:{port}/ (database: {where}; {workers} worker(s))")
    if not configured:
        console.print(
            "No sign-in is configured: listening on loopback only, and everyone who can reach it is an admin."
        )
    if key_file is not None:
        console.print(f"Secrets are sealed with the key in {key_file} (keep it apart from database copies).")
        if db.dialect != "sqlite" and not os.environ.get("MISSIONOS_SECRET_KEY_FILE"):
            console.print(
                "Every other host serving this database needs the same key: copy the file and name it with "
                "MISSIONOS_SECRET_KEY_FILE there, or set MISSIONOS_SECRET_KEY on every host."
            )
    os.environ["MISSIONOS_HOOKS_PROCESSOR"] = (
        "worker" if hooks_processor is HooksProcessor.workers else "external"
    )
    processor = None
    reader = None
    if sync_config is not None:
        os.environ["MISSIONOS_SYNC_CONFIG"] = str(sync_config)
        reader = subprocess.Popen(
            [sys.executable, "-m", "missionos.cli", "sync", "run", "--follow", "--exit-with-parent"],
            stdout=subprocess.DEVNULL,
        )
    if hooks_processor is HooksProcessor.process:
        # The web workers only verify and store; mapping, which is CPU-bound, runs in its own process so it
        # never holds a web worker's interpreter lock while requests wait.
        processor = subprocess.Popen(
            [sys.executable, "-m", "missionos.cli", "hooks", "process", "--follow", "--exit-with-parent"],
            stdout=subprocess.DEVNULL,
        )
    # The app itself decides which proxies to trust, so uvicorn's own proxy-header handling is off.
    options: dict[str, Any] = {"log_level": "warning", "proxy_headers": False, "server_header": False}
    try:
        if workers > 1 and web_workers.supported():
            web_workers.run(host, port, workers, **options)
        else:
            uvicorn.run(web_workers.APP, factory=True, host=host, port=port, workers=workers, **options)
    finally:
        for helper in (processor, reader):
            if helper is None:
                continue
            helper.send_signal(signal.SIGINT)  # it finishes what it has in hand, which is one transaction
            try:
                helper.wait(timeout=30)
            except subprocess.TimeoutExpired:
                helper.kill()


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
    with demo_progress(("repositories", *STEPS)) as step:
        org = load_demo(db, seed=seed, home=config.home(), progress=step)
    console.print(f"Demo organization loaded (seed {seed}, {org.start} to {org.today}).")
    for note in org.notes:
        console.print(f"  {note}")
    if serve_after:
        serve(host=host, port=port)


@contextmanager
def demo_progress(steps: tuple[str, ...]) -> Iterator[Callable[[str], None]]:
    """One progress row per context of the demo, on stderr; yields the `progress(step)` callback that
    `load_demo` calls as each step starts. Not on a terminal: one line per finished step, with its time."""
    import time

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    terminal = err_console.is_terminal
    bar = Progress(
        TextColumn("{task.description:<14}"),
        BarColumn(bar_width=24),
        TextColumn("{task.fields[state]}"),
        TimeElapsedColumn(),
        console=real_console(err_console),
        disable=not terminal,
    )
    tasks = {name: bar.add_task(name, total=1, start=False, state="waiting") for name in steps}
    current: list[Any] = [None, 0.0]

    def finish() -> None:
        name, started = current
        if name is None:
            return
        bar.update(tasks[name], completed=1, state="done")
        bar.stop_task(tasks[name])
        if not terminal:
            err_console.print(
                f"demo: {name} loaded in {time.perf_counter() - started:.1f} s", highlight=False
            )

    def step(name: str) -> None:
        finish()
        current[:] = [name, time.perf_counter()]
        if name in tasks:
            bar.start_task(tasks[name])
            bar.update(tasks[name], state="loading…")

    with bar:
        yield step
        finish()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (every command that needs the database also does this itself)."""
    from missionos.store import current_heads

    db = database()
    console.print(
        f"Database at {db.engine.url.render_as_string()} is at: {', '.join(sorted(current_heads(db.engine)))}"
    )


@db_app.command("backup")
def db_backup(
    path: Annotated[Path, typer.Argument(help="The backup file to write (refuses to overwrite).")],
) -> None:
    """Copy the SQLite database to PATH, consistently, while the server runs (PostgreSQL: use pg_dump)."""
    import sqlite3

    source = _sqlite_file()
    if path.exists():
        raise FieldError("PATH", f"a file that does not exist yet ({path} exists)")
    with sqlite3.connect(source) as src, sqlite3.connect(path) as dst:
        src.backup(dst)  # SQLite's online backup: a consistent copy even while the server writes
    dst.close()
    console.print(f"Backed up {source} to {path} ({path.stat().st_size:,} bytes).")


@db_app.command("restore")
def db_restore(
    path: Annotated[Path, typer.Argument(help="A backup written by `missionos db backup`.")],
    force: Annotated[bool, typer.Option("--force", help="Replace the current database's contents.")] = False,
) -> None:
    """Replace the SQLite database with a backup (stop the server first; PostgreSQL: use pg_restore)."""
    import sqlite3

    target = _sqlite_file()
    if not path.is_file():
        raise FieldError("PATH", f"a backup file ({path} does not exist)")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as probe:
        try:
            heads = [r[0] for r in probe.execute("SELECT version_num FROM alembic_version")]
        except sqlite3.DatabaseError:
            raise InputError("not a Mission OS database backup", source=str(path)) from None
    probe.close()
    if not heads:
        raise InputError("not a Mission OS database backup (no migration version)", source=str(path))
    if target.exists() and target.stat().st_size > 0 and not force:
        raise FieldError("--force", f"--force to replace the contents of {target}")
    with sqlite3.connect(path) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    dst.close()
    database()  # applies any migrations newer than the backup
    console.print(f"Restored {target} from {path}.")


def _sqlite_file() -> Path:
    """The configured SQLite database file; PostgreSQL is backed up with pg_dump instead."""
    from sqlalchemy.engine import make_url

    url = make_url(config.database_url())
    if url.get_backend_name() != "sqlite" or not url.database:
        raise InputError(
            f"`missionos db backup|restore` is for SQLite; for {url.get_backend_name()} use pg_dump"
        )
    return Path(url.database)


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
