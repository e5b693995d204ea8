"""The core JSON API: health and the measures registry."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import text

from missionos import __version__, measures
from missionos.web.deps import DB

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
