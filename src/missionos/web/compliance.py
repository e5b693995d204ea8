"""The compliance pages (/compliance) and API (/api/v1/compliance)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from missionos.web.deps import page

router = APIRouter()


@router.get("/compliance", include_in_schema=False)
def index(request: Request) -> Any:
    return page(
        request,
        "placeholder.html",
        "compliance",
        heading="Compliance",
        lede="Continuous ATO: control status from pipeline evidence, written out as OSCAL.",
    )
