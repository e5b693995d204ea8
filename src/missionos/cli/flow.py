"""`missionos flow`: the flow context's commands."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

import typer

from missionos.cli.common import (
    Format,
    FormatOption,
    SinceOption,
    UntilOption,
    console,
    database,
    emit,
    emit_json,
    err_console,
    note_empty_window,
    parse_window,
    progress_bar,
)
from missionos.errors import FieldError
from missionos.flow import ImportSummary

app = typer.Typer(
    help="Flow: value-stream maps and flow metrics from the issue tracker.", no_args_is_help=True
)
import_app = typer.Typer(help="Import work items and their status changes.", no_args_is_help=True)
stream_app = typer.Typer(help="Value streams: define and list them.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(stream_app, name="stream")

TypesOption = Annotated[
    Path | None,
    typer.Option("--types", help="YAML mapping of feature/defect/risk/debt to tracker type names."),
]
TzOption = Annotated[
    str | None, typer.Option("--tz", help="Time zone of time stamps that carry no offset (IANA name).")
]
StreamOption = Annotated[str, typer.Option("--stream", "-s", help="The value stream's name.")]


def _report(summary: ImportSummary, fmt: Format) -> None:
    if fmt is Format.json:
        emit_json(summary.as_dict())
        return
    row = summary.as_dict()
    notes = row.pop("notes")
    emit([row], list(row), fmt, title="Imported")
    for note in notes:  # type: ignore[attr-defined]
        err_console.print(f"note: {note}", highlight=False)


@import_app.command("csv")
def import_csv(
    items: Annotated[Path, typer.Argument(help="Items CSV: id,type,title,created_at,team[,parent].")],
    transitions: Annotated[Path, typer.Argument(help="Transitions CSV: item,from_status,to_status,at.")],
    source: Annotated[
        str, typer.Option(help="Source name; (source, id) is each item's natural key.")
    ] = "csv",
    types: TypesOption = None,
    tz: TzOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Import work items and status transitions from two CSV files (one transaction; idempotent)."""
    from missionos.flow import TypeMap, count_lines, import_csv, zone

    type_map = TypeMap.from_file(types) if types else TypeMap()
    db = database()
    total = count_lines(items) + count_lines(transitions) if items.exists() and transitions.exists() else None
    with progress_bar("Importing CSV", total) as advance, db.session() as session:
        summary = import_csv(
            session, items, transitions, source=source, types=type_map, tz=zone(tz), advance=advance
        )
    _report(summary, fmt)


