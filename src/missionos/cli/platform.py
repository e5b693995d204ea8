"""`missionos platform`: what the platform advertises, what production proved, what each team waits for."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from missionos.cli.common import Format, FormatOption, actor, console, database, emit, emit_json

app = typer.Typer(
    help="Platform: advertised offers, verified only by the production deployments that used them.",
    no_args_is_help=True,
)


def _days(value: float | None) -> str | None:
    return None if value is None else f"{value:.1f}"


@app.command("apply")
def apply(
    path: Annotated[Path, typer.Argument(help="A platform file (YAML or JSON): offers, teams, bindings.")],
) -> None:
    """Apply a platform file whole (or nothing of it): offers by kind and name, teams' needs by team, and
    deployment bindings by service and deployment."""
    from missionos import platform as service

    doc, node = service.read_platform_file(path)
    with database().session() as session:
        counts = service.apply_document(session, doc, actor=actor(), source=str(path), node=node)
    console.print(
        f"{counts['offers']} offers, {counts['teams']} teams and {counts['bindings']} bindings written; "
        f"{counts['unchanged']} unchanged"
    )


@app.command("check")
def check(
    path: Annotated[Path, typer.Argument(help="A platform file (YAML or JSON): offers, teams, bindings.")],
) -> None:
    """Check a platform file without storing anything: exits 2 naming each bad line and field (a CI gate)."""
    from missionos import platform as service

    doc, node = service.read_platform_file(path)
    with database().session() as session:
        counts = service.check(session, doc, source=str(path), node=node)
    console.print(
        f"{path}: valid; {counts['offers']} offers, {counts['teams']} teams, {counts['bindings']} bindings",
        highlight=False,
    )


@app.command("advertise")
def advertise(
    kind: Annotated[str, typer.Argument(help="language, service, zone or stage.")],
    name: Annotated[str, typer.Argument(help="The offer's name, e.g. python, postgres, internal, sast.")],
    description: Annotated[str, typer.Option(help="What the platform says it provides.")] = "",
    purl: Annotated[
        list[str] | None,
        typer.Option("--purl", help="A language's purl type, when it is not a known one (repeatable)."),
    ] = None,
    evidence: Annotated[
        list[str] | None,
        typer.Option("--evidence", help="A stage's evidence kind, e.g. sarif (repeatable; stages need one)."),
    ] = None,
    platform_name: Annotated[str, typer.Option("--platform", help="The platform's name.")] = "platform",
) -> None:
    """Advertise one offer (audited). It stays unverified until a production deployment uses it."""
    from missionos import platform as service

    offer: dict[str, Any] = {"name": name, "description": description}
    if purl:
        offer["purl"] = purl
    if evidence:
        offer["evidence"] = evidence
    with database().session() as session:
        service.advertise(session, kind, offer, actor=actor(), platform=platform_name)
    console.print(f"advertised {kind} [bold]{name}[/]; unverified until a production deployment uses it")


@app.command("withdraw")
def withdraw(
    kind: Annotated[str, typer.Argument(help="language, service, zone or stage.")],
    name: Annotated[str, typer.Argument(help="The offer's name.")],
) -> None:
    """Stop advertising an offer (audited); teams that need it then see it as not offered."""
    from missionos import platform as service

    with database().session() as session:
        service.withdraw(session, kind, name, actor=actor())
    console.print(f"withdrew {kind} [bold]{name}[/]")


@app.command("need")
def need(
    team: Annotated[str, typer.Argument(help="The team.")],
    language: Annotated[list[str] | None, typer.Option("--language", help="A language (repeatable).")] = None,
    backing: Annotated[
        list[str] | None, typer.Option("--service", help="A backing service (repeatable).")
    ] = None,
    zone: Annotated[list[str] | None, typer.Option("--zone", help="A network zone (repeatable).")] = None,
    stage: Annotated[list[str] | None, typer.Option("--stage", help="A pipeline stage (repeatable).")] = None,
    created: Annotated[str | None, typer.Option(help="When the team was created (ISO date).")] = None,
    probe: Annotated[str | None, typer.Option(help="The team's hello-world service, its probe.")] = None,
) -> None:
    """Declare what a team's services need (audited); replaces the team's earlier declaration."""
    from missionos import platform as service

    doc: dict[str, Any] = {
        "team": team,
        "needs": {"languages": language, "services": backing, "zones": zone, "stages": stage},
    }
    if created is not None:
        doc["created"] = created
    if probe is not None:
        doc["probe"] = probe
    with database().session() as session:
        service.declare_needs(session, doc, actor=actor())
    console.print(f"declared the needs of [bold]{team}[/]")


@app.command("bind")
def bind(
    service_name: Annotated[str, typer.Argument(metavar="SERVICE", help="The deployed service.")],
    deployment: Annotated[str, typer.Argument(help="The production deployment's id, as delivery has it.")],
    zone: Annotated[str | None, typer.Option(help="The network zone it was deployed into.")] = None,
    backing: Annotated[
        list[str] | None, typer.Option("--service", help="A backing service it was bound to (repeatable).")
    ] = None,
) -> None:
    """Record what a production deployment was bound to, as the deploy manifest says (audited)."""
    from missionos import platform as service

    doc: dict[str, Any] = {"service": service_name, "deployment": deployment, "services": backing or []}
    if zone is not None:
        doc["zone"] = zone
    with database().session() as session:
        service.record_binding(session, doc, actor=actor())
    console.print(f"recorded the bindings of {service_name} deployment {deployment}")


OFFER_COLUMNS = ["kind", "name", "verified", "first_used_by", "evidence", "deployments"]


@app.command("offers")
def offers(fmt: FormatOption = Format.table) -> None:
    """Every advertised offer, verified or not: the first production deployment that used it and how
    that shows, and how many did. Offers no one has deployed with come first."""
    from missionos import platform as service

    with database().session() as session:
        found = service.overview(session)
    if fmt is Format.json:
        emit_json([s.as_dict() for s in found.offers])
        return
    rows = []
    for s in found.offers:
        first = s.first
        rows.append(
            {
                "kind": s.offer.kind,
                "name": s.offer.name,
                "verified": "yes" if s.verified else "NO",
                "first_used_by": f"{first.deployment} ({first.at.date()})" if first else None,
                "evidence": first.evidence(s.offer) if first else None,
                "deployments": s.uses,
            }
        )
    emit(rows, OFFER_COLUMNS, fmt, title="Platform offers, verified by production")
    if found.unverified and fmt is Format.table:
        names = ", ".join(f"{s.offer.kind} {s.offer.name}" for s in found.unverified)
        console.print(f"[yellow]advertised, never deployed with:[/] {names}", highlight=False)


TEAM_COLUMNS = [
    "team",
    "state",
    "created",
    "first_deploy",
    "days_to_first_deploy",
    "days_waiting",
    "probe",
    "blocked_by",
    "not_offered",
]


def _team_row(t: Any) -> dict[str, Any]:
    probe = None
    if t.probe:
        probe = f"{t.probe}: " + (
            f"shipped {t.probe_deployed.at.date()}" if t.probe_deployed else "not shipped"
        )
    return {
        "team": t.team,
        "state": t.state,
        "created": t.created.date().isoformat() if t.created else None,
        "first_deploy": t.first_deploy.at.date().isoformat() if t.first_deploy else None,
        "days_to_first_deploy": _days(t.days_to_first_deploy),
        "days_waiting": _days(t.days_waiting),
        "probe": probe,
        "blocked_by": ", ".join(f"{n.kind} {n.name}" for n in t.blocked_by) or None,
        "not_offered": ", ".join(f"{n.kind} {n.name}" for n in t.gap if n.state == "not offered") or None,
    }


@app.command("teams")
def teams(fmt: FormatOption = Format.table) -> None:
    """Each team's path to production: time from created to first production deploy, its hello-world probe,
    and the unverified offers it is blocked by. Blocked teams come first."""
    from missionos import platform as service

    with database().session() as session:
        found = service.overview(session)
    if fmt is Format.json:
        emit_json([t.as_dict() for t in found.teams])
        return
    emit([_team_row(t) for t in found.teams], TEAM_COLUMNS, fmt, title="Teams' path to production")


@app.command("team")
def team(
    name: Annotated[str, typer.Argument(help="The team.")],
    fmt: FormatOption = Format.table,
) -> None:
    """One team: each need verified, unverified (advertised, never deployed with) or not offered."""
    from missionos import platform as service

    with database().session() as session:
        found = service.team(session, name)
    if fmt is not Format.table:
        emit_json(found.as_dict())
        return
    row = _team_row(found)
    console.print(f"[bold]{found.team}[/]: {found.state}", highlight=False)
    if found.first_deploy is not None:
        console.print(
            f"first production deploy {row['first_deploy']} ({found.first_deploy.service} "
            f"{found.first_deploy.deployment})"
            + (
                f", {row['days_to_first_deploy']} days after the team was created"
                if row["days_to_first_deploy"]
                else ""
            ),
            highlight=False,
        )
    elif found.days_waiting is not None:
        console.print(
            f"no production deploy {row['days_waiting']} days after the team was created", highlight=False
        )
    console.print(f"probe: {row['probe'] or 'none declared'}", highlight=False)
    needs = [
        {
            "kind": n.kind,
            "name": n.name,
            "state": n.state,
            "verified_by": f"{n.verified_by.service} {n.verified_by.deployment}" if n.verified_by else None,
        }
        for n in found.needs
    ]
    emit(needs, ["kind", "name", "state", "verified_by"], fmt, title=f"What {found.team} needs")
