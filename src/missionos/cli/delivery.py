"""`missionos delivery`: the delivery context's commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from missionos.cli.common import (
    Format,
    FormatOption,
    SinceOption,
    UntilOption,
    actor,
    console,
    database,
    emit,
    emit_json,
    note_empty_window,
    parse_moment,
    parse_window,
    progress_bar,
)
from missionos.errors import FieldError
from missionos.times import as_utc

app = typer.Typer(
    help="Delivery: DORA metrics and the path to production, from git, deployments and incidents.",
    no_args_is_help=True,
)
import_app = typer.Typer(
    help="Import commits, deployments, incidents and pull requests (idempotent; one transaction per batch).",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")

ServiceOption = Annotated[
    list[str] | None, typer.Option("--service", "-s", help="A service (repeat for several). Default: all.")
]
TeamOption = Annotated[str | None, typer.Option("--team", "-t", help="Every service of this team.")]


@app.command("services")
def services(fmt: FormatOption = Format.table) -> None:
    """List services with their team and repositories."""
    from missionos.delivery import list_services

    with database().session() as session:
        rows = [
            {"service": s.name, "team": s.team, "repositories": ", ".join(s.repositories)}
            for s in list_services(session)
        ]
    emit(rows, ["service", "team", "repositories"], fmt, title="Services")


@import_app.command("git")
def import_git(
    path: Annotated[Path, typer.Argument(help="A local git repository.")],
    service: Annotated[str, typer.Option("--service", "-s", help="The service these commits belong to.")],
    path_prefix: Annotated[
        str, typer.Option(help="Only commits touching this directory are the service's changes (monorepos).")
    ] = "",
    branch: Annotated[
        str | None, typer.Option(help="The branch to read. Default: the checked-out one.")
    ] = None,
) -> None:
    """Import a repository's commits from git; re-running adds only new commits."""
    from missionos.delivery import gitlog
    from missionos.delivery import import_git as run

    total = gitlog.count(path, [branch or "HEAD"]) if (path / ".git").exists() else None
    with database().session() as session, progress_bar(f"Reading {path}", total) as advance:
        summary = run(
            session, path, service=service, path_prefix=path_prefix, branch=branch, progress=advance
        )
    console.print(f"{summary.inserted} new commits imported for {service} ({summary.read} read from git).")


@import_app.command("deployments")
def import_deployments(
    file: Annotated[Path, typer.Argument(help="A JSON Lines (.jsonl) or CSV (.csv) file of deployments.")],
) -> None:
    """Import deployments (id, service, environment, status, started_at, finished_at, revision, kind,
    remediates); the whole file is rejected if any line is bad."""
    from missionos.delivery import read_deployments, upsert_deployments

    records, lines = read_deployments(file)
    with database().session() as session:
        summary = upsert_deployments(session, records, source=str(file), lines=lines)
    _report(summary.as_dict(), "deployments")


@import_app.command("incidents")
def import_incidents(
    file: Annotated[Path, typer.Argument(help="A JSON Lines (.jsonl) or CSV (.csv) file of incidents.")],
) -> None:
    """Import incidents (id, service, started_at, resolved_at, severity, cause, remediation); the whole file
    is rejected if any line is bad. A remediation must name a deployment of the service already imported."""
    from missionos.delivery import read_incidents, upsert_incidents

    records, lines = read_incidents(file)
    with database().session() as session:
        summary = upsert_incidents(session, records, source=str(file), lines=lines)
    _report(summary.as_dict(), "incidents")


