"""The delivery pages (/delivery) and API (/api/v1/delivery)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request

from missionos import delivery, times
from missionos.accounts import limits
from missionos.delivery import ImportSummary, ServiceInfo, files, list_services, queries
from missionos.errors import FieldError, InputError, NotFoundError
from missionos.measures import Scope, Window
from missionos.web.charts import bar_chart, line_chart
from missionos.web.deps import DbSession, page
from missionos.web.security import Principal, require

router = APIRouter()
Viewer = Annotated[Principal, Depends(require("viewer"))]

PERIODS = (30, 90, 180, 365)
TRENDS = (
    ("deployments", "Production deployments per week", "deployment_frequency"),
    ("lead_time_hours", "Median lead time (hours)", "lead_time"),
    ("change_failure_rate", "Change failure rate", "change_failure_rate"),
    ("recovery_hours", "Median recovery time (hours)", "recovery_time"),
    ("rework_rate", "Rework rate", "rework_rate"),
)
PARTS = (
    ("coding_hours", "coding"),
    ("pickup_hours", "pickup"),
    ("review_hours", "review"),
    ("deploy_hours", "deploy"),
)


def _window(days: int, until: dt.datetime | None = None) -> Window:
    if days < 1 or days > 3650:
        raise FieldError("days", "a number of days between 1 and 3650")
    return times.window(None, until, default_days=days)


def _trend_charts(rows: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    charts = []
    for column, title, key in TRENDS:
        points = [{"week": r["week"].date().isoformat(), column: r[column]} for r in rows]
        charts.append(
            {
                "id": f"{prefix}-{key}",
                "key": key,
                "title": title,
                "spec": line_chart(points, x="week", y=column, title=title, height=140),
            }
        )
    return charts


def _breakdown_chart(docs: list[tuple[str, dict[str, Any]]], title: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [
        {
            "scope": name,
            "part": label,
            "order": order,
            "hours": round(doc["lead_time"]["parts"][part] or 0.0, 2),
        }
        for name, doc in docs
        for order, (part, label) in enumerate(PARTS)
    ]
    spec = bar_chart(rows, x="scope", y="hours", title=title, color="part")
    spec["encoding"]["color"]["sort"] = [label for _, label in PARTS]
    spec["encoding"]["order"] = {"field": "order", "type": "quantitative"}
    return spec


def _charted(view: delivery.ScopeView, prefix: str) -> dict[str, Any]:
    return {"doc": view.doc, "trends": _trend_charts(view.weeks, prefix)}


@router.get("/delivery", include_in_schema=False)
def index(request: Request, session: DbSession, who: Viewer, days: int = 90) -> Any:
    window = _window(days)
    figures = delivery.overview(request.app.state.db, session, window, who=who)
    breakdown = _breakdown_chart(
        [(r["name"], r["doc"]) for r in figures.rows if r["doc"]["lead_time"]["count"]],
        "Where lead time goes (median hours per part)",
    )
    return page(
        request,
        "delivery/index.html",
        "delivery",
        days=days,
        periods=PERIODS,
        base="/delivery",
        services=figures.services,
        window=figures.window,
        org=_charted(figures.org, "org"),
        rows=figures.rows,
        teams=figures.teams,
        readiness=figures.readiness,
        breakdown=breakdown,
    )


def _detail(
    request: Request, session: DbSession, selected: queries.ScopeServices, days: int, **extra: Any
) -> Any:
    window = _window(days)
    figures = delivery.scope_detail(request.app.state.db, session, selected, window)
    return page(
        request,
        "delivery/service.html",
        "delivery",
        days=days,
        periods=PERIODS,
        window=figures.window,
        view=_charted(figures.view, "scope"),
        breakdown=_breakdown_chart(
            [(selected.scope.name or "org", figures.view.doc)], "Where lead time goes (median hours per part)"
        ),
        deployments=figures.deployments,
        incidents=figures.incidents,
        changes=figures.changes,
        **extra,
    )


EVER = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def path_to_production(session: DbSession, service: ServiceInfo) -> dict[str, Any] | None:
    """For a service that has never shipped: each stage of its path to production, reached or not, from what
    delivery records (commits, deployments outside production) and the platform knows (its team's needs
    against verified offers). None once the service has shipped."""
    ready = next((r for r in delivery.readiness(session) if r["service"] == service.name), None)
    if ready is None or ready["status"] != "never shipped":
        return None
    selected = queries.services_in(session, Scope("service", service.name))
    everywhere = delivery.deployments(session, selected, Window(EVER, dt.datetime.now(dt.UTC)))
    elsewhere = sorted({d["environment"] for d in everywhere if not d["production"]})
    team = None
    if service.team:
        from missionos import platform

        try:
            team = platform.team(session, service.team).as_dict()
        except NotFoundError:
            team = None
    first = ready["first_commit_at"]
    stages = [
        {
            "stage": "code",
            "reached": first is not None,
            "text": f"Code: committed since {first:%Y-%m-%d}." if first else "Code: no commit recorded yet.",
        },
        {
            "stage": "deployed",
            "reached": bool(elsewhere),
            "text": (
                f"Deployed outside production: {len(everywhere)} deployments to {', '.join(elsewhere)}."
                if elsewhere
                else "Deployed outside production: no deployment recorded to any environment."
            ),
        },
    ]
    if team is not None:
        needs = team["needs"]
        verified = [f"{n['kind']} {n['name']}" for n in needs if n["state"] == "verified"]
        gap = team["blocked_by"] + team["not_offered"]
        parts = []
        if verified:
            parts.append(f"{', '.join(verified)} proven in production")
        if team["blocked_by"]:
            parts.append(f"{', '.join(team['blocked_by'])} advertised but never used in production")
        if team["not_offered"]:
            parts.append(f"{', '.join(team['not_offered'])} not offered")
        stages.append(
            {
                "stage": "platform",
                "reached": not gap,
                "text": f"Platform: team {service.team} needs "
                + ("; ".join(parts) if parts else "nothing declared")
                + ".",
            }
        )
    waited = ready["time_to_first_deployment_days"]
    stages.append(
        {
            "stage": "production",
            "reached": False,
            "text": "Production: never deployed"
            + (f", {waited:.0f} days since the first commit." if waited is not None else "."),
        }
    )
    blocker = None
    if team is not None and (team["blocked_by"] or team["not_offered"]):
        blocker = (
            f"{service.name} cannot ship until the platform proves "
            f"{', '.join(team['blocked_by'] + team['not_offered'])} in production."
        )
    return {"stages": stages, "blocker": blocker, "team": team}


@router.get("/delivery/services/{name}", include_in_schema=False)
def service_page(request: Request, name: str, session: DbSession, who: Viewer, days: int = 90) -> Any:
    delivery.require_services(session, who, [name], "viewer")
    found = [s for s in list_services(session) if s.name == name]
    if not found:
        raise NotFoundError("service", name)
    selected = queries.services_in(session, Scope("service", name))
    return _detail(
        request,
        session,
        selected,
        days,
        service=found[0],
        team=None,
        base=f"/delivery/services/{name}",
        path=path_to_production(session, found[0]),
    )


@router.get("/delivery/teams/{name}", include_in_schema=False)
def team_page(request: Request, name: str, session: DbSession, who: Viewer, days: int = 90) -> Any:
    limits.require_team(who, name, "viewer")
    selected = queries.services_in(session, Scope("team", name))
    return _detail(
        request,
        session,
        selected,
        days,
        service=None,
        team=name,
        members=selected.names,
        base=f"/delivery/teams/{name}",
    )


# --- API ----------------------------------------------------------------------------------------------------


@router.get("/api/v1/delivery/services", tags=["delivery"])
def api_services(session: DbSession, who: Viewer) -> list[dict[str, Any]]:
    """Every service (of the caller's teams) with its team and repositories."""
    return [_service_json(s) for s in limits.filter_teams(who, list_services(session))]


def _service_json(s: ServiceInfo) -> dict[str, Any]:
    return {
        "name": s.name,
        "team": s.team,
        "description": s.description,
        "repositories": list(s.repositories),
    }


def _api_window(days: int, since: str | None, until: str | None) -> Window:
    end = files.parse_time(until, "until", required=False, source="query", line=0) if until else None
    if since:
        start = files.parse_time(since, "since", required=True, source="query", line=0)
        assert start is not None
        end = end or dt.datetime.now(dt.UTC)
        if not start < end:
            raise FieldError("since", f"a time before until ({end.isoformat()})")
        return Window(start, end)
    return _window(days, end)


@router.get("/api/v1/delivery/metrics", tags=["delivery"])
def api_metrics(
    session: DbSession,
    who: Viewer,
    service: Annotated[list[str] | None, Query(description="Services (repeat); default: all.")] = None,
    team: Annotated[str | None, Query(description="Every service of this team.")] = None,
    days: Annotated[int, Query(description="Window length in days, ending now or at `until`.")] = 90,
    since: Annotated[str | None, Query(description="Window start, ISO 8601 with offset.")] = None,
    until: Annotated[str | None, Query(description="Window end (exclusive), ISO 8601 with offset.")] = None,
) -> dict[str, Any]:
    """The five DORA metrics, exactly as `missionos delivery metrics --format json` prints them."""
    window = _api_window(days, since, until)
    return delivery.delivery_metrics(
        session, delivery.scope_of(session, services=service or [], team=team, who=who), window
    )


@router.get("/api/v1/delivery/readiness", tags=["delivery"])
def api_readiness(session: DbSession, who: Viewer) -> list[dict[str, Any]]:
    """Every service (of the caller's teams) as shipping, stalled or never shipped, with its time to first
    production deployment."""
    return limits.filter_teams(who, delivery.readiness(session))


@router.get("/api/v1/delivery/deployments", tags=["delivery"])
def api_deployments(
    session: DbSession,
    who: Viewer,
    service: Annotated[list[str] | None, Query()] = None,
    team: str | None = None,
    days: int = 90,
) -> list[dict[str, Any]]:
    """Deployments in the window with whether each failed, why, and when it recovered."""
    return delivery.deployments(
        session, delivery.scope_of(session, services=service or [], team=team, who=who), _window(days)
    )


@router.get("/api/v1/delivery/incidents", tags=["delivery"])
def api_incidents(
    session: DbSession,
    who: Viewer,
    service: Annotated[list[str] | None, Query()] = None,
    team: str | None = None,
    days: int = 90,
) -> list[dict[str, Any]]:
    """Incidents started in the window with the deployment each is attributed to."""
    return delivery.incidents(
        session, delivery.scope_of(session, services=service or [], team=team, who=who), _window(days)
    )


def _named_in_body(write: Callable[[], ImportSummary]) -> ImportSummary:
    """`write()`, with the errors the service finds naming `request body:N` as the parsing errors do."""
    try:
        return write()
    except InputError as exc:
        raise InputError(exc.message, source="request body", line=exc.line) from None


def _items(body: Any) -> list[dict[str, Any]]:
    items = body if isinstance(body, list) else [body]
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise InputError("expected a JSON object", source="request body", line=i)
    return items


@router.post("/api/v1/delivery/deployments", tags=["delivery"])
def api_post_deployments(
    session: DbSession,
    who: Annotated[Principal, Depends(require("editor"))],
    body: Annotated[
        Any, Body(description="One deployment record, or a list of them (metrics.md §1 fields).")
    ],
) -> dict[str, Any]:
    """Record deployments (idempotent by service and id); a bad item rejects the whole batch."""
    return _record(session, who, body, files.deployment_from, delivery.upsert_deployments, "deployment")


@router.post("/api/v1/delivery/incidents", tags=["delivery"])
def api_post_incidents(
    session: DbSession,
    who: Annotated[Principal, Depends(require("editor"))],
    body: Annotated[Any, Body(description="One incident record, or a list of them (metrics.md §1 fields).")],
) -> dict[str, Any]:
    """Record incidents (idempotent by service and id); a bad item rejects the whole batch."""
    return _record(session, who, body, files.incident_from, delivery.upsert_incidents, "incident")


def _record(
    session: DbSession,
    who: Principal,
    body: Any,
    parse: Callable[..., Any],
    upsert: Callable[..., ImportSummary],
    kind: str,
) -> dict[str, Any]:
    """Parse every item of `body` (naming `request body:N` on error), upsert them all or none, audit each."""
    items = _items(body)
    records = [parse(item, source="request body", line=i) for i, item in enumerate(items, start=1)]
    delivery.require_services(session, who, [r.service for r in records], "editor")
    summary = _named_in_body(
        lambda: upsert(session, records, source="api", lines=list(range(1, len(records) + 1)))
    )
    for r in records:
        _audit(session, who, kind, f"{r.service}/{r.id}", r.__dict__)
    return summary.as_dict()


def _audit(session: DbSession, who: Principal, kind: str, key: str, after: dict[str, Any]) -> None:
    from missionos.accounts import audit

    plain = {
        k: (v.isoformat() if isinstance(v, dt.datetime) else list(v) if isinstance(v, tuple) else v)
        for k, v in after.items()
    }
    audit.record(session, actor=who.name, action="record", kind=f"delivery.{kind}", key=key, after=plain)


SETTING_FIELDS = {
    "infer_kinds": bool,
    "rollback_pattern": str,
    "hotfix_pattern": str,
    "attribution_window": str,
}


@router.get("/api/v1/delivery/settings", tags=["delivery"])
def api_settings(session: DbSession) -> dict[str, Any]:
    """How deployment kinds are inferred and the incident attribution window (metrics.md §1)."""
    from missionos.delivery import settings

    return settings.load(session).as_dict()


@router.put("/api/v1/delivery/settings", tags=["delivery"])
def api_put_settings(
    session: DbSession,
    who: Annotated[Principal, Depends(require("admin"))],
    body: Annotated[
        Any,
        Body(
            description="Any of infer_kinds (boolean), rollback_pattern and hotfix_pattern (regular "
            "expressions), attribution_window (such as 7d, 36h); fields left out keep their value.",
            examples=[{"infer_kinds": True, "rollback_pattern": '^Revert "', "attribution_window": "7d"}],
        ),
    ],
) -> dict[str, Any]:
    """Change the delivery settings; the kinds of every production deployment are derived again."""
    from missionos.delivery import settings

    if not isinstance(body, dict):
        raise FieldError("body", "a JSON object of settings")
    for name, value in body.items():
        if name not in SETTING_FIELDS:
            raise FieldError(name, f"one of {', '.join(SETTING_FIELDS)}")
        if not isinstance(value, SETTING_FIELDS[name]):
            raise FieldError(name, "a boolean" if SETTING_FIELDS[name] is bool else "a string")
    after = settings.update(session, **body, actor=who.name).as_dict()
    return after
