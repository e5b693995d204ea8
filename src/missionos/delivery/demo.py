"""The delivery context's part of the demo organization (DEMO.md): teams, services and their repositories."""

from __future__ import annotations

from missionos.delivery.service import ensure_repository, ensure_service, ensure_team
from missionos.demo.org import DemoOrg


def load(org: DemoOrg) -> None:
    """Register the demo's teams, services and generated repositories; idempotent."""
    with org.db.session() as session:
        for team in org.teams:
            ensure_team(session, team.name, team.description)
            for svc in team.services:
                service = ensure_service(session, svc.name, team=team.name, description=svc.description)
                ensure_repository(session, service, str(org.repo_path(svc.name)))
