"""Sign-in, the admin pages (users, tokens, webhooks, audit log) and their API.

Pages: /accounts/sign-in, /accounts/sign-out, /accounts (admin), /accounts/audit (admin).
API: /api/v1/accounts/me, /api/v1/accounts/users, /api/v1/accounts/tokens, /api/v1/audit,
/api/v1/audit/export (JSON Lines), /api/v1/hooks/deliveries, /api/v1/hooks/deliveries/replay.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from missionos import times
from missionos.accounts import ROLES, audit, limits, sessions, settings, throttle, tokens, users
from missionos.errors import ConflictError, FieldError, NotFoundError
from missionos.ingest import inbox, processor, sync
from missionos.web.deps import DB, DbSession, page
from missionos.web.security import (
    SESSION_COOKIE,
    Principal,
    client_address,
    current_principal,
    request_is_https,
    require,
)

router = APIRouter()
Admin = Annotated[Principal, Depends(require("admin"))]
Viewer = Annotated[Principal, Depends(require("viewer"))]


def _limited(request: Request, wait: int | None, what: str) -> None:
    if wait is not None:
        raise HTTPException(
            status_code=429,
            detail=f"too many {what}; retry in {wait} s",
            headers={"Retry-After": str(wait)},
        )


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never `//host` or a scheme) is a place to go back to after signing in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


# ---- Sign-in ----


@router.get("/accounts/sign-in", include_in_schema=False)
def sign_in_page(request: Request, next: str = "/") -> Any:
    return page(request, "accounts/sign_in.html", "accounts", next=_safe_next(next), error=None)


@router.post("/accounts/sign-in", include_in_schema=False)
def sign_in(
    request: Request,
    db: DB,
    name: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Any:
    config = request.app.state.security
    with db.session() as session:
        wait = throttle.attempt(
            session,
            f"sign-in:{client_address(request)}",
            limit=config.sign_in_limit,
            per=dt.timedelta(minutes=1),
        )
    _limited(request, wait, "sign-in attempts from this address")
    with db.session() as session:
        user = users.check_password(session, name, password)
        cookie = sessions.issue(session, user) if user is not None else None
        if user is not None:
            audit.record(session, actor=user.name, action="sign-in", kind="session", key=user.name)
    if cookie is None:
        response = page(
            request,
            "accounts/sign_in.html",
            "accounts",
            next=_safe_next(next),
            error="That name and password do not match an active account.",
        )
        response.status_code = 401
        return response
    redirect = RedirectResponse(_safe_next(next), status_code=303)
    redirect.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=sessions.MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request_is_https(request),
    )
    return redirect


@router.post("/accounts/sign-out", include_in_schema=False)
def sign_out(request: Request, session: DbSession) -> Any:
    who = current_principal(request)
    if who.via == "session":
        users.end_sessions(session, who.name)
        audit.record(session, actor=who.name, action="sign-out", kind="session", key=who.name)
    redirect = RedirectResponse("/accounts/sign-in", status_code=303)
    redirect.delete_cookie(SESSION_COOKIE)
    return redirect


# ---- Admin pages ----


def _admin_context(session: Any, who: Principal) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "users": users.list_users(session, by=who),
        "tokens": tokens.list_tokens(session, include_revoked=True, by=who),
        "roles": ROLES,
        "scopes": ("read", "write", "admin"),
        "new_token": None,
        "message": None,
        # Webhooks, sources and the audit log span every team: an admin limited to some teams manages only
        # the users and tokens within its reach.
        "org_wide": who.teams is None,
    }
    if who.teams is None:
        shown |= {
            "hook_secrets": settings.hook_secrets_configured(session),
            "hook_counts": inbox.counts(session, by=who),
            "failed": inbox.list_deliveries(session, status="failed", limit=20, by=who),
            "recent": inbox.list_deliveries(session, limit=20, by=who),
            "sync": sync.overview(session, os.environ.get("MISSIONOS_SYNC_CONFIG"), by=who),
        }
    return shown


@router.get("/accounts", include_in_schema=False)
def admin_page(request: Request, session: DbSession, who: Admin) -> Any:
    return page(request, "accounts/index.html", "accounts", **_admin_context(session, who))


@router.post("/accounts/users", include_in_schema=False)
def admin_create_user(
    request: Request,
    session: DbSession,
    who: Admin,
    name: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form(max_length=20)],
    teams: Annotated[str, Form(max_length=2000)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Any:
    users.create_user(
        session,
        name,
        role=role,
        actor=who.name,
        password=password or None,
        teams=_team_list(teams),
        by=who,
    )
    return RedirectResponse("/accounts#users", status_code=303)


@router.post("/accounts/users/{name}", include_in_schema=False)
def admin_update_user(
    request: Request,
    session: DbSession,
    who: Admin,
    name: str,
    role: Annotated[str, Form(max_length=20)],
    teams: Annotated[str, Form(max_length=2000)] = "",
    disabled: Annotated[str, Form(max_length=10)] = "",
) -> Any:
    listed = _team_list(teams)
    users.update_user(
        session,
        name,
        actor=who.name,
        role=role,
        teams=listed,
        all_teams=listed is None,
        disabled=disabled == "on",
        keep_one=not request.app.state.security.on_loopback,
        by=who,
    )
    return RedirectResponse("/accounts#users", status_code=303)


@router.post("/accounts/tokens", include_in_schema=False)
def admin_create_token(
    request: Request,
    db: DB,
    who: Admin,
    name: Annotated[str, Form(max_length=200)],
    scope: Annotated[str, Form(max_length=10)],
    team: Annotated[str, Form(max_length=200)] = "",
) -> Any:
    config = request.app.state.security
    with db.session() as session:
        wait = throttle.attempt(
            session, f"token-create:{who.name}", limit=config.token_create_limit, per=dt.timedelta(minutes=1)
        )
    _limited(request, wait, "tokens created")
    with db.session() as session:
        info, secret = tokens.create_token(
            session, name=name, scope=scope, team=team or None, actor=who.name, by=who
        )
    with db.session() as session:
        context = _admin_context(session, who)
    context["new_token"] = {"info": info, "secret": secret}
    response = page(request, "accounts/index.html", "accounts", **context)
    response.headers["cache-control"] = "no-store"
    return response


@router.post("/accounts/tokens/{ref}/revoke", include_in_schema=False)
def admin_revoke_token(request: Request, session: DbSession, who: Admin, ref: str) -> Any:
    keep_one = not request.app.state.security.on_loopback
    tokens.revoke_token(session, ref, actor=who.name, keep_one=keep_one, by=who)
    return RedirectResponse("/accounts#tokens", status_code=303)


@router.post("/accounts/hooks/replay", include_in_schema=False)
async def admin_replay(request: Request, db: DB, who: Admin) -> Any:
    def run() -> None:
        with db.session() as session:
            ids = inbox.pending(session, statuses=("failed", "received"), by=who)
            audit.record(
                session,
                actor=who.name,
                action="replay",
                kind="webhook",
                key="failed",
                after={"count": len(ids)},
            )
        processor.replay(db, ids)

    await anyio.to_thread.run_sync(run)
    return RedirectResponse("/accounts#hooks", status_code=303)


@router.post("/accounts/sync/{name}", include_in_schema=False)
def admin_sync_now(session: DbSession, who: Admin, name: str) -> Any:
    _request_sync(session, who, name)
    return RedirectResponse("/accounts#sources", status_code=303)


@router.get("/accounts/audit", include_in_schema=False)
def audit_page(
    request: Request,
    session: DbSession,
    who: Admin,
    kind: Annotated[str | None, Query(max_length=100)] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Any:
    shown = audit.entries(
        session, kind=kind or None, actor=actor or None, before_id=before, limit=100, by=who
    )
    actors, kinds = audit.actors_and_kinds(session, by=who)
    return page(
        request,
        "accounts/audit.html",
        "accounts",
        entries=shown,
        actors=actors,
        kinds=kinds,
        kind=kind or "",
        actor=actor or "",
        older=shown[-1].id if len(shown) == 100 else None,
    )


def _team_list(text: str) -> list[str] | None:
    listed = [t.strip() for t in text.split(",") if t.strip()]
    return listed or None


# ---- API ----


class UserIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: Literal["viewer", "editor", "admin"]
    teams: list[str] | None = Field(default=None, max_length=100)
    password: str | None = Field(default=None, max_length=1000)


class UserPatch(BaseModel):
    role: Literal["viewer", "editor", "admin"] | None = None
    teams: list[str] | None = Field(default=None, max_length=100)
    all_teams: bool = False
    disabled: bool | None = None


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    scope: Literal["read", "write", "admin"]
    team: str | None = Field(default=None, max_length=200)


Status = Literal["received", "failed", "processed", "ignored"]


class ReplayIn(BaseModel):
    ids: list[int] = Field(default_factory=list, max_length=10_000)
    statuses: list[Status] = Field(default_factory=lambda: list[Status](["received", "failed"]))


@router.get("/api/v1/accounts/me", tags=["accounts"])
def api_me(who: Viewer) -> dict[str, Any]:
    """Who the API thinks you are: name, role, teams and how you were identified."""
    return who.as_dict()


@router.get("/api/v1/accounts/users", tags=["accounts"])
def api_users(session: DbSession, who: Admin) -> list[dict[str, Any]]:
    """Every user with role and teams (admin); an admin limited to some teams sees those within its reach."""
    return [u.as_dict() for u in users.list_users(session, by=who)]


@router.post("/api/v1/accounts/users", tags=["accounts"], status_code=201)
def api_create_user(body: UserIn, session: DbSession, who: Admin) -> dict[str, Any]:
    """Create a user (admin). Without a password the user can only arrive through a trusted proxy. A
    team-limited admin cannot create a user with more reach than its own."""
    return users.create_user(
        session, body.name, role=body.role, actor=who.name, password=body.password, teams=body.teams, by=who
    ).as_dict()


@router.patch("/api/v1/accounts/users/{name}", tags=["accounts"])
def api_update_user(
    request: Request, name: str, body: UserPatch, session: DbSession, who: Admin
) -> dict[str, Any]:
    """Change a user's role, teams or disabled flag (admin). Disabling the last credential is refused unless
    the server listens on loopback only."""
    return users.update_user(
        session,
        name,
        actor=who.name,
        role=body.role,
        teams=body.teams,
        all_teams=body.all_teams,
        disabled=body.disabled,
        keep_one=not request.app.state.security.on_loopback,
        by=who,
    ).as_dict()


@router.get("/api/v1/accounts/tokens", tags=["accounts"])
def api_tokens(session: DbSession, who: Admin, include_revoked: bool = False) -> list[dict[str, Any]]:
    """API tokens (never their secrets): name, scope, team, created, last used, revoked (admin)."""
    return [t.as_dict() for t in tokens.list_tokens(session, include_revoked=include_revoked, by=who)]


@router.post("/api/v1/accounts/tokens", tags=["accounts"], status_code=201)
def api_create_token(request: Request, body: TokenIn, db: DB, who: Admin) -> dict[str, Any]:
    """Create an API token (admin; rate limited). The `token` field is shown this once and never again."""
    config = request.app.state.security
    with db.session() as session:
        wait = throttle.attempt(
            session, f"token-create:{who.name}", limit=config.token_create_limit, per=dt.timedelta(minutes=1)
        )
    _limited(request, wait, "tokens created")
    with db.session() as session:
        info, secret = tokens.create_token(
            session, name=body.name, scope=body.scope, team=body.team, actor=who.name, by=who
        )
    return {**info.as_dict(), "token": secret}


@router.delete("/api/v1/accounts/tokens/{ref}", tags=["accounts"])
def api_revoke_token(request: Request, ref: str, session: DbSession, who: Admin) -> dict[str, Any]:
    """Revoke a token by id or prefix (admin). Revoking twice changes nothing. Revoking the last credential is
    refused unless the server listens on loopback only (recover with `missionos auth user create` on the
    host)."""
    keep_one = not request.app.state.security.on_loopback
    return tokens.revoke_token(session, ref, actor=who.name, keep_one=keep_one, by=who).as_dict()


def _moment(value: str | None, field: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = times.read_iso(value)
    except ValueError:
        raise FieldError(field, "an ISO 8601 date-time with offset") from None
    if moment.tzinfo is None:
        raise FieldError(field, "an ISO 8601 date-time with offset")
    return moment.astimezone(dt.UTC)


@router.get("/api/v1/audit", tags=["accounts"])
def api_audit(
    session: DbSession,
    who: Admin,
    kind: Annotated[str | None, Query(max_length=100)] = None,
    key: Annotated[str | None, Query(max_length=500)] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[str | None, Query(max_length=40, description="ISO 8601 with offset")] = None,
    until: Annotated[str | None, Query(max_length=40, description="ISO 8601 with offset")] = None,
    before_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Audit entries, newest first (admin)."""
    found = audit.entries(
        session,
        kind=kind,
        key=key,
        actor=actor,
        since=_moment(since, "since"),
        until=_moment(until, "until"),
        before_id=before_id,
        limit=limit,
        by=who,
    )
    return [e.as_dict() for e in found]


