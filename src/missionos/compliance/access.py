"""Team limits on systems and evidence subjects: who may read or change which system."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos.accounts import Principal, limits
from missionos.compliance.models import System
from missionos.compliance.systems import SystemInfo, get_system, list_systems


def system_teams(session: Session, info: SystemInfo, teams: dict[str, str | None] | None = None) -> set[str]:
    """The teams that own a system: those of its services."""
    from missionos.delivery import service_teams

    teams = service_teams(session) if teams is None else teams
    return {t for s in info.services if (t := teams.get(s)) is not None}


def require_system(session: Session, who: Principal | None, name: str, role: str) -> None:
    """ForbiddenError unless `who` holds `role` for every team of system `name` (NotFoundError if unknown)."""
    if who is None:
        return
    info = get_system(session, name)
    limits.require_team(who, None, role)
    for team in sorted(system_teams(session, info)):
        limits.require_team(who, team, role)


def visible_systems(session: Session, who: Principal | None) -> list[SystemInfo]:
    """The systems `who` may read: those whose every team is one of theirs."""
    systems = list_systems(session)
    if limits.team_filter(who) is None:
        return systems
    from missionos.delivery import service_teams

    teams = service_teams(session)
    return [s for s in systems if all(limits.sees(who, t) for t in system_teams(session, s, teams))]


def require_subject(session: Session, who: Principal | None, subject: str, role: str) -> None:
    """ForbiddenError unless `who` holds `role` for an evidence subject: a system (its teams), or a service
    (`service` or `service@run`, its team)."""
    if who is None:
        return
    owner = subject.partition("@")[0]
    if session.scalar(select(System.id).where(System.name == owner)) is not None:
        require_system(session, who, owner, role)
        return
    from missionos.delivery import require_services

    require_services(session, who, [owner], role)
    limits.require_team(who, None, role)
