"""Team limits: a principal limited to some teams reaches only those teams' objects.

Every service that reads or writes team-owned data (services, deployments, incidents, flags, experiments,
systems, evidence, attestations, plans) calls these with the principal it was given, so the CLI, the API and
the pages share one check:

    limits.require_team(who, flag.team, "editor")    # one object: 403 unless who holds the role for its team
    rows = [r for r in rows if limits.sees(who, r.team)]  # a list: only the principal's teams
    limits.check_reach(who, role="admin", teams=None)     # a new user or token: never more than who has

`who=None` is the host itself (the command line, the demo loader, tests of the services): no limits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from missionos.accounts.identity import ROLES, Principal
from missionos.errors import ForbiddenError

T = TypeVar("T")


def sees(who: Principal | None, team: str | None) -> bool:
    """Whether `who` may read an object of `team` (an object of no team is everyone's)."""
    return who is None or team is None or who.teams is None or team in who.teams


def require_team(who: Principal | None, team: str | None, role: str = "viewer") -> None:
    """Raise ForbiddenError unless `who` holds `role` for objects of `team`."""
    if who is None:
        return
    if not who.may(role, team):
        where = f" for team {team}" if team is not None and who.teams is not None else ""
        raise ForbiddenError(f"{who.name} lacks the {role} role{where}")


def require_all_teams(who: Principal | None, role: str = "viewer") -> None:
    """Raise ForbiddenError unless `who` is limited to no team (for objects that span teams)."""
    if who is not None and who.teams is not None:
        raise ForbiddenError(
            f"{who.name} is limited to team(s) {', '.join(who.teams)}; this needs every team"
        )
    require_team(who, None, role)


def team_filter(who: Principal | None) -> tuple[str, ...] | None:
    """The teams a list must be filtered to (None: every team)."""
    return None if who is None else who.teams


def filter_teams(who: Principal | None, rows: Iterable[T], team_of: str = "team") -> list[T]:
    """The rows whose team `who` may see (rows are dicts or objects with a `team`)."""
    out: list[T] = []
    for row in rows:
        team = row.get(team_of) if isinstance(row, dict) else getattr(row, team_of, None)
        if sees(who, team):
            out.append(row)
    return out


def within_reach(who: Principal | None, teams: Sequence[str] | None) -> bool:
    """Whether a principal of `teams` (None: every team) lies within `who`'s reach: `who` is limited to no
    team, or the other is limited to some of `who`'s teams."""
    if who is None or who.teams is None:
        return True
    return teams is not None and set(teams) <= set(who.teams)


def check_reach(who: Principal | None, *, role: str, teams: Sequence[str] | None) -> None:
    """Refuse to create (or widen) a principal with more reach than `who`: a higher role, or teams beyond
    the ones `who` is limited to (None: every team)."""
    if who is None:
        return
    if role in ROLES and ROLES.index(role) > ROLES.index(who.role):
        raise ForbiddenError(f"{who.name} cannot grant the {role} role, higher than its own ({who.role})")
    if who.teams is None:
        return
    if teams is None:
        raise ForbiddenError(
            f"{who.name} is limited to team(s) {', '.join(who.teams)} and cannot grant every team"
        )
    beyond = sorted(set(teams) - set(who.teams))
    if beyond:
        raise ForbiddenError(f"{who.name} cannot grant team(s) {', '.join(beyond)} beyond its own")
