"""Webhook receivers: /hooks/github, /hooks/gitlab and /hooks/events.

Each request is verified first (an unsigned or wrongly signed one gets 401 and nothing is stored), then its
raw body is stored once per delivery id and committed: the answer is 202 `received` (or 200 `duplicate`).
The worker's processor then maps it onto delivery and flow records in batches (`missionos.accounts.ingest`);
`GET /api/v1/hooks/deliveries` and `missionos hooks list` show each delivery's status.
"""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from missionos.accounts import settings, webhooks
from missionos.store import Database

router = APIRouter(prefix="/hooks", tags=["hooks"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"description": "Stored; the server's processor maps it onto delivery and flow records"},
    200: {"description": "A delivery with this id was already stored; nothing changed"},
    401: {"description": "Missing or wrong signature (or no secret configured); nothing stored"},
}


def _unauthorized(detail: str) -> JSONResponse:
    return JSONResponse(
        {"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": detail},
        status_code=401,
        media_type="application/problem+json",
    )


def _verify(source: str, secret: str, headers: dict[str, str], body: bytes) -> str | None:
    """None when the request is authentic, else why not."""
    if source == "github":
        if webhooks.verify_github(secret, body, headers.get("x-hub-signature-256")):
            return None
        return "X-Hub-Signature-256 is missing or does not match the body"
    if source == "gitlab":
        if webhooks.verify_gitlab(secret, headers.get("x-gitlab-token")):
            return None
        return "X-Gitlab-Token is missing or wrong"
    return webhooks.verify_event(
        secret, body, headers.get("x-missionos-timestamp"), headers.get("x-missionos-signature")
    )


EVENT_HEADER = {"github": "x-github-event", "gitlab": "x-gitlab-event", "events": "x-missionos-event"}


def _receive(db: Database, source: str, headers: dict[str, str], body: bytes) -> JSONResponse:
    # One transaction: read the secret, verify, store. A refused request writes nothing.
    with db.session() as session:
        secret = settings.hook_secret(session, source)
        if not secret:
            return _unauthorized(f"no webhook secret is configured for {source}; nothing was stored")
        refused = _verify(source, secret, headers, body)
        if refused:
            return _unauthorized(f"{refused}; nothing was stored")
        delivery_id = webhooks.delivery_id_of(source, headers, body)
        event = headers.get(EVENT_HEADER[source], "event" if source == "events" else "")
        row_id, new = webhooks.store(
            session, source=source, delivery_id=delivery_id, event=event, headers=headers, payload=body
        )
    if not new:
        return JSONResponse({"status": "duplicate", "delivery": delivery_id, "id": row_id}, status_code=200)
    return JSONResponse({"status": "received", "delivery": delivery_id, "id": row_id}, status_code=202)


async def _handle(request: Request, source: str) -> JSONResponse:
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    db: Database = request.app.state.db
    response = await anyio.to_thread.run_sync(_receive, db, source, headers, body)
    processor = getattr(request.app.state, "hooks_processor", None)
    if response.status_code == 202 and processor is not None:
        processor.wake.set()
    return response


@router.post("/github", responses=_RESPONSES, status_code=202)
async def github(request: Request) -> JSONResponse:
    """A GitHub webhook, signed with X-Hub-Signature-256 (deployment_status, pull_request,
    pull_request_review, issues; other events are stored and ignored)."""
    return await _handle(request, "github")


@router.post("/gitlab", responses=_RESPONSES, status_code=202)
async def gitlab(request: Request) -> JSONResponse:
    """A GitLab webhook, authenticated with X-Gitlab-Token (deployment, merge request, pipeline and issue
    hooks; other events are stored and ignored)."""
    return await _handle(request, "gitlab")


@router.post("/events", responses=_RESPONSES, status_code=202)
async def events(request: Request) -> JSONResponse:
    """A generic event from another CI/CD or incident tool: JSON `{"type", "data"}` signed with
    `X-MissionOS-Signature: sha256=HMAC(secret, "<X-MissionOS-Timestamp>.<body>")` within 5 minutes."""
    return await _handle(request, "events")
