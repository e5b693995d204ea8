"""The core JSON API: health and the measures registry."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import text

from missionos import __version__, measures
from missionos.web.deps import DB, page

router = APIRouter(prefix="/api/v1", tags=["core"])


@router.get("/health")
def health(db: DB) -> dict[str, Any]:
    """Liveness and database reachability."""
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__, "database": db.dialect}


@router.get("/measures")
def list_measures() -> list[dict[str, Any]]:
    """Every published measure with its unit, direction and scopes."""
    return [
        {
            "name": m.name,
            "unit": m.unit,
            "direction": m.direction.value,
            "scopes": list(m.scopes),
            "description": m.description,
        }
        for m in measures.describe()
    ]


@router.get("/docs", include_in_schema=False)
def api_reference(request: Request) -> Any:
    """The API reference, rendered on the server from the OpenAPI document (no CDN, no inline script)."""
    document = request.app.openapi()
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, methods in sorted(document.get("paths", {}).items()):
        for method, op in methods.items():
            params = [
                {"name": p.get("name"), "where": p.get("in"), "required": p.get("required", False)}
                for p in op.get("parameters", [])
            ]
            body = op.get("requestBody", {}).get("content", {})
            tag = (op.get("tags") or ["other"])[0]
            groups.setdefault(tag, []).append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "params": params,
                    "body": ", ".join(body),
                }
            )
    return page(
        request,
        "accounts/api_reference.html",
        "",
        groups=sorted(groups.items()),
        version=document["info"]["version"],
    )