@import_app.command("jira")
def import_jira(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Saved Jira REST responses: JSON Lines or JSON files, or directories of them."),
    ] = None,
    url: Annotated[str | None, typer.Option(help="Jira base URL, for a live import.")] = None,
    jql: Annotated[str | None, typer.Option(help="JQL selecting the issues of a live import.")] = None,
    token: Annotated[
        str | None, typer.Option(envvar="MISSIONOS_JIRA_TOKEN", help="API token (env MISSIONOS_JIRA_TOKEN).")
    ] = None,
    email: Annotated[
        str | None, typer.Option(envvar="MISSIONOS_JIRA_EMAIL", help="Account e-mail for Jira Cloud tokens.")
    ] = None,
    team: Annotated[str | None, typer.Option(help="Team of every item (default: the project key).")] = None,
    types: TypesOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Import Jira issues with their changelogs, from saved responses or live (--url and --jql)."""
    from missionos.flow import TypeMap, upsert_work
    from missionos.flow.importers import jira

    type_map = TypeMap.from_file(types) if types else TypeMap()
    if url or jql:
        if not (url and jql):
            raise FieldError("--jql" if url else "--url", "both --url and --jql for a live import")
        if paths:
            raise FieldError("PATHS", "either files or --url/--jql, not both")
        client = jira.JiraClient(url, token=token, email=email)
        with progress_bar("Fetching Jira issues", None) as advance:
            batch = client.search(jql, advance=advance)
    else:
        if not paths:
            raise FieldError("PATHS", "one or more files or directories, or --url and --jql")
        batch = jira.read_files(paths)
    items, moves, notes = jira.to_records(batch, type_map, team=team)
    db = database()
    with db.session() as session:
        summary = upsert_work(session, items, moves, source=jira.SOURCE)
    _report(dataclasses.replace(summary, notes=tuple(notes)), fmt)


@import_app.command("github-issues")
def import_github_issues(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Saved GitHub REST pages (JSON/JSON Lines files, or directories of them)."),
    ] = None,
    repo: Annotated[
        str | None, typer.Option(help="OWNER/NAME: fetch it live (or name the repository of saved pages).")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            envvar=["MISSIONOS_GITHUB_TOKEN", "GITHUB_TOKEN"], help="Token (env MISSIONOS_GITHUB_TOKEN)."
        ),
    ] = None,
    api_url: Annotated[
        str, typer.Option("--api-url", help="REST API root (GitHub Enterprise: https://HOST/api/v3).")
    ] = "https://api.github.com",
    since: Annotated[
        str | None, typer.Option(help="Live: only issues updated since this ISO date/time.")
    ] = None,
    save: Annotated[
        Path | None,
        typer.Option(help="Live: write every fetched page to this directory instead of importing."),
    ] = None,
    team: Annotated[str | None, typer.Option(help="Team of every item (default: OWNER/NAME).")] = None,
    status_label_prefix: Annotated[
        str, typer.Option(help="Labels starting with this are statuses ('' for none).")
    ] = "status:",
    types: TypesOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Import GitHub issues with their events and board moves, live (--repo) or from saved pages."""
    from missionos.cli.common import parse_moment
    from missionos.flow import TypeMap, upsert_work
    from missionos.flow.importers import github

    type_map = TypeMap.from_file(types) if types else TypeMap()
    if repo:
        github.check_repo(repo)
    if paths:
        if since or save:
            raise FieldError("--since" if since else "--save", "a live import (--repo without files)")
        batch = github.read_files(paths)
    elif repo:
        client = github.GitHubClient(repo, token=token, url=api_url, save=save)
        moment = parse_moment(since, option="--since") if since else None
        with progress_bar(f"Fetching {repo} issues", None) as advance:
            batch = client.fetch(since=moment, advance=advance)
        if save is not None:
            console.print(f"{len(batch.issues)} issues saved as {client.saved} pages in {save}")
            return
    else:
        raise FieldError("PATHS", "saved pages, or --repo OWNER/NAME for a live import")
    items, moves, notes = github.to_records(
        batch, type_map, repo=repo, team=team, status_label_prefix=status_label_prefix
    )
    db = database()
    with db.session() as session:
        summary = upsert_work(session, items, moves, source=github.SOURCE)
    _report(dataclasses.replace(summary, notes=tuple(notes)), fmt)


@stream_app.command("apply")
def stream_apply(
    file: Annotated[Path, typer.Argument(help="Stream definition (YAML): name, team, done, steps.")],
) -> None:
    """Define a value stream, or update it, from a YAML file."""
    from missionos.flow import apply_stream, read_stream_file

    stream = read_stream_file(file)
    db = database()
    with db.session() as session:
        outcome = apply_stream(session, stream)
    console.print(f"stream {stream.name}: {outcome} ({len(stream.steps)} steps: {', '.join(stream.steps)})")


@stream_app.command("list")
def stream_list(fmt: FormatOption = Format.table) -> None:
    """List the value streams with their team, steps and done statuses."""
    from missionos.flow import list_streams

    db = database()
    with db.session() as session:
        streams = list_streams(session)
    rows = [
        {"name": s.name, "team": s.team, "steps": ", ".join(s.steps), "done": ", ".join(s.done)}
        for s in streams
    ]
    emit(rows, ["name", "team", "steps", "done"], fmt, title="Value streams")


