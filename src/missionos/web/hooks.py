"""Webhook receivers: /hooks/github, /hooks/gitlab and /hooks/events.

Each request is verified first (an unsigned or wrongly signed one gets 401 and nothing is stored), then its
raw body is stored once per delivery id and committed, together with the deliveries that arrived at the same
moment (group commit): the answer is 202 `received` (or 200 `duplicate`), sent only after the commit.
The worker's processor then maps it onto delivery and flow records in batches (`missionos.ingest.processor`);
`GET /api/v1/hooks/deliveries` and `missionos hooks list` show each delivery's status.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from missionos.accounts import settings
from missionos.ingest import inbox
from missionos.store import Database

router = APIRouter(prefix="/hooks", tags=["hooks"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"description": "Stored; the server's processor maps it onto delivery and flow records"},
    200: {"description": "A delivery with this id was already stored; nothing changed"},
    401: {"description": "Missing or wrong signature (or no secret configured); nothing stored"},
    503: {"description": "The database could not store the delivery; nothing acknowledged, send it again"},
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
        if inbox.verify_github(secret, body, headers.get("x-hub-signature-256")):
            return None
        return "X-Hub-Signature-256 is missing or does not match the body"
    if source == "gitlab":
        if inbox.verify_gitlab(secret, headers.get("x-gitlab-token")):
            return None
        return "X-Gitlab-Token is missing or wrong"
    return inbox.verify_event(
        secret, body, headers.get("x-missionos-timestamp"), headers.get("x-missionos-signature")
    )


EVENT_HEADER = {"github": "x-github-event", "gitlab": "x-gitlab-event", "events": "x-missionos-event"}
# A worker keeps each webhook secret this long before reading it again (a failed check reads it at once), so
# a rotated secret replaces the old one in every worker within this time.
SECRET_TTL = 10.0
# Deliveries arriving while a batch is being written are stored together in the next one.
GROUP_MAX = 200


class Receiver:
    """The webhook receiver of one server process: cached secrets, and group commit.

    Concurrent deliveries are written together: while one transaction is being written, the deliveries that
    arrive queue up, and the next transaction stores all of them. Each request is answered only after the
    transaction holding its delivery has committed, so an acknowledged delivery is never lost; a transaction
    that fails is retried one delivery at a time, so one bad row cannot refuse the others.
    """

    def __init__(self, db: Database, on_stored: Callable[[], None] | None = None) -> None:
        self.db = db
        self.on_stored = on_stored
        self._secrets: dict[str, tuple[str | None, float]] = {}
        self._waiting: list[tuple[inbox.Incoming, asyncio.Future[tuple[int, bool]]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _read_secret(self, source: str) -> str | None:
        with self.db.session() as session:
            value = settings.hook_secret(session, source)
        self._secrets[source] = (value, time.monotonic())
        return value

    async def _secret(self, source: str, *, fresh: bool) -> tuple[str | None, bool]:
        """(secret, whether it was just read from the database)."""
        cached = self._secrets.get(source)
        if not fresh and cached is not None and time.monotonic() - cached[1] < SECRET_TTL:
            return cached[0], False
        return await anyio.to_thread.run_sync(self._read_secret, source), True

    async def check(self, source: str, headers: dict[str, str], body: bytes) -> str | None:
        """None when the request is authentic; else why it is refused. A request that fails against the
        cached secret is checked again against the stored one, so a new secret works at once."""
        fresh = False
        while True:
            secret, was_read = await self._secret(source, fresh=fresh)
            if not secret:
                refused: str | None = f"no webhook secret is configured for {source}"
            elif len(body) > 1 << 20:
                refused = await anyio.to_thread.run_sync(_verify, source, secret, headers, body)
            else:
                refused = _verify(source, secret, headers, body)
            if refused is None or was_read:
                return refused
            fresh = True

    async def store(self, item: inbox.Incoming) -> tuple[int, bool]:
        """Store `item` in the next group commit; returns (row id, whether it is new) once committed."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (tests start one per client): nothing carries over
            self._loop, self._waiting, self._writer = loop, [], None
        future: asyncio.Future[tuple[int, bool]] = loop.create_future()
        self._waiting.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write())
        return await future

    async def _write(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting[:GROUP_MAX], self._waiting[GROUP_MAX:]
            try:
                outcomes: list[Any] = await anyio.to_thread.run_sync(
                    self._store_group, [item for item, _ in group]
                )
            # Deliberately broad: whatever went wrong, every waiting request must get its answer (a 500 for a
            # bug), never hang; nothing in this group is acknowledged.
            except Exception as exc:
                outcomes = [exc] * len(group)
            for (_, future), outcome in zip(group, outcomes, strict=True):
                if future.done():  # the client went away; its delivery is stored all the same
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
            if self.on_stored and any(not isinstance(o, BaseException) and o[1] for o in outcomes):
                self.on_stored()

    def _store_group(self, items: list[inbox.Incoming]) -> list[tuple[int, bool] | SQLAlchemyError]:
        try:
            with self.db.session() as session:
                return list(inbox.store_many(session, items))
        except SQLAlchemyError as exc:
            if len(items) == 1:
                return [exc]
        outcomes: list[tuple[int, bool] | SQLAlchemyError] = []
        for item in items:
            try:
                with self.db.session() as session:
                    outcomes.append(inbox.store_many(session, [item])[0])
            except SQLAlchemyError as exc:
                outcomes.append(exc)
        return outcomes


def receiver_of(request: Request) -> Receiver:
    """The app's receiver, made on first use."""
    state = request.app.state
    found = getattr(state, "hooks_receiver", None)
    if found is None:

        def wake() -> None:
            processor = getattr(state, "hooks_processor", None)
            if processor is not None:
                processor.wake.set()

        found = state.hooks_receiver = Receiver(state.db, on_stored=wake)
    return found


def _unavailable(exc: SQLAlchemyError) -> JSONResponse:
    return JSONResponse(
        {
            "type": "about:blank",
            "title": "Service unavailable",
            "status": 503,
            "detail": f"the delivery could not be stored ({type(exc).__name__}); send it again",
        },
        status_code=503,
        media_type="application/problem+json",
        headers={"retry-after": "5"},
    )


async def _handle(request: Request, source: str) -> JSONResponse:
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    receiver = receiver_of(request)
    refused = await receiver.check(source, headers, body)
    if refused:
        return _unauthorized(f"{refused}; nothing was stored")
    delivery_id = inbox.delivery_id_of(source, headers, body)
    event = headers.get(EVENT_HEADER[source], "event" if source == "events" else "")
    try:
        row_id, new = await receiver.store(inbox.Incoming(source, delivery_id, event, headers, body))
    except SQLAlchemyError as exc:
        return _unavailable(exc)
    if not new:
        return JSONResponse({"status": "duplicate", "delivery": delivery_id, "id": row_id}, status_code=200)
    return JSONResponse({"status": "received", "delivery": delivery_id, "id": row_id}, status_code=202)


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