@router.get(
    "/api/v1/audit/export",
    tags=["accounts"],
    response_class=StreamingResponse,
    responses={200: {"content": {"application/jsonl": {}}, "description": "One JSON object per line"}},
)
def api_audit_export(
    db: DB,
    who: Admin,
    kind: Annotated[str | None, Query(max_length=100)] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[str | None, Query(max_length=40)] = None,
    until: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The whole audit log as JSON Lines, oldest first (admin)."""
    start, end = _moment(since, "since"), _moment(until, "until")
    with db.session() as session:
        lines = list(audit.export_lines(session, kind=kind, actor=actor, since=start, until=end, by=who))
    return Response(
        "".join(lines),
        media_type="application/jsonl",
        headers={"content-disposition": 'attachment; filename="missionos-audit.jsonl"'},
    )


@router.get("/api/v1/sync/sources", tags=["sync"])
def api_sync_sources(session: DbSession, who: Admin) -> dict[str, Any]:
    """The sources this server reads (`missionos serve --sync FILE`), each with its last run (admin)."""
    return sync.overview(session, os.environ.get("MISSIONOS_SYNC_CONFIG"), by=who)


@router.post("/api/v1/sync/sources/{name}/read", tags=["sync"], status_code=202)
def api_sync_now(session: DbSession, who: Admin, name: str) -> dict[str, Any]:
    """Ask this server's reader to read source `name` at its next look (within seconds), whatever its
    interval (admin; audited). 409 when the server reads no sources file."""
    return {"source": name, "requested_at": _request_sync(session, who, name).isoformat()}


def _request_sync(session: Any, who: Principal, name: str) -> dt.datetime:
    # `sync.request_now` checks this too; checked first here so that a limited admin learns nothing about the
    # sources file (409 or 404) before being refused.
    limits.require_all_teams(who, "admin")
    config = os.environ.get("MISSIONOS_SYNC_CONFIG")
    if not config:
        raise ConflictError("this server reads no sources: start it with `missionos serve --sync FILE`")
    if name not in {s.name for s in sync.read_config(Path(config)).sources}:
        raise NotFoundError("source", name)
    audit.record(session, actor=who.name, action="read-now", kind="sync-source", key=name)
    return sync.request_now(session, name, by=who)


@router.get("/api/v1/hooks/deliveries", tags=["hooks"])
def api_deliveries(
    session: DbSession,
    who: Admin,
    status: Literal["received", "processed", "ignored", "failed"] | None = None,
    source: Literal["github", "gitlab", "events"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Stored webhook deliveries, newest first, and how many are in each status (admin)."""
    return {
        "counts": inbox.counts(session, by=who),
        "deliveries": [
            d.as_dict()
            for d in inbox.list_deliveries(session, status=status, source=source, limit=limit, by=who)
        ],
    }


@router.post("/api/v1/hooks/deliveries/replay", tags=["hooks"])
def api_replay(body: ReplayIn, db: DB, who: Admin) -> dict[str, Any]:
    """Process stored deliveries again: the given ids, or every one in `statuses` (admin)."""
    with db.session() as session:
        ids = inbox.pending(session, statuses=body.statuses, ids=body.ids, by=who)
        audit.record(session, actor=who.name, action="replay", kind="webhook", key="api", after={"ids": ids})
    return {"replayed": len(ids), "statuses": processor.replay(db, ids)}
