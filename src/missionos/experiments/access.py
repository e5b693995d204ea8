"""Team limits: a flag or an experiment belongs to the team of its service."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos.accounts import Principal, limits
from missionos.experiments.design import ExperimentInfo
from missionos.experiments.flags import FlagInfo
from missionos.experiments.models import Experiment, Flag

_Owned = TypeVar("_Owned", "FlagInfo", "ExperimentInfo")


def require_flag(
    session: Session, who: Principal | None, key: str, role: str, *, new_service: str | None = None
) -> None:
    """ForbiddenError unless `who` holds `role` for the team of flag `key`'s service (an unknown flag: of
    `new_service`, the service it is being created or moved to)."""
    if who is None:
        return
    from missionos.delivery import require_services

    stored = session.scalar(select(Flag.service).where(Flag.key == key))
    require_services(session, who, [s for s in (stored, new_service) if s], role)
    limits.require_team(who, None, role)


def require_experiment(session: Session, who: Principal | None, key: str, role: str) -> None:
    """ForbiddenError unless `who` holds `role` for the team of experiment `key`'s service."""
    if who is None:
        return
    from missionos.delivery import require_services

    stored = session.scalar(select(Experiment.service).where(Experiment.key == key))
    require_services(session, who, [stored] if stored else [], role)
    limits.require_team(who, None, role)


def visible(session: Session, who: Principal | None, items: Iterable[_Owned]) -> list[_Owned]:
    """The flags or experiments whose service belongs to one of `who`'s teams (or to no team)."""
    items = list(items)
    if limits.team_filter(who) is None:
        return items
    from missionos.delivery import service_teams

    teams = service_teams(session)
    return [i for i in items if limits.sees(who, teams.get(i.service) if i.service else None)]
