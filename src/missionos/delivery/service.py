"""Public service functions of the delivery context."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from missionos.delivery.models import Repository, Service, Team


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
