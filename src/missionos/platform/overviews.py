"""Which offers production has proven: what each successful production deployment used, the offers with
their verification, and each team's path to production.

The deployments are read through the delivery context's service, their revisions' SBOM purl types and
evidence kinds through the compliance context's service, and their bindings from this context's records; the
rules that turn them into verified offers and teams' gaps are in `verification`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos import compliance, delivery
from missionos.errors import NotFoundError
from missionos.measures import Window
from missionos.platform.models import Binding, Offer, TeamNeeds
from missionos.platform.verification import (
    OfferSpec,
    OfferStatus,
    TeamStatus,
    Use,
    offer_statuses,
    purl_type,
    team_status,
)
from missionos.times import as_utc

# The start of every window that reads all production deployments so far.
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _matches(label: str, revision: str) -> bool:
    a, b = label.lower(), revision.lower()
    return a == b or (min(len(a), len(b)) >= 7 and (a.startswith(b) or b.startswith(a)))


def _purl_types(evidence: compliance.RevisionEvidence) -> frozenset[str]:
    return frozenset(t for p in evidence.purls if (t := purl_type(p)))


def production_uses(session: Session, *, now: dt.datetime | None = None) -> list[Use]:
    """Every successful production deployment, with what its records show it used: the purl types of its
    revision's SBOMs, the kinds of evidence its revision carries, its binding record's zone and services."""
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    window = Window(EPOCH, moment + dt.timedelta(seconds=1))
    bindings = {(b.service, b.deployment): b for b in session.scalars(select(Binding))}
    uses: list[Use] = []
    for svc in delivery.list_services(session):
        deployments = [
            d for d in delivery.production_deployments(session, svc.name, window) if d.status == "success"
        ]
        if not deployments:
            continue
        by_prefix: dict[str, list[compliance.RevisionEvidence]] = {}
        for ev in compliance.revision_evidence(session, svc.name):
            # a build is found by its subject's revision, or by the commits its provenance was built from
            for key in {ev.revision.lower()[:7], *(c[:7] for c in ev.sources)}:
                by_prefix.setdefault(key, []).append(ev)
        for d in deployments:
            found = [
                e
                for e in by_prefix.get(d.revision.lower()[:7], [])
                if _matches(e.revision, d.revision) or any(_matches(c, d.revision) for c in e.sources)
            ]
            types = {t for e in found for t in _purl_types(e)}
            binding = bindings.get((svc.name, d.id))
            uses.append(
                Use(
                    service=svc.name,
                    team=svc.team,
                    deployment=d.id,
                    at=d.finished_at,
                    revision=d.revision,
                    purl_types=frozenset(types),
                    kinds=frozenset(k for e in found for k in e.kinds),
                    zone=binding.zone if binding else None,
                    bound=frozenset(binding.services or ()) if binding else frozenset(),
                )
            )
    return uses


def offers(session: Session) -> list[OfferSpec]:
    rows = session.scalars(select(Offer).order_by(Offer.kind, Offer.name))
    return [OfferSpec(r.kind, r.name, r.platform, r.description, tuple(r.proof or ())) for r in rows]


@dataclass(frozen=True)
class Overview:
    """The platform's offers, each verified or not, and every team's path to production."""

    offers: list[OfferStatus]
    teams: list[TeamStatus]
    deployments: int

    @property
    def unverified(self) -> list[OfferStatus]:
        """The advertised offers no production deployment has used."""
        return [s for s in self.offers if not s.verified]

    def as_dict(self) -> dict[str, Any]:
        return {
            "offers": [s.as_dict() for s in self.offers],
            "never_deployed_with": [f"{s.offer.kind} {s.offer.name}" for s in self.unverified],
            "teams": [t.as_dict() for t in self.teams],
            "production_deployments": self.deployments,
        }


def overview(session: Session, *, now: dt.datetime | None = None) -> Overview:
    """Offers with their verification, and each team (declared here or known to delivery) with its gap."""
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    uses = production_uses(session, now=moment)
    statuses = offer_statuses(offers(session), uses)
    declared = {r.team: r for r in session.scalars(select(TeamNeeds))}
    services: dict[str, list[str]] = {}
    for svc in delivery.list_services(session):
        if svc.team:
            services.setdefault(svc.team, []).append(svc.name)
    names = sorted(set(declared) | set(delivery.list_teams(session)))
    teams = []
    for name in names:
        row = declared.get(name)
        own = list(services.get(name, []))
        probe = row.probe if row else None
        if probe and probe not in own:
            own.append(probe)
        teams.append(
            team_status(
                name,
                services=own,
                created=as_utc(row.created) if row and row.created else None,
                probe=probe,
                needs=dict(row.needs or {}) if row else {},
                statuses=statuses,
                uses=uses,
                now=moment,
            )
        )
    order = {"blocked": 0, "not yet shipped": 1, "shipping": 2}
    teams.sort(key=lambda t: (order[t.state], t.team))
    return Overview(statuses, teams, len(uses))


def team(session: Session, name: str, *, now: dt.datetime | None = None) -> TeamStatus:
    """One team's path to production (NotFoundError when neither this context nor delivery knows it)."""
    found = next((t for t in overview(session, now=now).teams if t.team == name), None)
    if found is None:
        raise NotFoundError("team", name)
    return found
