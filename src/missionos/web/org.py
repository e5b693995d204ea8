"""The organization's page (/org: teams, their services and value streams, drawn and listed, read-only) and
its API: GET /api/v1/org (its document) and PUT /api/v1/org (apply one, admin)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup

from missionos.organization import apply_org, dump_org, export_org, parse_org
from missionos.web.deps import DbSession, page
from missionos.web.security import Principal, require

router = APIRouter()
Viewer = Annotated[Principal, Depends(require("viewer"))]
DEFAULT_PRODUCTION = ("prod", "production")


@dataclass
class TeamView:
    """A team on the page: its services (documents in the org file's form) and its value streams."""

    name: str | None  # None: the services that belong to no team
    description: str = ""
    services: list[dict[str, Any]] = field(default_factory=list)
    streams: list[dict[str, Any]] = field(default_factory=list)


def org_view(doc: dict[str, Any]) -> list[TeamView]:
    """The teams of an organization document, by name, each with its services and streams; the services
    and streams of no team last, as a team named None (only when there are some)."""
    teams = {t["name"]: TeamView(t["name"], t.get("description", "")) for t in doc["teams"]}
    nobody = TeamView(None)
    for service in doc["services"]:
        teams.get(service.get("team") or "", nobody).services.append(service)
    for stream in doc["streams"]:
        teams.get(stream.get("team") or "", nobody).streams.append(stream)
    ordered = sorted(teams.values(), key=lambda t: t.name or "")
    return [*ordered, nobody] if nobody.services or nobody.streams else ordered


# --- the drawing --------------------------------------------------------------------------------------------

ROW = 44  # the height of one service's row (a team with one service needs its two lines)
WIDTH = 640
TEAM_X, TEAM_W = 8, 210
SERVICE_X, SERVICE_W = 330, 302
TREE_LIMIT = 40  # more services than this: a bar per team instead of the tree


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def describe(teams: list[TeamView]) -> str:
    """The drawing in words: each team with its services (the SVG's text alternative)."""
    parts = []
    for team in teams:
        label = team.name if team.name is not None else "No team"
        names = ", ".join(s["name"] for s in team.services) or "no services"
        parts.append(f"{label}: {_plural(len(team.services), 'service')} ({names})")
    return "; ".join(parts) + "."


def org_svg(teams: list[TeamView]) -> str:
    """Teams on the left, each joined to its services on the right (past `TREE_LIMIT` services, one bar per
    team, as long as its count of services); every text placed is escaped."""
    if sum(len(t.services) for t in teams) > TREE_LIMIT:
        return _counts_svg(teams)
    rows = sum(max(1, len(t.services)) for t in teams)
    height = rows * ROW + 16
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        'aria-labelledby="org-title org-desc" class="org-tree">',
        '<title id="org-title">Teams and their services</title>',
        f'<desc id="org-desc">{escape(describe(teams))}</desc>',
    ]
    y = 8
    for team in teams:
        n = max(1, len(team.services))
        top, box_h = y + 2, n * ROW - 4
        middle = y + n * ROW / 2
        label = team.name if team.name is not None else "No team"
        kind = "team" if team.name is not None else "team none"
        counts = _plural(len(team.services), "service")
        if team.streams:
            counts += " · " + _plural(len(team.streams), "stream")
        out.append(
            f'<g class="{kind}"><rect x="{TEAM_X}" y="{top}" width="{TEAM_W}" height="{box_h}" rx="5"/>'
            f'<text x="{TEAM_X + 10}" y="{middle - 2:.0f}" class="name">{escape(_clip(label, 26))}</text>'
            f'<text x="{TEAM_X + 10}" y="{middle + 13:.0f}" class="count">{escape(counts)}</text></g>'
        )
        if not team.services:
            out.append(f'<text x="{SERVICE_X}" y="{middle + 4:.0f}" class="none">no services</text>')
        for k, service in enumerate(team.services):
            cy = y + k * ROW + ROW / 2
            repos = len(service.get("repositories", []))
            out.append(
                f'<path d="M{TEAM_X + TEAM_W} {middle:.0f} C{(TEAM_X + TEAM_W + SERVICE_X) / 2:.0f} '
                f'{middle:.0f} {(TEAM_X + TEAM_W + SERVICE_X) / 2:.0f} {cy:.0f} {SERVICE_X} {cy:.0f}"/>'
                f'<g class="service"><rect x="{SERVICE_X}" y="{cy - 15:.0f}" width="{SERVICE_W}" '
                'height="30" rx="4"/>'
                f'<text x="{SERVICE_X + 8}" y="{cy + 4:.0f}" class="name">'
                f"{escape(_clip(service['name'], 30))}</text>"
                f'<text x="{SERVICE_X + SERVICE_W - 8}" y="{cy + 4:.0f}" class="count" '
                f'text-anchor="end">{escape(_plural(repos, "repo"))}</text></g>'
            )
        y += n * ROW
    out.append("</svg>")
    return "".join(out)


def _counts_svg(teams: list[TeamView]) -> str:
    most = max(1, *(len(t.services) for t in teams))
    bar_x, bar_w, row = TEAM_X + TEAM_W + 12, WIDTH - TEAM_X - TEAM_W - 70, 26
    height = len(teams) * row + 16
    summary = "; ".join(
        f"{t.name if t.name is not None else 'No team'}: {_plural(len(t.services), 'service')}" for t in teams
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        'aria-labelledby="org-title org-desc" class="org-tree counts">',
        '<title id="org-title">Teams and their services</title>',
        f'<desc id="org-desc">{escape(summary)}.</desc>',
    ]
    for k, team in enumerate(teams):
        y = 8 + k * row
        label = team.name if team.name is not None else "No team"
        width = bar_w * len(team.services) / most
        kind = "team" if team.name is not None else "team none"
        out.append(
            f'<text x="{TEAM_X + TEAM_W}" y="{y + 17}" class="name" text-anchor="end">'
            f"{escape(_clip(label, 26))}</text>"
            f'<g class="{kind}"><rect x="{bar_x}" y="{y + 4}" width="{width:.1f}" height="{row - 8}" '
            'rx="3"/></g>'
            f'<text x="{bar_x + width + 6:.1f}" y="{y + 17}" class="count">{len(team.services)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


# --- the page -----------------------------------------------------------------------------------------------


@router.get("/org", include_in_schema=False)
def org_page(request: Request, session: DbSession, who: Viewer) -> Any:
    doc = export_org(session)
    teams = org_view(doc)
    empty = not (doc["teams"] or doc["services"] or doc["streams"])
    return page(
        request,
        "org/index.html",
        "org",
        doc=doc,
        teams=teams,
        empty=empty,
        repositories=sum(len(s.get("repositories", [])) for s in doc["services"]),
        default_production=DEFAULT_PRODUCTION,
        # The drawing is built by `org_svg`, which escapes every text it places.
        svg=None if empty else Markup(org_svg(teams)),
        tree=len(doc["services"]) <= TREE_LIMIT,
    )


@router.get("/org/org.yaml", include_in_schema=False)
def org_yaml(session: DbSession, who: Viewer) -> Response:
    """The organization as the YAML file `missionos org apply` reads, to download and change."""
    return Response(
        dump_org(export_org(session)),
        media_type="application/yaml; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="org.yaml"'},
    )


# --- API ----------------------------------------------------------------------------------------------------


@router.get("/api/v1/org", tags=["org"])
def api_get_org(session: DbSession) -> dict[str, Any]:
    """Teams, services (team, repositories, history start, production environments) and value streams, in
    the form PUT accepts: putting it back changes nothing."""
    return export_org(session)


@router.put("/api/v1/org", tags=["org"])
def api_put_org(
    session: DbSession,
    who: Annotated[Principal, Depends(require("admin"))],
    body: Annotated[Any, Body()],
    dry_run: bool = False,
) -> dict[str, Any]:
    """Apply an organization document (the org.yaml fields as JSON): what was added, changed or unchanged.

    A bad field answers 422 naming it (e.g. `services[1].team`) and nothing is stored; `?dry_run=true`
    reports the difference without storing it. Nothing the document leaves out is deleted. A change is
    recorded in the audit log (kind `org`) with the organization before and after.
    """
    spec = parse_org(body, source="body")
    return apply_org(session, spec, dry_run=dry_run, actor=who.name).as_dict()
