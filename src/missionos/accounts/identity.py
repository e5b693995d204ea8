"""Who is acting: a principal with a role (viewer < editor < admin), optionally limited to some teams."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("viewer", "editor", "admin")
# An API token's scope grants the role of the same rank.
SCOPES = {"read": "viewer", "write": "editor", "admin": "admin"}


@dataclass(frozen=True)
class Principal:
    """The person or token behind a request.

    `teams` is None for every team; otherwise the principal's role holds only for objects of those teams.
    `via` says how it was established: local (no sign-in configured), session, token, proxy or anonymous.
    """

    name: str
    role: str = "admin"
    teams: tuple[str, ...] | None = None
    via: str = "local"

    def may(self, role: str, team: str | None = None) -> bool:
        """Whether this principal holds `role` (or a higher one) for an object of `team` (None: no team)."""
        if self.via == "anonymous":
            return False
        if ROLES.index(self.role) < ROLES.index(role):
            return False
        return team is None or self.teams is None or team in self.teams

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "role": self.role,
            "teams": list(self.teams) if self.teams is not None else None,
            "via": self.via,
        }


LOCAL = Principal(name="local", role="admin", via="local")
ANONYMOUS = Principal(name="anonymous", role="viewer", via="anonymous")


def check_role(role: str, *, field: str = "role") -> str:
    """`role` if it is one of ROLES, else a FieldError naming the field."""
    from missionos.errors import FieldError

    if role not in ROLES:
        raise FieldError(field, f"one of {', '.join(ROLES)}")
    return role
