"""The organization through the API: GET /api/v1/org (its document) and PUT /api/v1/org (apply one, admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from missionos.organization import apply_org, export_org, parse_org
from missionos.web.deps import DbSession
from missionos.web.security import Principal, require

router = APIRouter()


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
