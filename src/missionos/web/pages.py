"""The home page (the one-page plan, once the strategy context fills it) and shared assets."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from missionos.delivery.service import list_services
from missionos.web.charts import bar_chart, vega_bundle
from missionos.web.deps import DbSession, page

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, session: DbSession) -> Any:
    services = list_services(session)
    per_team: dict[str, int] = {}
    for s in services:
        per_team[s.team or "(no team)"] = per_team.get(s.team or "(no team)", 0) + 1
    chart = bar_chart(
        [{"team": t, "services": n} for t, n in sorted(per_team.items())],
        x="team",
        y="services",
        title="Services per team",
    )
    return page(request, "home.html", "plan", services=services, services_chart=chart)


@router.get("/assets/vega.js")
def vega_js() -> Response:
    return Response(
        vega_bundle(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )
