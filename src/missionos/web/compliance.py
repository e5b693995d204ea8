"""The compliance pages (/compliance) and API (/api/v1/compliance)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from missionos.accounts import audit
from missionos.compliance import service
from missionos.web.charts import line_chart
from missionos.web.deps import DbSession, page
from missionos.web.security import Principal, require

router = APIRouter()
Editor = Annotated[Principal, Depends(require("editor"))]
DOCUMENTS = ("assessment-results", "poam", "ssp")


@router.get("/compliance", include_in_schema=False)
def index(request: Request, session: DbSession) -> Any:
    systems = []
    for info in service.list_systems(session):
        current = service.latest(session, info.name)
        systems.append({"info": info, "current": current})
    return page(request, "compliance/index.html", "compliance", systems=systems)


def _context(session: DbSession, name: str) -> dict[str, Any]:
    view = service.overview(session, name)
    trend = line_chart(
        [{"assessed": t["assessed_at"], "share satisfied or inherited": t["share"]} for t in view["trend"]],
        x="assessed",
        y="share satisfied or inherited",
        title="Controls satisfied or inherited, by assessment",
        height=200,
    )
    return {**view, "trend_chart": trend, "documents": DOCUMENTS}


@router.get("/compliance/{name}", include_in_schema=False)
def system_page(request: Request, session: DbSession, name: str) -> Any:
    return page(request, "compliance/system.html", "compliance", **_context(session, name))


@router.get("/compliance/{name}/report", include_in_schema=False)
def report(request: Request, session: DbSession, name: str) -> Any:
    return page(request, "compliance/report.html", "compliance", **_context(session, name))


@router.get("/compliance/{name}/oscal/{document}.json", include_in_schema=False)
def download(session: DbSession, name: str, document: str) -> Response:
    doc = service.oscal_package(session, name, document)
    return Response(
        json.dumps(doc, indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}-{document}.json"'},
    )


@router.post("/compliance/{name}/attestations", include_in_schema=False)
def attest_form(
    session: DbSession,
    who: Editor,
    name: str,
    controls: Annotated[str, Form()],
    by: Annotated[str, Form()],
    statement: Annotated[str, Form()],
    expires_days: Annotated[int, Form()] = 365,
) -> Response:
    info = service.attest(
        session,
        system=name,
        controls=[c for c in controls.replace(",", " ").split() if c],
        by=by,
        statement=statement,
        expires_in_days=expires_days,
        recorded_by=who.name,
    )
    audit.record(
        session,
        actor=who.name,
        action="attest",
        kind="compliance.attestation",
        key=f"{name}:{','.join(info.facts['controls'])}",
        after=info.as_dict(),
    )
    service.assess_system(session, name)
    return RedirectResponse(f"/compliance/{name}#attestations", status_code=303)


@router.post("/compliance/{name}/assess", include_in_schema=False)
def assess_form(session: DbSession, who: Editor, name: str) -> Response:
    done = service.assess_system(session, name)
    audit.record(
        session,
        actor=who.name,
        action="assess",
        kind="compliance.assessment",
        key=name,
        after=done.result.counts(),
    )
    return RedirectResponse(f"/compliance/{name}", status_code=303)


# -- JSON API ----------------------------------------------------------------------------------------------


class AttestationIn(BaseModel):
    controls: list[str] = Field(min_length=1, description="Control ids, e.g. ['ps-3'].")
    by: str = Field(min_length=1, description="The person attesting.")
    statement: str = Field(min_length=1, description="How the controls are met.")
    expires_days: int = Field(365, gt=0, description="Days the attestation holds.")


@router.get("/api/v1/compliance/systems", tags=["compliance"])
def api_systems(session: DbSession) -> list[dict[str, Any]]:
    """Every system with its latest assessment's counts."""
    out = []
    for info in service.list_systems(session):
        current = service.latest(session, info.name)
        out.append(info.as_dict() | {"latest_assessment": current.as_dict() if current else None})
    return out


@router.get("/api/v1/compliance/systems/{name}/assessment", tags=["compliance"])
def api_assessment(session: DbSession, name: str) -> dict[str, Any]:
    """The latest stored assessment of a system, in the shape of `compliance assess --format json`."""
    current = service.latest(session, name)
    if current is None:
        from missionos.errors import NotFoundError

        raise NotFoundError("assessment of system", name)
    return service.assess_result(current).as_dict()


@router.post("/api/v1/compliance/systems/{name}/attestations", tags=["compliance"], status_code=201)
def api_attest(session: DbSession, who: Editor, name: str, body: AttestationIn) -> dict[str, Any]:
    """Record a person's attestation of how controls are met (audited)."""
    info = service.attest(
        session,
        system=name,
        controls=body.controls,
        by=body.by,
        statement=body.statement,
        expires_in_days=body.expires_days,
        recorded_by=who.name,
    )
    audit.record(
        session,
        actor=who.name,
        action="attest",
        kind="compliance.attestation",
        key=f"{name}:{','.join(info.facts['controls'])}",
        after=info.as_dict(),
    )
    return info.as_dict()
