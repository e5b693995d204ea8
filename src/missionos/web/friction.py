"""The friction register's pages (/friction) and API (/api/v1/friction).

Reads are open to every reader; every write takes `require("editor")` and goes through the friction service,
which validates it whole and records the audit entry in the same transaction.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from missionos import friction as service
from missionos import times
from missionos.errors import FieldError
from missionos.web.deps import DbSession, page
from missionos.web.security import Principal, require

router = APIRouter()
Editor = Annotated[Principal, Depends(require("editor"))]


def _money(amount: float | None, currency: str) -> str:
    return "—" if amount is None else f"{amount:,.0f} {currency}"


@router.get("/friction", include_in_schema=False)
def index(request: Request, session: DbSession, status: str = "open") -> Any:
    views = service.register(session, status=status)
    return page(
        request,
        "friction/index.html",
        "friction",
        views=views,
        status=status,
        money=_money,
        values=service.stream_values(session),
        streams=sorted({v.stream for v in views}),
    )


@router.get("/friction/{key}", include_in_schema=False)
def blocker_page(request: Request, session: DbSession, key: str) -> Any:
    detail = service.blocker_detail(session, key)
    return page(request, "friction/blocker.html", "friction", d=detail, v=detail.view, money=_money)


@router.post("/friction", include_in_schema=False)
def add_form(
    session: DbSession,
    who: Editor,
    key: Annotated[str, Form()],
    title: Annotated[str, Form()],
    owner: Annotated[str, Form()],
    stream: Annotated[str, Form()],
    raised: Annotated[str, Form()],
    step: Annotated[str, Form()] = "",
    teams: Annotated[str, Form()] = "",
    decision: Annotated[str, Form()] = "",
    effort_days: Annotated[float, Form()] = 5.0,
    csrf_token: Annotated[str, Form()] = "",
) -> Any:
    del csrf_token
    doc: dict[str, Any] = {
        "key": key.strip(),
        "title": title,
        "owner": owner,
        "stream": stream,
        "raised": raised,
        "teams": [t.strip() for t in teams.split(",") if t.strip()],
        "decision": decision,
        "effort_days": effort_days,
    }
    if step.strip():
        doc["step"] = step.strip()
    service.add_blocker(session, doc, actor=who.name)
    return RedirectResponse(f"/friction/{doc['key']}", status_code=303)


@router.post("/friction/{key}/clear", include_in_schema=False)
def clear_form(
    session: DbSession,
    who: Editor,
    key: str,
    note: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
) -> Any:
    del csrf_token
    service.clear_blocker(session, key, note=note, actor=who.name)
    return RedirectResponse(f"/friction/{key}", status_code=303)


# --- API --------------------------------------------------------------------------------------------------


class BlockerBody(BaseModel):
    key: str
    title: str
    owner: str
    stream: str
    raised: str
    step: str | None = None
    teams: list[str] = Field(default_factory=list)
    decision: str = ""
    effort_days: float = 5.0
    wait_days: float | None = None


class ClearBody(BaseModel):
    note: str
    at: str | None = None


class ValueBody(BaseModel):
    value_per_day: float
    currency: str = "USD"


@router.get("/api/v1/friction", tags=["friction"])
def api_register(
    session: DbSession, status: str = "open", stream: str | None = None, team: str | None = None
) -> list[dict[str, Any]]:
    """The register, priced and ranked by CD3 (highest first); status is open, cleared or all."""
    return [v.as_dict() for v in service.register(session, status=status, stream=stream, team=team)]


@router.get("/api/v1/friction/{key}", tags=["friction"])
def api_blocker(session: DbSession, key: str) -> dict[str, Any]:
    """One blocker with its price, the what-if of removing it, and its measured effect once cleared."""
    return service.blocker_detail(session, key).as_dict()


@router.post("/api/v1/friction", tags=["friction"], status_code=201)
def api_add(session: DbSession, who: Editor, body: BlockerBody) -> dict[str, Any]:
    """Record a blocker."""
    doc = body.model_dump(exclude_none=True)
    key = service.add_blocker(session, doc, actor=who.name)
    return service.blocker_detail(session, key).as_dict()


@router.post("/api/v1/friction/{key}/clear", tags=["friction"])
def api_clear(session: DbSession, who: Editor, key: str, body: ClearBody) -> dict[str, Any]:
    """Clear a blocker with a record of how."""
    at = None
    if body.at is not None:
        try:
            at = times.read_iso(body.at)
        except ValueError:
            raise FieldError("at", "an ISO 8601 date-time with an offset") from None
        if at.tzinfo is None:
            raise FieldError("at", "an ISO 8601 date-time with an offset")
    service.clear_blocker(session, key, note=body.note, actor=who.name, at=at)
    return service.blocker_detail(session, key).as_dict()


@router.put("/api/v1/friction/values/{stream}", tags=["friction"])
def api_value(session: DbSession, who: Editor, stream: str, body: ValueBody) -> dict[str, Any]:
    """Set what a day of delay of one item of `stream` is worth."""
    service.set_stream_value(session, stream, body.value_per_day, currency=body.currency, actor=who.name)
    return {"stream": stream, "value_per_day": body.value_per_day, "currency": body.currency}


@router.post("/api/v1/friction/register", tags=["friction"])
def api_apply(session: DbSession, who: Editor, body: dict[str, Any]) -> dict[str, int]:
    """Apply a register document (`values`, `blockers`) whole, or nothing of it."""
    return service.apply_register(session, body, actor=who.name, source="body")
