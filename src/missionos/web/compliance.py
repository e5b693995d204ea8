"""The compliance pages (/compliance) and API (/api/v1/compliance)."""

from __future__ import annotations

import io
import zipfile
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as FastApiPath
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from missionos import compliance as service
from missionos.accounts import audit
from missionos.compliance import check_size, max_bytes
from missionos.compliance import kinds as evidence_kinds
from missionos.errors import FieldError
from missionos.store import Database
from missionos.web.charts import line_chart
from missionos.web.deps import DB, DbSession, page
from missionos.web.security import Principal, require

router = APIRouter()
Editor = Annotated[Principal, Depends(require("editor"))]
Viewer = Annotated[Principal, Depends(require("viewer"))]
DOCUMENTS = ("ssp", "assessment-plan", "assessment-results", "poam")


@router.get("/compliance", include_in_schema=False)
def index(request: Request, session: DbSession, who: Viewer) -> Any:
    systems = []
    for info in service.visible_systems(session, who):
        current = service.latest(session, info.name)
        systems.append({"info": info, "current": current})
    return page(request, "compliance/index.html", "compliance", systems=systems)


def _context(db: Database, name: str) -> dict[str, Any]:
    view = service.overview_cached(db, name)
    trend = line_chart(
        [{"assessed": t["assessed_at"], "share satisfied or inherited": t["share"]} for t in view["trend"]],
        x="assessed",
        y="share satisfied or inherited",
        title="Controls satisfied or inherited, by assessment",
        height=200,
    )
    return {**view, "trend_chart": trend, "documents": DOCUMENTS}


@router.get("/compliance/{name}", include_in_schema=False)
def system_page(request: Request, db: DB, who: Viewer, name: str) -> Any:
    with db.session() as session:
        service.require_system(session, who, name, "viewer")
    return page(request, "compliance/system.html", "compliance", **_context(db, name))


@router.get("/compliance/{name}/report", include_in_schema=False)
def report(request: Request, db: DB, who: Viewer, name: str) -> Any:
    with db.session() as session:
        service.require_system(session, who, name, "viewer")
    return page(request, "compliance/report.html", "compliance", **_context(db, name))


@router.get("/compliance/{name}/oscal/package.zip", include_in_schema=False)
def download_package(session: DbSession, who: Viewer, name: str) -> Response:
    """The whole OSCAL package of the latest assessment, its files side by side as their imports name them."""
    service.require_system(session, who, name, "viewer")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in sorted(service.latest_files(session, name).items()):
            archive.writestr(f"{name}-oscal/{path}", content)
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}-oscal.zip"'},
    )


@router.get("/compliance/{name}/oscal/{document:path}", include_in_schema=False)
def download(session: DbSession, who: Viewer, name: str, document: str) -> Response:
    """One file of the OSCAL package; relative imports and evidence links resolve beside it."""
    service.require_system(session, who, name, "viewer")
    content = service.oscal_package(session, name, document)
    json_doc = document.endswith(".json")
    return Response(
        content,
        media_type="application/json" if json_doc else "application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{document.rsplit("/", 1)[-1]}"'},
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
    service.require_system(session, who, name, "editor")
    service.attest(
        session,
        system=name,
        controls=[c for c in controls.replace(",", " ").split() if c],
        by=by,
        statement=statement,
        expires_in_days=expires_days,
        recorded_by=who.name,
    )
    service.assess_system(session, name)
    return RedirectResponse(f"/compliance/{name}#attestations", status_code=303)


@router.post("/compliance/{name}/assess", include_in_schema=False)
def assess_form(session: DbSession, who: Editor, name: str) -> Response:
    service.require_system(session, who, name, "editor")
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
def api_systems(session: DbSession, who: Viewer) -> list[dict[str, Any]]:
    """Every system (of the caller's teams) with its latest assessment's counts."""
    out = []
    for info in service.visible_systems(session, who):
        current = service.latest(session, info.name)
        out.append(info.as_dict() | {"latest_assessment": current.as_dict() if current else None})
    return out


@router.get("/api/v1/compliance/systems/{name}/assessment", tags=["compliance"])
def api_assessment(session: DbSession, who: Viewer, name: str) -> dict[str, Any]:
    """The latest stored assessment of a system, in the shape of `compliance assess --format json`."""
    service.require_system(session, who, name, "viewer")
    current = service.latest(session, name)
    if current is None:
        from missionos.errors import NotFoundError

        raise NotFoundError("assessment of system", name)
    return service.assess_result(current).as_dict()


EVIDENCE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/octet-stream": {
                "schema": {"type": "string", "format": "binary", "description": "The evidence file as it is."}
            }
        },
    }
}


