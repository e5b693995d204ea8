"""The delivery pages (/delivery) and API (/api/v1/delivery)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from missionos.delivery.service import ServiceInfo, list_services
from missionos.errors import NotFoundError
from missionos.web.deps import DbSession, page

router = APIRouter()


@router.get("/delivery", include_in_schema=False)
def index(request: Request, session: DbSession) -> Any:
    return page(request, "delivery/index.html", "delivery", services=list_services(session))


@router.get("/delivery/services/{name}", include_in_schema=False)
def service_page(request: Request, name: str, session: DbSession) -> Any:
    found = [s for s in list_services(session) if s.name == name]
    if not found:
        raise NotFoundError("service", name)
    return page(request, "delivery/service.html", "delivery", service=found[0])


@router.get("/api/v1/delivery/services", tags=["delivery"])
def api_services(session: DbSession) -> list[dict[str, Any]]:
    """Every service with its team and repositories."""
    return [_service_json(s) for s in list_services(session)]


def _service_json(s: ServiceInfo) -> dict[str, Any]:
    return {
        "name": s.name,
        "team": s.team,
        "description": s.description,
        "repositories": list(s.repositories),
    }