@import_app.command("devlake")
def import_devlake(
    directory: Annotated[
        Path,
        typer.Argument(
            help="A directory of DevLake domain-layer tables, one file each (.csv, .jsonl or .json): "
            "cicd_deployment_commits, cicd_deployments, pull_requests, pull_request_commits, "
            "pull_request_comments, pull_request_labels, incidents, issues, issue_changelogs, board_issues, "
            "project_mapping."
        ),
    ],
    service: Annotated[
        str | None,
        typer.Option(
            "--service", "-s", help="Put everything in this service instead of one per DevLake project."
        ),
    ] = None,
    create_services: Annotated[
        bool,
        typer.Option("--create-services", help="Create the services that do not exist yet (without a team)."),
    ] = False,
) -> None:
    """Import DevLake exports: deployments, pull requests (commits, comments, labels), incidents, and issues
    as flow work items with their status changes, mapped as docs/org.md describes; each DevLake project is a
    service. The whole directory is rejected if any row is bad."""
    from missionos.ingest import import_devlake as run
    from missionos.ingest import read_devlake

    data = read_devlake(directory, service=service)
    console.print(f"Tables read: {', '.join(data.tables)}.")
    with database().session() as session:
        summary = run(session, data, create_services=create_services)
    if summary["created_services"]:
        console.print(f"Services created: {', '.join(summary['created_services'])}.")
    for key in ("pull_requests", "deployments", "incidents"):
        _report(summary[key], key.replace("_", " "))
    work = summary["work_items"]
    if work is not None:
        console.print(
            f"{len(data.items)} issues read as work items: {work['items_created']} new, "
            f"{work['items_updated']} updated, {work['items_unchanged']} unchanged; "
            f"{work['transitions_added']} status changes added."
        )
    for note in data.notes:
        console.print(f"Note: {note}.")


def _report(summary: dict[str, Any], what: str) -> None:
    console.print(
        f"{summary['read']} {what} read: {summary['inserted']} new, {summary['updated']} updated, "
        f"{summary['unchanged']} unchanged."
    )


