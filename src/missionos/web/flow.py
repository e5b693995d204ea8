"""The flow pages (/flow) and API (/api/v1/flow)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from missionos.web.deps import page

router = APIRouter()


@router.get("/flow", include_in_schema=False)
def index(request: Request) -> Any:
    return page(
        request,
        "placeholder.html",
        "flow",
        heading="Flow",
        lede="Value-stream maps and flow metrics from the issue tracker.",
    )
