"""Strategic maps' pages (/maps) and API (/api/v1/maps). Maps are drawn on the server as SVG."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup
from pydantic import BaseModel

from missionos import maps as service
from missionos.web.deps import DbSession, page
from missionos.web.security import Principal, require

router = APIRouter()
Editor = Annotated[Principal, Depends(require("editor"))]


@router.get("/maps", include_in_schema=False)
def index(request: Request, session: DbSession) -> Any:
    return page(request, "maps/index.html", "maps", maps=service.list_maps(session))


@router.get("/maps/{key}", include_in_schema=False)
def map_page(request: Request, session: DbSession, key: str, version: int | None = None) -> Any:
    view = service.get(session, key, version=version)
    # The SVG is built by the renderer, which escapes every text it places.
    return page(request, "maps/map.html", "maps", view=view, svg=Markup(view.svg()))


@router.get("/maps/{key}/map.svg", include_in_schema=False)
def map_svg(session: DbSession, key: str, version: int | None = None) -> Response:
    return Response(service.get(session, key, version=version).svg(), media_type="image/svg+xml")


@router.get("/maps/{key}/map.mmd", include_in_schema=False)
def map_mermaid(session: DbSession, key: str, version: int | None = None) -> Response:
    return Response(
        service.get(session, key, version=version).mermaid(), media_type="text/plain; charset=utf-8"
    )


class MapBody(BaseModel):
    key: str
    kind: str
    source: str
    plan: str | None = None
    rationale: str = ""


@router.get("/api/v1/maps", tags=["maps"])
def api_list(session: DbSession, plan: str | None = None) -> list[dict[str, Any]]:
    """The maps and their latest versions."""
    return [m.as_dict() for m in service.list_maps(session, plan=plan)]


@router.get("/api/v1/maps/{key}", tags=["maps"])
def api_get(session: DbSession, key: str, version: int | None = None) -> dict[str, Any]:
    """A map (latest or `version`): its parsed content, its text and its history."""
    return service.get(session, key, version=version).as_dict()


@router.post("/api/v1/maps", tags=["maps"])
def api_save(session: DbSession, who: Editor, body: MapBody) -> dict[str, Any]:
    """Save a map's text as its next version (checked whole first; an unchanged text adds nothing)."""
    number, changed = service.save(
        session, body.key, body.kind, body.source, actor=who.name, plan=body.plan, rationale=body.rationale,
        where="source",
    )  # fmt: skip
    return {"key": body.key, "version": number, "changed": changed}
