"""Teams and services as an organization file declares them (docs/org.md): the delivery side of
`missionos org apply`.

`declare_teams` and `declare_services` make the delivery tables hold what was declared and say, for each
team, service and repository, whether it was added, changed or already so; `teams_and_services` gives them
back in the file's form. Nothing is deleted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from missionos.delivery.models import Repository, Service, Team
from missionos.delivery.service import attribute, ensure_team, utc
from missionos.store import utcnow


@dataclass(frozen=True)
class TeamSpec:
    name: str
    description: str = ""


@dataclass(frozen=True)
class RepositorySpec:
    location: str
    path_prefix: str = ""
    branch: str = "main"


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    team: str | None = None
    description: str = ""
    repositories: tuple[RepositorySpec, ...] = ()
    history_start: dt.datetime | None = None
    production_environments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Declared:
    """One line of the diff: what (team, service, repository, stream), which, and the outcome."""

    kind: str
    name: str
    outcome: str  # added, changed or unchanged
    details: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "name": self.name, "outcome": self.outcome, "details": list(self.details)}


def declare_teams(session: Session, teams: Sequence[TeamSpec], *, dry_run: bool = False) -> list[Declared]:
    """Create or update each declared team (keyed by name)."""
    out: list[Declared] = []
    rows = {t.name: t for t in session.scalars(select(Team))}
    for spec in teams:
        row = rows.get(spec.name)
        if row is None:
            out.append(Declared("team", spec.name, "added"))
            if not dry_run:
                session.add(Team(name=spec.name, description=spec.description))
        elif row.description != spec.description:
            out.append(Declared("team", spec.name, "changed", ("description",)))
            if not dry_run:
                row.description = spec.description
        else:
            out.append(Declared("team", spec.name, "unchanged"))
    if not dry_run:
        session.flush()
    return out


def declare_services(
    session: Session, services: Sequence[ServiceSpec], *, dry_run: bool = False
) -> list[Declared]:
    """Create or update each declared service (keyed by name) and its repositories (keyed by location and
    path prefix). A service whose production environments or history start change has its deployments
    classified and its changes attributed again (metrics.md §1), so the figures follow the new settings."""
    out: list[Declared] = []
    teams = {t.name: t for t in session.scalars(select(Team))}
    rows = {
        s.name: s
        for s in session.scalars(
            select(Service).options(selectinload(Service.team), selectinload(Service.repositories))
        )
    }
    for spec in services:
        if spec.team is not None and spec.team not in teams and not dry_run:
            teams[spec.team] = ensure_team(session, spec.team)
        _apply_service(session, spec, rows.get(spec.name), teams, out, dry_run)
    return out


def _envs(service: Service) -> tuple[str, ...]:
    return tuple(n for n in service.production_environments.split(",") if n.strip())


def _apply_service(
    session: Session,
    spec: ServiceSpec,
    row: Service | None,
    teams: dict[str, Team],
    result: list[Declared],
    dry_run: bool,
) -> None:
    if row is None:
        result.append(Declared("service", spec.name, "added"))
        for repo in spec.repositories:
            result.append(Declared("repository", _repo_name(spec.name, repo), "added"))
        if dry_run:
            return
        row = Service(
            name=spec.name,
            description=spec.description,
            team=teams[spec.team] if spec.team else None,
            history_start=spec.history_start,
            production_environments=",".join(spec.production_environments),
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        for repo in spec.repositories:
            session.add(
                Repository(
                    service=row, location=repo.location, path_prefix=repo.path_prefix, branch=repo.branch
                )
            )
        session.flush()
        return
    changed: list[str] = []
    current_team = row.team.name if row.team else None
    if spec.team is not None and spec.team != current_team:
        changed.append("team")
    if spec.description != row.description:
        changed.append("description")
    if spec.history_start != utc(row.history_start):
        changed.append("history_start")
    if spec.production_environments != _envs(row):
        changed.append("production_environments")
    result.append(Declared("service", spec.name, "changed" if changed else "unchanged", tuple(changed)))
    existing = {(r.location, r.path_prefix): r for r in row.repositories}
    repo_changes: list[tuple[RepositorySpec, Repository | None]] = []
    for repo in spec.repositories:
        found = existing.get((repo.location, repo.path_prefix))
        if found is None:
            result.append(Declared("repository", _repo_name(spec.name, repo), "added"))
            repo_changes.append((repo, None))
        elif found.branch != repo.branch:
            result.append(Declared("repository", _repo_name(spec.name, repo), "changed", ("branch",)))
            repo_changes.append((repo, found))
        else:
            result.append(Declared("repository", _repo_name(spec.name, repo), "unchanged"))
    if dry_run:
        return
    if "team" in changed:
        row.team = teams[spec.team] if spec.team else None
    row.description = spec.description
    row.history_start = spec.history_start
    row.production_environments = ",".join(spec.production_environments)
    for repo, found in repo_changes:
        if found is None:
            session.add(
                Repository(
                    service=row, location=repo.location, path_prefix=repo.path_prefix, branch=repo.branch
                )
            )
        else:
            found.branch = repo.branch
    session.flush()
    if "history_start" in changed or "production_environments" in changed:
        attribute(session, row)


def _repo_name(service: str, repo: RepositorySpec) -> str:
    return f"{service}: {repo.location}" + (f"//{repo.path_prefix}" if repo.path_prefix else "")


def _iso(moment: dt.datetime | None) -> str | None:
    value = utc(moment)
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def teams_and_services(session: Session) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every team and service (team, repositories, history start, production environments) by name, in the
    organization file's form: declaring them again changes nothing."""
    teams = [
        {"name": t.name, **({"description": t.description} if t.description else {})}
        for t in session.scalars(select(Team).order_by(Team.name))
    ]
    services: list[dict[str, Any]] = []
    rows = session.scalars(
        select(Service)
        .options(selectinload(Service.team), selectinload(Service.repositories))
        .order_by(Service.name)
    )
    for s in rows:
        doc: dict[str, Any] = {"name": s.name}
        if s.team is not None:
            doc["team"] = s.team.name
        if s.description:
            doc["description"] = s.description
        repos = sorted(s.repositories, key=lambda r: (r.location, r.path_prefix))
        if repos:
            doc["repositories"] = [
                {
                    "location": r.location,
                    **({"path_prefix": r.path_prefix} if r.path_prefix else {}),
                    "branch": r.branch,
                }
                for r in repos
            ]
        if s.history_start is not None:
            doc["history_start"] = _iso(s.history_start)
        if _envs(s):
            doc["production_environments"] = list(_envs(s))
        services.append(doc)
    return teams, services
