"""The home page (the one-page plan of the top plan in the cascade) and shared assets."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from missionos.strategy import service as strategy
from missionos.web.charts import vega_bundle
from missionos.web.deps import DB, page
from missionos.web.strategy import plan_context

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, db: DB) -> Any:
    with db.session() as session:
        key = strategy.home_plan(session)
    if key is None:
        return page(request, "home.html", "plan", view=None, plans=[], progress_chart=None)
    view = strategy.evaluate_cached(db, key)
    with db.session() as session:
        context = plan_context(view, session)
    return page(request, "home.html", "plan", **context)


@router.get("/assets/vega.js")
def vega_js() -> Response:
    return Response(
        vega_bundle(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )
