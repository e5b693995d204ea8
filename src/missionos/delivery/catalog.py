"""The delivery context's catalog: teams, services and their repositories, and whose service is whose.

Small on purpose: commands and pages that only list or name services import this, not the rest of the
delivery service (git, forges and the numpy arithmetic of the metrics).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from missionos.accounts import Principal, limits
from missionos.delivery.models import Repository, Service, Team
from missionos.errors import NotFoundError


@dataclass(frozen=True)
class ServiceInfo:
    name: str
    team: str | None
    description: str
    repositories: tuple[str, ...]


def ensure_team(session: Session, name: str, description: str = "") -> Team:
    """The team called `name`, created if missing."""
    team = session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name, description=description)
        session.add(team)
        session.flush()
    elif description and team.description != description:
        team.description = description
    return team


def ensure_service(session: Session, name: str, *, team: str | None = None, description: str = "") -> Service:
    """The service called `name`, created if missing, and moved to `team` when one is given."""
    service = session.scalar(select(Service).where(Service.name == name))
    if service is None:
        service = Service(name=name, description=description)
        session.add(service)
    if team is not None:
        service.team = ensure_team(session, team)
    if description:
        service.description = description
    session.flush()
    return service


def ensure_repository(
    session: Session, service: Service, location: str, *, path_prefix: str = "", branch: str = "main"
) -> Repository:
    repo = session.scalar(
        select(Repository).where(
            Repository.service_id == service.id,
            Repository.location == location,
            Repository.path_prefix == path_prefix,
        )
    )
    if repo is None:
        repo = Repository(service=service, location=location, path_prefix=path_prefix, branch=branch)
        session.add(repo)
        session.flush()
    return repo


def list_services(session: Session) -> list[ServiceInfo]:
    """Every service with its team and repositories, by name."""
    rows = session.scalars(
        select(Service)
        .options(selectinload(Service.team), selectinload(Service.repositories))
        .order_by(Service.name)
    )
    return [
        ServiceInfo(
            name=s.name,
            team=s.team.name if s.team else None,
            description=s.description,
            repositories=tuple(
                r.location + (f"//{r.path_prefix}" if r.path_prefix else "") for r in s.repositories
            ),
        )
        for s in rows
    ]


def list_teams(session: Session) -> list[str]:
    return list(session.scalars(select(Team.name).order_by(Team.name)))


def service_named(session: Session, name: str) -> Service:
    found = session.scalar(select(Service).where(Service.name == name))
    if found is None:
        raise NotFoundError("service", name)
    return found


def service_teams(session: Session) -> dict[str, str | None]:
    """Each service's team (None: no team), by service name."""
    rows = session.execute(select(Service.name, Team.name).outerjoin(Team, Service.team_id == Team.id))
    return {service: team for service, team in rows}


def require_services(session: Session, who: Principal | None, names: Iterable[str], role: str) -> None:
    """ForbiddenError unless `who` holds `role` for the team of every service named (an unknown service has
    no team yet)."""
    if who is None:
        return
    teams = service_teams(session)
    for name in sorted(set(names)):
        limits.require_team(who, teams.get(name), role)
