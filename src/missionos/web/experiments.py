"""The experiments pages (/experiments) and API (/api/v1/experiments)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from missionos.web.deps import page

router = APIRouter()


@router.get("/experiments", include_in_schema=False)
def index(request: Request) -> Any:
    return page(
        request,
        "placeholder.html",
        "experiments",
        heading="Experiments",
        lede="Feature flags shipped to a slice of users, and the verdicts their data gives.",
    )