@app.command("metrics")
def metrics_command(
    stream: StreamOption,
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Flow metrics and value-stream-map figures of a stream over the items done in the window."""
    from missionos.flow import duration, percent, stream_metrics

    window = parse_window(since, until)
    db = database()
    with db.session() as session:
        figures = stream_metrics(session, stream, window)
        covered = None if figures.items_done else _covered(session, stream)
    doc = figures.as_dict()
    note_empty_window("items done", window, covered)
    if fmt is Format.json:
        emit_json(doc)
        return
    summary: list[dict[str, Any]] = [
        {"figure": "items done", "value": figures.items_done},
        {"figure": "flow time median", "value": _days(figures.flow_time_median_days)},
        {"figure": "flow time p85", "value": _days(figures.flow_time_p85_days)},
        {"figure": "flow efficiency", "value": percent(figures.flow_efficiency)},
        {"figure": "velocity", "value": f"{figures.velocity_per_week:.1f} items/week"},
        {"figure": "load (mean / now)", "value": f"{_num(figures.load_mean)} / {figures.load_now}"},
        {"figure": "activity ratio", "value": percent(figures.activity_ratio)},
        {"figure": "rolled %C&A", "value": percent(figures.rolled_pct_complete_accurate)},
        {
            "figure": "distribution",
            "value": ", ".join(f"{k} {percent(v)}" for k, v in figures.distribution.items()),
        },
        {
            "figure": "constraint",
            "value": ", ".join(f"{s} {percent(share)}" for s, share in figures.constraint) or "—",
        },
    ]
    if fmt is Format.csv:
        rows = [s.as_dict() for s in figures.steps]
        emit(rows, list(rows[0]) if rows else ["name"], fmt)
        return
    emit(
        summary,
        ["figure", "value"],
        fmt,
        title=f"{stream}: {window.since:%Y-%m-%d} to {window.until:%Y-%m-%d}",
    )
    steps = [
        {
            "step": s.name,
            "W/T": duration(s.wait_before_hours),
            "P/T": duration(s.process_time_hours),
            "L/T": duration(s.lead_time_hours),
            "%C&A": percent(s.pct_complete_accurate),
            "items": s.items,
        }
        for s in figures.steps
    ]
    emit(steps, ["step", "W/T", "P/T", "L/T", "%C&A", "items"], fmt, title="Value-stream map")
    if figures.unnamed_statuses:
        names = ", ".join(f"{k} ({v})" for k, v in figures.unnamed_statuses.items())
        err_console.print(f"note: statuses the stream does not name (counted as backlog): {names}")


def _covered(session: Any, stream: str) -> tuple[Any, Any] | None:
    """The first and last status change of the stream's team's items; None when it has none."""
    from sqlalchemy import func, select

    from missionos.flow import Transition, WorkItem, get_stream

    team = get_stream(session, stream).team
    query = select(func.min(Transition.at), func.max(Transition.at)).join(
        WorkItem, WorkItem.id == Transition.item_id
    )
    if team:
        query = query.where(func.lower(WorkItem.team) == team.lower())
    first, last = session.execute(query).one()
    return None if first is None else (first, last)


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} d"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


@app.command("vsm")
def vsm_command(
    stream: StreamOption,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the SVG.")],
    what_if: Annotated[
        str | None,
        typer.Option("--what-if", help="Scale a step's wait or process time, e.g. 'Release.wait=0.5'."),
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
) -> None:
    """Draw the value-stream map (SVG); with --what-if, the future state and its new lead time."""
    from missionos.flow import metrics, stream_metrics, vsm

    window = parse_window(since, until)
    db = database()
    with db.session() as session:
        figures = stream_metrics(session, stream, window)
    if what_if:
        changes = metrics.parse_what_if(what_if, [s.name for s in figures.steps])
        steps = metrics.what_if(figures.steps, changes)
        before, after = figures.total_lead_time_hours, sum(s.lead_time_hours or 0.0 for s in steps)
        label = f"what-if {what_if}: lead time {vsm.duration(before)} → {vsm.duration(after)}"
        out.write_text(vsm.render(figures, steps=steps, subtitle=label), encoding="utf-8")
        console.print(f"{label}; map written to {out}")
    else:
        out.write_text(vsm.render(figures), encoding="utf-8")
        console.print(f"value-stream map of {stream} written to {out}")


@app.command("items")
def items_command(
    stream: StreamOption,
    state: Annotated[str, typer.Option(help="all, done or wip.")] = "all",
    fmt: FormatOption = Format.table,
) -> None:
    """List a stream's work items with their start, done, flow time and efficiency."""
    from missionos.flow import stream_items

    if state not in ("all", "done", "wip"):
        raise FieldError("--state", "all, done or wip")
    db = database()
    with db.session() as session:
        rows = [dataclasses.asdict(r) for r in stream_items(session, stream, state=state)]
    cols = [
        "key",
        "type",
        "status",
        "start",
        "done",
        "flow_time_days",
        "efficiency",
        "backward_moves",
        "title",
    ]
    emit(rows, cols, fmt, title=f"{stream}: items")
