"""Every write endpoint and page action is checked: each role is allowed or refused, as its guard says.

The routes are read from the application itself, so endpoints that other contexts add later are covered
without editing this file; a write route with no `require(...)` guard fails the test by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from missionos.accounts.identity import ROLES

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# Writes that are not guarded by a role, and why.
UNGUARDED = {
    "/accounts/sign-in": "signing in is how a role is obtained",
    "/accounts/sign-out": "ends the caller's own session",
    "/hooks/github": "authenticated by the X-Hub-Signature-256 HMAC",
    "/hooks/gitlab": "authenticated by X-Gitlab-Token",
    "/hooks/events": "authenticated by the X-MissionOS-Signature HMAC",
    # POSTs that read: they store nothing, so a viewer (or an SDK's read token) may call them.
    "/api/v1/strategy/check": "checks a plan document without storing it",
    "/api/v1/platform/check": "checks a platform document without storing it",
    "/ofrep/v1/evaluate/flags": "OpenFeature remote evaluation of flags",
    "/ofrep/v1/evaluate/flags/{key}": "OpenFeature remote evaluation of one flag",
}
SCOPE_OF = {"viewer": "read", "editor": "write", "admin": "admin"}


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _routes(route.original_router.routes)
        elif hasattr(route, "routes") and not hasattr(route, "app"):
            yield from _routes(route.routes)


def _required(dependant: Any) -> str | None:
    found: list[str] = []

    def walk(node: Any) -> None:
        for dep in node.dependencies:
            role = getattr(dep.call, "required_role", None)
            if role:
                found.append(role)
            walk(dep)

    walk(dependant)
    return max(found, key=ROLES.index) if found else None


def write_routes() -> list[tuple[str, str, str | None]]:
    from missionos.web import app as web_app

    probe = web_app.FastAPI()
    for module in web_app.CONTEXT_ROUTERS:
        try:
            probe.include_router(__import__(module, fromlist=["router"]).router)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    probe.include_router(web_app.api.router)
    probe.include_router(web_app.pages.router)
    out = []
    for route in _routes(probe.routes):
        for method in sorted(set(route.methods or ()) & WRITES):
            out.append((method, route.path, _required(route.dependant)))
    return sorted(set(out))


ROUTES = write_routes()


def test_every_write_route_is_guarded() -> None:
    unguarded = [f"{m} {p}" for m, p, role in ROUTES if role is None and p not in UNGUARDED]
    assert unguarded == [], f"write routes without require(...): {unguarded}"


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


@pytest.mark.parametrize(("method", "path", "required"), [r for r in ROUTES if r[2] is not None])
def test_each_role_is_allowed_or_refused(
    method: str, path: str, required: str, client: httpx.Client, make_token: Callable[..., str]
) -> None:
    tokens = {role: make_token(SCOPE_OF[role], name=role) for role in ROLES}
    anonymous = client.request(method, _url(path), json={})
    assert anonymous.status_code == 401, f"anonymous {method} {path}: {anonymous.status_code}"
    for role, token in tokens.items():
        response = client.request(method, _url(path), json={}, headers={"authorization": f"Bearer {token}"})
        allowed = ROLES.index(role) >= ROLES.index(required)
        if allowed:
            assert response.status_code not in (401, 403), f"{role} refused {method} {path}: {response.text}"
            assert response.status_code < 500, (
                f"{role} {method} {path}: {response.status_code} {response.text}"
            )
        else:
            assert response.status_code == 403, f"{role} allowed {method} {path}: {response.status_code}"


def test_team_limited_token_is_refused_for_other_teams() -> None:
    from missionos.web.security import Principal, authorize

    editor_of_intake = Principal("token:ci", "editor", ("Intake",), "token")
    assert authorize(editor_of_intake, "editor", "Intake") is editor_of_intake
    with pytest.raises(Exception, match="lacks the editor role for team Payments"):
        authorize(editor_of_intake, "editor", "Payments")
