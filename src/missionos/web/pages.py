"""The home page (the one-page plan of the top plan in the cascade) and shared assets."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request, Response

from missionos import strategy
from missionos.store import Database
from missionos.web.charts import vega_bundle
from missionos.web.deps import DB, page
from missionos.web.strategy import plan_context

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)


@router.get("/")
def home(request: Request, db: DB) -> Any:
    with db.session() as session:
        key = strategy.home_plan(session)
    if key is None:
        return page(request, "home.html", "plan", view=None, plans=[], progress_chart=None, loop_state=None)
    view = strategy.evaluate_cached(db, key)
    with db.session() as session:
        context = plan_context(view, session, db)
    return page(request, "home.html", "plan", **context)


def warm_up(db: Database) -> None:
    """Compute what the home page shows into the database's cache (`Database.cached`), as a server starts."""
    try:
        with db.session() as session:
            key = strategy.home_plan(session)
        if key is not None:
            strategy.evaluate_cached(db, key)
    except Exception:  # the page itself reports any error to whoever opens it
        log.warning("computing the home page at start-up failed", exc_info=True)


@router.get("/assets/vega.js")
def vega_js() -> Response:
    return Response(
        vega_bundle(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )
