"""Which advertised offers production has proven, and what each team still waits for: pure functions over
plain records, so the rules are tested without a database.

An offer is verified by the first successful production deployment that used it:
- a language, when the SBOM of the deployed revision lists a package whose purl type is one of the language's
  (`pkg:pypi/...` for Python);
- a backing service, when the deployment's binding record names it among the services bound;
- a network zone, when the deployment's binding record places it in that zone;
- a pipeline stage, when the deployed revision carries evidence of the stage's kind (a SARIF scan for `sast`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

KINDS = ("language", "service", "zone", "stage")
# The purl types (package-url spec, `PURL-TYPES.rst`) that show a language in an SBOM. A language not listed
# here must declare its own (`purl: [...]`) to be verifiable.
LANGUAGE_PURLS: dict[str, tuple[str, ...]] = {
    "python": ("pypi", "conda"),
    "javascript": ("npm",),
    "java": ("maven",),
    "kotlin": ("maven",),
    "go": ("golang",),
    "ruby": ("gem",),
    "rust": ("cargo",),
    "php": ("composer",),
    "dotnet": ("nuget",),
    "elixir": ("hex",),
    "dart": ("pub",),
    "swift": ("swift", "cocoapods"),
    "haskell": ("hackage",),
    "r": ("cran",),
    "c++": ("conan",),
}


def purl_type(purl: str) -> str | None:
    """The type of a package URL (`pkg:pypi/fastapi@0.115.6` -> `pypi`), lower-cased, or None."""
    if not purl.startswith("pkg:"):
        return None
    head = purl[4:]
    if head.startswith("/"):
        head = head.lstrip("/")
    return head.partition("/")[0].lower() or None


@dataclass(frozen=True)
class OfferSpec:
    """An advertised offer: what it is and how a deployment shows it used it (`proof`)."""

    kind: str
    name: str
    platform: str = ""
    description: str = ""
    proof: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Use:
    """A successful production deployment and what it used, as its records show."""

    service: str
    team: str | None
    deployment: str
    at: dt.datetime
    revision: str
    purl_types: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    zone: str | None = None
    bound: frozenset[str] = frozenset()

    def used(self, offer: OfferSpec) -> bool:
        """Whether this deployment's records show it used `offer` (see the module's rules)."""
        match offer.kind:
            case "language":
                return bool(self.purl_types & set(offer.proof))
            case "service":
                return offer.name in self.bound
            case "zone":
                return self.zone == offer.name
            case "stage":
                return bool(self.kinds & set(offer.proof))
        return False

    def evidence(self, offer: OfferSpec) -> str:
        """In words: what in this deployment's records shows it used `offer`."""
        match offer.kind:
            case "language":
                found = sorted(self.purl_types & set(offer.proof))
                return f"its SBOM lists {', '.join(f'pkg:{t}' for t in found)} packages"
            case "service":
                return f"its binding record names {offer.name}"
            case "zone":
                return f"its binding record places it in {offer.name}"
        found = sorted(self.kinds & set(offer.proof))
        return f"its revision carries {', '.join(found)} evidence"

    def as_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "team": self.team,
            "deployment": self.deployment,
            "at": self.at.isoformat(),
            "revision": self.revision,
        }


@dataclass(frozen=True)
class OfferStatus:
    """An offer with the first production deployment that used it, and how many did."""

    offer: OfferSpec
    first: Use | None
    uses: int
    teams: tuple[str, ...]

    @property
    def verified(self) -> bool:
        return self.first is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.offer.kind,
            "name": self.offer.name,
            "platform": self.offer.platform,
            "description": self.offer.description,
            "proof": list(self.offer.proof),
            "verified": self.verified,
            "verified_by": (
                {**self.first.as_dict(), "evidence": self.first.evidence(self.offer)} if self.first else None
            ),
            "deployments": self.uses,
            "teams": list(self.teams),
        }


def offer_statuses(offers: Iterable[OfferSpec], uses: Sequence[Use]) -> list[OfferStatus]:
    """Each offer with the first deployment (by time, then service and id) that used it; unverified first."""
    ordered = sorted(uses, key=lambda u: (u.at, u.service, u.deployment))
    out = []
    for offer in offers:
        using = [u for u in ordered if u.used(offer)]
        teams = tuple(sorted({u.team for u in using if u.team}))
        out.append(OfferStatus(offer, using[0] if using else None, len(using), teams))
    return sorted(out, key=lambda s: (s.verified, KINDS.index(s.offer.kind), s.offer.name))


NEED_STATES = ("verified", "unverified", "not offered")


@dataclass(frozen=True)
class NeedStatus:
    """One of a team's needs: verified (production has used the offer), unverified (advertised, never
    deployed with) or not offered at all."""

    kind: str
    name: str
    state: str
    verified_by: Use | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "state": self.state,
            "verified_by": self.verified_by.as_dict() if self.verified_by else None,
        }


@dataclass(frozen=True)
class TeamStatus:
    """A team's path to production: its needs against verified offers, its hello-world probe, and the time
    from the team's creation to its first production deployment."""

    team: str
    services: tuple[str, ...]
    created: dt.datetime | None
    probe: str | None
    probe_deployed: Use | None
    first_deploy: Use | None
    needs: tuple[NeedStatus, ...]
    now: dt.datetime

    @property
    def blocked_by(self) -> list[NeedStatus]:
        """The needs the platform advertises but no production deployment has used."""
        return [n for n in self.needs if n.state == "unverified"]

    @property
    def gap(self) -> list[NeedStatus]:
        """Every need that is not verified: advertised but unproven, or not offered."""
        return [n for n in self.needs if n.state != "verified"]

    @property
    def state(self) -> str:
        if self.first_deploy is not None:
            return "shipping"
        return "blocked" if self.gap else "not yet shipped"

    @property
    def days_to_first_deploy(self) -> float | None:
        """Days from the team's creation to its first production deployment (None until both are known; 0
        when the team was declared created after its services first shipped)."""
        if self.created is None or self.first_deploy is None:
            return None
        return max(0.0, (self.first_deploy.at - self.created).total_seconds() / 86400)

    @property
    def days_waiting(self) -> float | None:
        """Days since the team was created, while it has no production deployment."""
        if self.created is None or self.first_deploy is not None:
            return None
        return max(0.0, (self.now - self.created).total_seconds() / 86400)

    def as_dict(self) -> dict[str, Any]:
        return {
            "team": self.team,
            "services": list(self.services),
            "state": self.state,
            "created": self.created.isoformat() if self.created else None,
            "first_production_deploy": self.first_deploy.as_dict() if self.first_deploy else None,
            "days_to_first_deploy": _round(self.days_to_first_deploy),
            "days_waiting": _round(self.days_waiting),
            "probe": {
                "service": self.probe,
                "deployed": self.probe_deployed.as_dict() if self.probe_deployed else None,
            },
            "needs": [n.as_dict() for n in self.needs],
            "blocked_by": [f"{n.kind} {n.name}" for n in self.blocked_by],
            "not_offered": [f"{n.kind} {n.name}" for n in self.gap if n.state == "not offered"],
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def team_status(
    team: str,
    *,
    services: Sequence[str],
    created: dt.datetime | None,
    probe: str | None,
    needs: dict[str, Sequence[str]],
    statuses: Sequence[OfferStatus],
    uses: Sequence[Use],
    now: dt.datetime,
) -> TeamStatus:
    """`team`'s needs matched against the offers' statuses, and its first production deployments."""
    by_key = {(s.offer.kind, s.offer.name): s for s in statuses}
    found: list[NeedStatus] = []
    for kind in KINDS:
        for name in needs.get(kind, ()):
            status = by_key.get((kind, name))
            if status is None:
                found.append(NeedStatus(kind, name, "not offered"))
            elif status.verified:
                found.append(NeedStatus(kind, name, "verified", status.first))
            else:
                found.append(NeedStatus(kind, name, "unverified"))
    own = sorted((u for u in uses if u.service in services), key=lambda u: (u.at, u.service, u.deployment))
    probe_use = next((u for u in own if u.service == probe), None) if probe else None
    return TeamStatus(
        team=team,
        services=tuple(services),
        created=created,
        probe=probe,
        probe_deployed=probe_use,
        first_deploy=own[0] if own else None,
        needs=tuple(found),
        now=now,
    )


__all__ = [
    "KINDS",
    "LANGUAGE_PURLS",
    "NEED_STATES",
    "NeedStatus",
    "OfferSpec",
    "OfferStatus",
    "TeamStatus",
    "Use",
    "offer_statuses",
    "purl_type",
    "team_status",
]