@router.post(
    "/api/v1/compliance/evidence",
    tags=["compliance"],
    status_code=201,
    openapi_extra=EVIDENCE_BODY,
    responses={200: {"description": "The same file was already stored for this subject: nothing changed"}},
)
async def api_add_evidence(
    request: Request,
    db: DB,
    who: Editor,
    kind: Annotated[str, Query(max_length=40, description="junit, sarif, cyclonedx, spdx, ...")],
    subject: Annotated[str, Query(max_length=300, description="A system, service, or service@run.")],
    expires: Annotated[str | None, Query(max_length=10, description="A span such as 30d.")] = None,
    name: Annotated[str | None, Query(max_length=300, description="The file's name, for messages.")] = None,
) -> JSONResponse:
    """Add one pipeline evidence file, sent as the request body, as `compliance evidence add` does (editor;
    audited). A pipeline posts its test report, scan, SBOM or provenance here with a write token; the file is
    parsed into facts and kept with its SHA-256. A bad file is refused with 422 naming the line, and nothing
    is stored; the same file again for the same subject answers 200 and changes nothing."""
    if kind not in evidence_kinds():
        raise FieldError("kind", f"one of {', '.join(evidence_kinds())}")
    days = service.span_days(expires, field="expires") if expires else None
    raw = await _capped_body(request, name or f"{kind} upload")

    def store() -> dict[str, Any]:
        with db.session() as session:
            service.require_subject(session, who, subject, "editor")
            info = service.add_evidence(
                session,
                raw,
                kind=kind,
                subject=subject,
                source=name or f"{kind} upload",
                expires_in_days=days,
                recorded_by=who.name,
            )
            if info.created:
                audit.record(
                    session,
                    actor=who.name,
                    action="add",
                    kind="compliance.evidence",
                    key=f"{subject}:{kind}:{info.sha256[:12]}",
                    after=info.as_dict(facts=False),
                )
            return info.as_dict() | {"new": info.created}

    body = await anyio.to_thread.run_sync(store)
    return JSONResponse(body, status_code=201 if body["new"] else 200)


async def _capped_body(request: Request, source: str) -> bytes:
    """The request body, refused (413) as soon as it is over the evidence size limit, before it is parsed."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit():
        check_size(int(declared), source)
    limit, total, chunks = max_bytes(), 0, []
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            check_size(total, source)
        chunks.append(chunk)
    return b"".join(chunks)


@router.get(
    "/api/v1/compliance/evidence/{evidence_id}/raw",
    tags=["compliance"],
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file as it came"}},
)
def api_evidence_raw(
    session: DbSession, who: Viewer, evidence_id: Annotated[int, FastApiPath(ge=1, le=2**63 - 1)]
) -> Response:
    """An evidence record's raw file as it came, byte for byte (its SHA-256 is in `X-Content-SHA256`)."""
    info, raw = service.evidence_file(session, evidence_id)
    service.require_subject(session, who, info.subject, "viewer")
    filename = f"evidence-{info.id}-{info.kind}"
    return Response(
        raw,
        media_type="application/octet-stream",
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "x-content-sha256": info.sha256,
        },
    )


@router.post("/api/v1/compliance/systems/{name}/attestations", tags=["compliance"], status_code=201)
def api_attest(session: DbSession, who: Editor, name: str, body: AttestationIn) -> dict[str, Any]:
    """Record a person's attestation of how controls are met (audited)."""
    service.require_system(session, who, name, "editor")
    info = service.attest(
        session,
        system=name,
        controls=body.controls,
        by=body.by,
        statement=body.statement,
        expires_in_days=body.expires_days,
        recorded_by=who.name,
    )
    return info.as_dict()