@app.command("metrics")
def metrics(
    service: ServiceOption = None,
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """The five DORA metrics for services, a team or the organization (default: the last 90 days)."""
    from missionos.delivery import delivery_metrics, scope_of

    window = parse_window(since, until)
    with database().session() as session:
        selected = scope_of(session, services=service or [], team=team)
        doc = delivery_metrics(session, selected, window)
        empty = not (
            doc["deployment_frequency"]["count"]
            or doc["lead_time"]["count"]
            or doc["incidents"]["attributed"]
            or doc["incidents"]["unattributed"]
        )
        covered = _covered(session, selected, "deployments", "incidents") if empty else None
    if fmt is Format.json:
        emit_json(doc)
    else:
        emit(_metric_rows(doc), ["metric", "value", "detail", "level"], fmt, title=_title(doc))
    note_empty_window("deployments, changes or incidents", window, covered)


def _covered(session: Any, selected: Any, *kinds: str) -> tuple[Any, Any] | None:
    """The first and last moment of the selected services' deployments and/or incidents; None if none."""
    from sqlalchemy import func, select

    from missionos.delivery import Deployment, Incident

    columns = {
        "deployments": (Deployment.service_id, Deployment.finished_at),
        "incidents": (Incident.service_id, Incident.started_at),
    }
    moments = []
    for kind in kinds:
        service, column = columns[kind]
        first, last = session.execute(
            select(func.min(column), func.max(column)).where(service.in_(selected.ids))
        ).one()
        if first is not None:
            moments += [first, last]
    if not moments:
        return None
    return min(moments, key=as_utc), max(moments, key=as_utc)


def _title(doc: dict[str, Any]) -> str:
    scope = doc["scope"]
    what = next((f"{k} {v}" for k, v in scope.items() if k != "services" and v), "organization")
    return f"Delivery of {what}, {doc['window']['since'][:10]} to {doc['window']['until'][:10]}"


def _hours(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} d"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _metric_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    df, lt, cfr = doc["deployment_frequency"], doc["lead_time"], doc["change_failure_rate"]
    rt, rw, inc = doc["recovery_time"], doc["rework_rate"], doc["incidents"]
    parts = ", ".join(f"{k.removesuffix('_hours')} {_hours(v)}" for k, v in lt["parts"].items())
    return [
        {
            "metric": "deployment frequency",
            "value": f"{df['per_week']:.2f}/week",
            "detail": f"{df['count']} production deployments; {df['category']}",
            "level": df["level"],
        },
        {
            "metric": "lead time (median)",
            "value": _hours(lt["median_hours"]),
            "detail": f"p90 {_hours(lt['p90_hours'])}; {lt['count']} changes, "
            f"{lt['skipped']} skipped; {parts}",
            "level": lt["level"],
        },
        {
            "metric": "change failure rate",
            "value": _share(cfr["rate"]),
            "detail": f"{cfr['failed']} of {cfr['total']} failed",
            "level": cfr["level"],
        },
        {
            "metric": "recovery time (median)",
            "value": _hours(rt["median_hours"]),
            "detail": f"p90 {_hours(rt['p90_hours'])}; {rt['count']} recovered, {rt['open']} open",
            "level": rt["level"],
        },
        {
            "metric": "rework rate",
            "value": _share(rw["rate"]),
            "detail": f"{rw['count']} hotfixes and rollbacks",
            "level": None,
        },
        {
            "metric": "incidents",
            "value": str(inc["attributed"] + inc["unattributed"]),
            "detail": f"{inc['attributed']} attributed, {inc['unattributed']} unattributed",
            "level": None,
        },
    ]


@app.command("settings")
def settings(
    rollback_pattern: Annotated[
        str | None,
        typer.Option(
            help="Regular expression (case-insensitive) that makes a change message or label a rollback."
        ),
    ] = None,
    hotfix_pattern: Annotated[
        str | None,
        typer.Option(
            help="Regular expression (case-insensitive) that makes a change message or label a hotfix."
        ),
    ] = None,
    infer_kinds: Annotated[
        bool | None,
        typer.Option(
            "--infer-kinds/--no-infer-kinds",
            help="Infer a deployment's kind from its changes; off, only explicit kinds and "
            "Change-Kind: trailers count.",
        ),
    ] = None,
    attribution_window: Annotated[
        str | None,
        typer.Option(
            help="How long after a deployment an incident with no cause is attributed to it (7d, 36h)."
        ),
    ] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Go back to the defaults first.")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Show the delivery settings, or change them: the kind-inferring patterns, whether kinds are inferred
    at all, and the incident attribution window. A change derives every production deployment's kind again."""
    from missionos.delivery import settings as stored

    changes = (rollback_pattern, hotfix_pattern, infer_kinds, attribution_window)
    with database().session() as session:
        if reset or any(c is not None for c in changes):
            doc = stored.update(
                session,
                rollback_pattern=rollback_pattern,
                hotfix_pattern=hotfix_pattern,
                infer_kinds=infer_kinds,
                attribution_window=attribution_window,
                reset=reset,
                actor=actor(),
            ).as_dict()
        else:
            doc = stored.load(session).as_dict()
    if fmt is Format.json:
        emit_json(doc)
        return
    rows = [{"setting": k, "value": v} for k, v in doc.items() if k != "attribution_window_hours"]
    emit(rows, ["setting", "value"], fmt, title="Delivery settings")


@app.command("readiness")
def readiness(fmt: FormatOption = Format.table) -> None:
    """Every service as shipping, stalled or never shipped, with its time to first production deployment."""
    from missionos.delivery import readiness as compute

    with database().session() as session:
        rows = compute(session)
    emit(
        rows,
        [
            "service",
            "team",
            "status",
            "first_commit_at",
            "first_deployment",
            "last_deployment",
            "production_deployments",
            "time_to_first_deployment_days",
        ],
        fmt,
        title="Path to production",
    )


@app.command("deployments")
def deployments(
    service: ServiceOption = None,
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List the deployments behind the figures: failed or not, why, and when they recovered."""
    from missionos.delivery import deployments as rows_of
    from missionos.delivery import scope_of

    window = parse_window(since, until)
    with database().session() as session:
        selected = scope_of(session, services=service or [], team=team)
        rows = rows_of(session, selected, window)
        covered = None if rows else _covered(session, selected, "deployments")
    columns = ["id", "service", "environment", "status", "kind", "finished_at", "revision", "changes"]
    columns += ["failed", "incidents", "remediated_by", "recovered_at"]
    if fmt is not Format.json:
        rows = [{**r, "revision": r["revision"][:12], "incidents": ";".join(r["incidents"])} for r in rows]
    emit(rows, columns, fmt, title="Deployments")
    note_empty_window("deployments", window, covered)


@app.command("incidents")
def incidents(
    service: ServiceOption = None,
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List incidents with the deployment each is attributed to, and how (cause, heuristic, unattributed)."""
    from missionos.delivery import incidents as rows_of
    from missionos.delivery import scope_of

    window = parse_window(since, until)
    with database().session() as session:
        selected = scope_of(session, services=service or [], team=team)
        rows = rows_of(session, selected, window)
        covered = None if rows else _covered(session, selected, "incidents")
    emit(
        rows,
        [
            "id",
            "service",
            "started_at",
            "resolved_at",
            "severity",
            "cause",
            "remediation",
            "deployment",
            "how",
        ],
        fmt,
        title="Incidents",
    )
    note_empty_window("incidents", window, covered)


RepoDir = Annotated[
    Path | None,
    typer.Option("--from-dir", help="Read saved API pages from this directory instead of the network."),
]
SaveDir = Annotated[
    Path | None, typer.Option("--save-dir", help="Also save every API page read to this directory.")
]


def _forge_import(data: Any, label: str) -> None:
    from missionos.delivery import import_forge

    with database().session() as session:
        summaries = import_forge(session, data, source=label)
    for key, summary in summaries.items():
        _report(summary.as_dict(), key.replace("_", " "))


ForgeSince = Annotated[
    str | None,
    typer.Option(
        help="Only what was updated since this ISO date/time (live reads; `missionos sync` sets it)."
    ),
]


def _forge_since(since: str | None, from_dir: Path | None) -> Any:
    if since and from_dir is not None:
        raise FieldError("--since", "a live import (saved pages are read whole)")
    return parse_moment(since, option="--since") if since else None


@import_app.command("github")
def import_github(
    repo: Annotated[str, typer.Option(help="The repository, as owner/name.")],
    service: Annotated[str, typer.Option("--service", "-s", help="The service it belongs to.")],
    base_url: Annotated[str, typer.Option(help="API root (GitHub Enterprise: https://HOST/api/v3).")] = (
        "https://api.github.com"
    ),
    token_env: Annotated[str, typer.Option(help="Environment variable holding the token.")] = "GITHUB_TOKEN",
    incident_label: Annotated[str, typer.Option(help="Issues with this label are incidents.")] = "incident",
    from_dir: RepoDir = None,
    save_dir: SaveDir = None,
    since: ForgeSince = None,
) -> None:
    """Import merged pull requests (commits, reviews), deployments and incident issues from GitHub."""
    from missionos.delivery import ApiPages, SavedPages, api_client, read_github

    moment = _forge_since(since, from_dir)
    if from_dir is not None:
        data = read_github(SavedPages(from_dir), repo, service, incident_label=incident_label)
    else:
        with api_client("github", base_url, token_env) as client:
            data = read_github(
                ApiPages(client, save_dir), repo, service, incident_label=incident_label, since=moment
            )
    _forge_import(data, f"github:{repo}")


@import_app.command("gitlab")
def import_gitlab(
    project: Annotated[str, typer.Option(help="The project, as group/name or its numeric id.")],
    service: Annotated[str, typer.Option("--service", "-s", help="The service it belongs to.")],
    base_url: Annotated[
        str, typer.Option(help="API root of the GitLab instance.")
    ] = "https://gitlab.com/api/v4",
    token_env: Annotated[str, typer.Option(help="Environment variable holding the token.")] = "GITLAB_TOKEN",
    incident_label: Annotated[str, typer.Option(help="Issues with this label are incidents.")] = "incident",
    from_dir: RepoDir = None,
    save_dir: SaveDir = None,
    since: ForgeSince = None,
) -> None:
    """Import merged merge requests (commits, notes), deployments and incident issues from GitLab."""
    from missionos.delivery import ApiPages, SavedPages, api_client, read_gitlab

    moment = _forge_since(since, from_dir)
    if from_dir is not None:
        data = read_gitlab(SavedPages(from_dir), project, service, incident_label=incident_label)
    else:
        with api_client("gitlab", base_url, token_env) as client:
            data = read_gitlab(
                ApiPages(client, save_dir), project, service, incident_label=incident_label, since=moment
            )
    _forge_import(data, f"gitlab:{project}")
