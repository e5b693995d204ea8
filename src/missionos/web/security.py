"""Who is asking, and may they? The one pattern every write endpoint and page action follows.

    @router.post("/api/v1/flags")
    def apply_flag(..., who: Annotated[Principal, Depends(require("editor"))]) -> ...:
        ...
        audit.record(session, actor=who.name, action="update", kind="flag", key=key, before=..., after=...)

`require(role, team=...)` checks the role (viewer < editor < admin), per team where the object has one.
With no sign-in configured, the server listens on loopback only and the local user is an admin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

ROLES = ("viewer", "editor", "admin")


@dataclass(frozen=True)
class Principal:
    """The person or token behind a request."""

    name: str
    role: str = "admin"
    teams: tuple[str, ...] | None = None  # None: every team

    def may(self, role: str, team: str | None = None) -> bool:
        if ROLES.index(self.role) < ROLES.index(role):
            return False
        return team is None or self.teams is None or team in self.teams


LOCAL = Principal(name="local", role="admin")


def current_principal(request: Request) -> Principal:
    """The principal of this request (the local admin when no sign-in is configured)."""
    found = getattr(request.state, "principal", None)
    return found if isinstance(found, Principal) else LOCAL


def require(role: str, team: str | None = None) -> Callable[[Request], Principal]:
    """A FastAPI dependency that answers 401/403 unless the caller holds `role` (for `team`)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def dependency(request: Request) -> Principal:
        from fastapi import HTTPException

        who = current_principal(request)
        if not who.may(role, team):
            raise HTTPException(status_code=403, detail=f"{who.name} lacks the {role} role")
        return who

    return dependency
