"""The platform's page (/platform) and API (/api/v1/platform): offers verified by production, teams' gaps.

Reads are open to every reader; every write takes `require("editor")` and goes through the platform service,
which checks it whole and records the audit entry in the same transaction.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from missionos import platform as service
from missionos.web.deps import DbSession, page
from missionos.web.security import Principal, require

router = APIRouter()
Editor = Annotated[Principal, Depends(require("editor"))]


@router.get("/platform", include_in_schema=False)
def index(request: Request, session: DbSession) -> Any:
    found = service.overview(session)
    return page(request, "platform/index.html", "platform", o=found)


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


@router.post("/platform/needs", include_in_schema=False)
def needs_form(
    session: DbSession,
    who: Editor,
    team: Annotated[str, Form()],
    created: Annotated[str, Form()] = "",
    probe: Annotated[str, Form()] = "",
    languages: Annotated[str, Form()] = "",
    services: Annotated[str, Form()] = "",
    zones: Annotated[str, Form()] = "",
    stages: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Any:
    """The page's form: declare what a team needs (names comma-separated)."""
    del csrf_token
    doc: dict[str, Any] = {
        "team": team.strip(),
        "needs": {
            "languages": _list(languages),
            "services": _list(services),
            "zones": _list(zones),
            "stages": _list(stages),
        },
    }
    if created.strip():
        doc["created"] = created.strip()
    if probe.strip():
        doc["probe"] = probe.strip()
    service.declare_needs(session, doc, actor=who.name)
    return RedirectResponse(
        f"/platform#team-{quote(team.strip().lower().replace(' ', '-'))}", status_code=303
    )


class OfferBody(BaseModel):
    kind: str
    name: str
    description: str = ""
    purl: list[str] | None = None
    evidence: list[str] | None = None
    platform: str = "platform"


class NeedsBody(BaseModel):
    created: str | None = None
    probe: str | None = None
    needs: dict[str, list[str]] = Field(default_factory=dict)


class BindingBody(BaseModel):
    service: str
    deployment: str
    zone: str | None = None
    services: list[str] = Field(default_factory=list)


@router.get("/api/v1/platform", tags=["platform"])
def api_overview(session: DbSession) -> dict[str, Any]:
    """Every offer with the production deployment that verified it (or none), the offers no one has
    deployed with, and each team's path to production."""
    return service.overview(session).as_dict()


@router.get("/api/v1/platform/offers", tags=["platform"])
def api_offers(session: DbSession) -> list[dict[str, Any]]:
    """The advertised offers, unverified first, each with its first production use and its evidence."""
    return [s.as_dict() for s in service.overview(session).offers]


@router.post("/api/v1/platform/offers", tags=["platform"], status_code=201)
def api_advertise(session: DbSession, who: Editor, body: OfferBody) -> dict[str, Any]:
    """Advertise one offer; it stays unverified until a production deployment uses it."""
    offer = body.model_dump(exclude_none=True, exclude={"kind", "platform"})
    service.advertise(session, body.kind, offer, actor=who.name, platform=body.platform)
    found = service.overview(session).offers
    kind = service.SECTIONS.get(body.kind, body.kind)
    return next(s.as_dict() for s in found if (s.offer.kind, s.offer.name) == (kind, body.name.strip()))


@router.delete("/api/v1/platform/offers/{kind}/{name}", tags=["platform"], status_code=204)
def api_withdraw(session: DbSession, who: Editor, kind: str, name: str) -> None:
    """Stop advertising an offer; teams that need it then see it as not offered."""
    service.withdraw(session, kind, name, actor=who.name)


@router.get("/api/v1/platform/teams", tags=["platform"])
def api_teams(session: DbSession) -> list[dict[str, Any]]:
    """Each team: its state, time from created to first production deploy, probe, and what blocks it."""
    return [t.as_dict() for t in service.overview(session).teams]


@router.get("/api/v1/platform/teams/{team}", tags=["platform"])
def api_team(session: DbSession, team: str) -> dict[str, Any]:
    """One team's needs, each verified, unverified or not offered."""
    return service.team(session, team).as_dict()


@router.put("/api/v1/platform/teams/{team}", tags=["platform"])
def api_needs(session: DbSession, who: Editor, team: str, body: NeedsBody) -> dict[str, Any]:
    """Declare (or replace) what a team needs, when it was created and its hello-world probe."""
    doc = {"team": team, **body.model_dump(exclude_none=True)}
    service.declare_needs(session, doc, actor=who.name)
    return service.team(session, team).as_dict()


@router.post("/api/v1/platform/bindings", tags=["platform"], status_code=201)
def api_bind(session: DbSession, who: Editor, body: BindingBody) -> dict[str, Any]:
    """Record what a production deployment was bound to (its zone and backing services)."""
    service.record_binding(session, body.model_dump(exclude_none=True), actor=who.name)
    return body.model_dump()


@router.post("/api/v1/platform/check", tags=["platform"])
def api_check(session: DbSession, body: dict[str, Any]) -> dict[str, int]:
    """Check a platform document without storing anything: what it declares, or a 422 listing each problem."""
    return service.check(session, body, source="body")


@router.post("/api/v1/platform/apply", tags=["platform"])
def api_apply(session: DbSession, who: Editor, body: dict[str, Any]) -> dict[str, int]:
    """Apply a platform document (offers, teams, bindings) whole, or nothing of it."""
    return service.apply_document(session, body, actor=who.name, source="body")
