"""Verified platform capabilities: record what a platform advertises, what each team needs and what each
production deployment was bound to; report which offers production has proven and what each team waits for.

The CLI, the pages and the API go through these functions. A platform document is applied whole or not at
all, and every write records its audit entry in the caller's transaction. Deployments are read through the
delivery context's service, SBOM purls and evidence kinds through the compliance context's service.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos import compliance, delivery, safeload
from missionos.accounts import audit
from missionos.errors import FieldError, NotFoundError
from missionos.measures import Window
from missionos.platform.models import Binding, Offer, TeamNeeds
from missionos.platform.verification import (
    KINDS,
    LANGUAGE_PURLS,
    OfferSpec,
    OfferStatus,
    TeamStatus,
    Use,
    offer_statuses,
    purl_type,
    team_status,
)
from missionos.times import as_utc, read_iso

# The document's sections for each kind of offer or need.
SECTIONS = {"languages": "language", "services": "service", "zones": "zone", "stages": "stage"}
TOP = ("platform", "offers", "teams", "bindings")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .+#_/-]{0,199}$")
PURL_TYPE = re.compile(r"^[a-z][a-z0-9.+-]{0,49}$")
MAX_BYTES = 5_000_000
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

FieldPath = tuple[str | int, ...]


class PlatformInvalid(FieldError):
    """A platform document with problems; lists every one with its line, the first as the field."""

    def __init__(self, problems: Sequence[tuple[str, str, int | None]], *, source: str | None = None) -> None:
        field_path, expected, line = problems[0]
        super().__init__(field_path, expected, source=_at(source, line))
        self.problems = list(problems)
        self.document = source

    def __str__(self) -> str:
        out = []
        for path, expected, line in self.problems:
            where = _at(self.document, line)
            out.append(f"{where + ': ' if where else ''}{path}: expected {expected}")
        return "\n".join(out)


def _at(source: str | None, line: int | None) -> str | None:
    if source and line is not None:
        return f"{source}:{line}"
    return source


def format_path(path: FieldPath) -> str:
    """`("offers", "stages", 1, "evidence")` -> `offers.stages[1].evidence`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


_line = safeload.line_of


# --- the document -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamIn:
    team: str
    created: dt.datetime | None
    probe: str | None
    needs: dict[str, list[str]]


@dataclass(frozen=True)
class BindingIn:
    service: str
    deployment: str
    zone: str | None
    services: tuple[str, ...]


@dataclass(frozen=True)
class Checked:
    offers: list[OfferSpec]
    teams: list[TeamIn]
    bindings: list[BindingIn]


class _Problems:
    def __init__(self) -> None:
        self.found: list[tuple[FieldPath, str]] = []

    def add(self, path: FieldPath, expected: str) -> None:
        self.found.append((path, expected))


def _name(value: Any, path: FieldPath, problems: _Problems, what: str) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        problems.add(path, f"{what}: a name of letters, digits, spaces or . + # _ / -")
        return None
    text = str(value).strip()
    if not NAME.fullmatch(text):
        problems.add(path, f"{what}: a name of letters, digits, spaces or . + # _ / -")
        return None
    return text


def _moment(value: Any, path: FieldPath, problems: _Problems) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), dt.UTC)
    elif isinstance(value, str):
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
                return dt.datetime.combine(dt.date.fromisoformat(value.strip()), dt.time(), dt.UTC)
            moment = read_iso(value.strip())
        except ValueError:
            problems.add(path, "an ISO 8601 date, e.g. 2026-06-01")
            return None
    else:
        problems.add(path, "an ISO 8601 date, e.g. 2026-06-01")
        return None
    if moment.tzinfo is None:
        problems.add(path, "a time with a UTC offset, e.g. 2026-06-01T09:00:00+00:00")
        return None
    return moment.astimezone(dt.UTC)


def _unknown(doc: dict[str, Any], allowed: Sequence[str], path: FieldPath, problems: _Problems) -> None:
    for key in doc:
        if key not in allowed:
            problems.add((*path, str(key)), f"one of the fields {', '.join(allowed)}")


def _offer(
    entry: Any, kind: str, path: FieldPath, platform: str, kinds: Sequence[str], problems: _Problems
) -> OfferSpec | None:
    if not isinstance(entry, dict):
        entry = {"name": entry}
    allowed = {
        "language": ("name", "description", "purl"),
        "stage": ("name", "description", "evidence"),
    }.get(kind, ("name", "description"))
    _unknown(entry, allowed, path, problems)
    name = _name(entry.get("name"), (*path, "name"), problems, f"the {kind}'s name")
    description = entry.get("description", "")
    if not isinstance(description, str) or len(description) > 2000:
        problems.add((*path, "description"), "a text of at most 2000 characters")
        description = ""
    proof: tuple[str, ...] = ()
    if kind == "language" and name is not None:
        declared = entry.get("purl")
        if declared is None:
            proof = LANGUAGE_PURLS.get(name.lower(), ())
            if not proof:
                known = ", ".join(sorted(LANGUAGE_PURLS))
                problems.add(
                    (*path, "purl"),
                    f"the purl type(s) that show {name} in an SBOM, e.g. purl: [pypi] "
                    f"(known without it: {known})",
                )
        else:
            listed = [declared] if isinstance(declared, str) else declared
            if (
                not isinstance(listed, list)
                or not listed
                or not all(isinstance(t, str) and PURL_TYPE.fullmatch(t) for t in listed)
            ):
                problems.add((*path, "purl"), "a purl type or a list of them, e.g. pypi or [npm]")
            else:
                proof = tuple(listed)
    if kind == "stage":
        evidence = entry.get("evidence")
        listed = [evidence] if isinstance(evidence, str) else evidence
        if not isinstance(listed, list) or not listed or not all(e in kinds for e in listed):
            problems.add(
                (*path, "evidence"),
                f"the kind of evidence that shows the stage ran, one or a list of {', '.join(kinds)}",
            )
        else:
            proof = tuple(str(e) for e in listed)
    if name is None:
        return None
    return OfferSpec(kind, name, platform, description.strip(), proof)


def _names(value: Any, path: FieldPath, problems: _Problems, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(path, f"a list of {what} names")
        return []
    out = []
    for i, item in enumerate(value):
        name = _name(item, (*path, i), problems, what)
        if name is not None and name not in out:
            out.append(name)
    return out


def _team(entry: Any, path: FieldPath, problems: _Problems) -> TeamIn | None:
    if not isinstance(entry, dict):
        problems.add(path, "a team: {team, created, probe, needs}")
        return None
    _unknown(entry, ("team", "created", "probe", "needs"), path, problems)
    team = _name(entry.get("team"), (*path, "team"), problems, "the team's name")
    created = _moment(entry["created"], (*path, "created"), problems) if "created" in entry else None
    probe = None
    if entry.get("probe") is not None:
        probe = _name(entry.get("probe"), (*path, "probe"), problems, "the hello-world service's name")
    raw = entry.get("needs") or {}
    needs: dict[str, list[str]] = {}
    if not isinstance(raw, dict):
        problems.add((*path, "needs"), f"a mapping of {', '.join(SECTIONS)} to lists of names")
    else:
        _unknown(raw, tuple(SECTIONS), (*path, "needs"), problems)
        for section, kind in SECTIONS.items():
            names = _names(raw.get(section), (*path, "needs", section), problems, kind)
            if names:
                needs[kind] = names
    return None if team is None else TeamIn(team, created, probe, needs)


def _binding(
    entry: Any, path: FieldPath, problems: _Problems, deployed: Callable[[str], set[str] | None]
) -> BindingIn | None:
    if not isinstance(entry, dict):
        problems.add(path, "a binding: {service, deployment, zone, services}")
        return None
    _unknown(entry, ("service", "deployment", "zone", "services"), path, problems)
    service = _name(entry.get("service"), (*path, "service"), problems, "the deployed service's name")
    deployment = entry.get("deployment")
    if isinstance(deployment, int) and not isinstance(deployment, bool):
        deployment = str(deployment)
    if not isinstance(deployment, str) or not deployment.strip() or len(deployment) > 200:
        problems.add((*path, "deployment"), "the id of the deployment, as delivery records it")
        deployment = None
    zone = None
    if entry.get("zone") is not None:
        zone = _name(entry.get("zone"), (*path, "zone"), problems, "the network zone")
    bound = _names(entry.get("services"), (*path, "services"), problems, "backing service")
    if service is not None and deployment is not None:
        ids = deployed(service)
        if ids is None:
            problems.add((*path, "service"), f"a service delivery knows; there is none named {service!r}")
            return None
        if deployment.strip() not in ids:
            problems.add(
                (*path, "deployment"),
                f"a successful production deployment of {service}; "
                f"there is none with id {deployment.strip()!r}",
            )
            return None
        return BindingIn(service, deployment.strip(), zone, tuple(bound))
    return None


def check_document(
    doc: Any, *, deployed: Callable[[str], set[str] | None], evidence_kinds: Sequence[str]
) -> tuple[Checked, list[tuple[FieldPath, str]]]:
    """`doc` as offers, teams and bindings, with every problem found (path, expected).

    `deployed(service)` gives the ids of the service's successful production deployments (None: the service
    is unknown); `evidence_kinds` are the kinds a stage may name as its proof."""
    problems = _Problems()
    empty = Checked([], [], [])
    if not isinstance(doc, dict):
        problems.add((), f"a mapping with any of {', '.join(TOP)}")
        return empty, problems.found
    _unknown(doc, TOP, (), problems)
    platform = doc.get("platform", "platform")
    if not isinstance(platform, str) or not NAME.fullmatch(platform.strip()):
        problems.add(("platform",), "the platform's name")
        platform = "platform"
    offers: list[OfferSpec] = []
    raw_offers = doc.get("offers") or {}
    if not isinstance(raw_offers, dict):
        problems.add(("offers",), f"a mapping of {', '.join(SECTIONS)} to lists of offers")
        raw_offers = {}
    _unknown(raw_offers, tuple(SECTIONS), ("offers",), problems)
    for section, kind in SECTIONS.items():
        entries = raw_offers.get(section) or []
        if not isinstance(entries, list):
            problems.add(("offers", section), f"a list of {kind} offers")
            continue
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            offer = _offer(entry, kind, ("offers", section, i), platform.strip(), evidence_kinds, problems)
            if offer is None:
                continue
            if offer.name in seen:
                problems.add(("offers", section, i, "name"), f"a {kind} named once; {offer.name!r} repeats")
            seen.add(offer.name)
            offers.append(offer)
    teams: list[TeamIn] = []
    raw_teams = doc.get("teams") or []
    if not isinstance(raw_teams, list):
        problems.add(("teams",), "a list of teams and their needs")
        raw_teams = []
    for i, entry in enumerate(raw_teams):
        team = _team(entry, ("teams", i), problems)
        if team is not None:
            if any(t.team == team.team for t in teams):
                problems.add(("teams", i, "team"), f"a team named once; {team.team!r} repeats")
            teams.append(team)
    bindings: list[BindingIn] = []
    raw_bindings = doc.get("bindings") or []
    if not isinstance(raw_bindings, list):
        problems.add(("bindings",), "a list of deployment bindings")
        raw_bindings = []
    for i, entry in enumerate(raw_bindings):
        binding = _binding(entry, ("bindings", i), problems, deployed)
        if binding is not None:
            if any((b.service, b.deployment) == (binding.service, binding.deployment) for b in bindings):
                problems.add(("bindings", i, "deployment"), "a deployment bound once in a document")
            bindings.append(binding)
    return Checked(offers, teams, bindings), problems.found


def read_platform_file(path: Path) -> tuple[Any, yaml.Node | None]:
    """The document of a platform file (YAML or JSON) and its node tree (for line numbers)."""
    text = safeload.read_text(path, what="a readable platform file (YAML or JSON)", limit=MAX_BYTES)
    return parse_text(text, source=str(path))


def parse_text(text: str, *, source: str) -> tuple[Any, yaml.Node | None]:
    """YAML (or JSON) text as a document and its node tree; bad YAML names its line."""
    return safeload.load_document(text, source=source, expected="YAML or JSON")


# --- writes -----------------------------------------------------------------------------------------------


def _deployed(session: Session, now: dt.datetime) -> Callable[[str], set[str] | None]:
    """`deployed(service)`: the ids of its successful production deployments, or None when delivery does not
    know the service; each service is read once, when a binding first names it."""
    names = {s.name for s in delivery.list_services(session)}
    known: dict[str, set[str]] = {}
    window = Window(EPOCH, now + dt.timedelta(seconds=1))

    def deployed(name: str) -> set[str] | None:
        if name not in names:
            return None
        if name not in known:
            found = delivery.production_deployments(session, name, window)
            known[name] = {d.id for d in found if d.status == "success"}
        return known[name]

    return deployed


def _offer_row_snapshot(row: Offer) -> dict[str, Any]:
    return {"platform": row.platform, "description": row.description, "proof": list(row.proof or [])}


def _checked(
    session: Session, doc: Any, *, source: str, node: yaml.Node | None, now: dt.datetime | None
) -> Checked:
    """`doc` checked against what delivery and compliance know, or `PlatformInvalid` with every problem."""
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    checked, found = check_document(
        doc, deployed=_deployed(session, moment), evidence_kinds=compliance.evidence_kinds()
    )
    if found:
        raise PlatformInvalid([(format_path(p), e, _line(node, p)) for p, e in found], source=source)
    return checked


def apply_document(
    session: Session,
    doc: Any,
    *,
    actor: str,
    source: str = "body",
    node: yaml.Node | None = None,
    now: dt.datetime | None = None,
) -> dict[str, int]:
    """Apply a platform document (offers, teams' needs, bindings) whole, or nothing of it.

    Offers are matched by kind and name, teams by name, bindings by service and deployment: new ones are
    added and changed ones updated. Every problem is reported at once, each with its line when `node` is
    the document's YAML node tree."""
    checked = _checked(session, doc, source=source, node=node, now=now)
    counts = {"offers": 0, "teams": 0, "bindings": 0, "unchanged": 0}
    for offer in checked.offers:
        counts["offers" if _store_offer(session, offer, actor) else "unchanged"] += 1
    for team in checked.teams:
        counts["teams" if _store_team(session, team, actor) else "unchanged"] += 1
    for binding in checked.bindings:
        counts["bindings" if _store_binding(session, binding, actor) else "unchanged"] += 1
    return counts


def _store_offer(session: Session, offer: OfferSpec, actor: str) -> bool:
    row = session.scalars(
        select(Offer).where(Offer.kind == offer.kind, Offer.name == offer.name)
    ).one_or_none()
    before = _offer_row_snapshot(row) if row is not None else None
    after = {"platform": offer.platform, "description": offer.description, "proof": list(offer.proof)}
    if before == after:
        return False
    if row is None:
        row = Offer(kind=offer.kind, name=offer.name)
        session.add(row)
    row.platform, row.description, row.proof = offer.platform, offer.description, list(offer.proof)
    session.flush()
    action = "platform.offer.advertise" if before is None else "platform.offer.update"
    audit.record(
        session, actor=actor, action=action, kind="platform-offer", key=f"{offer.kind}:{offer.name}",
        before=before, after=after,
    )  # fmt: skip
    return True


def _store_team(session: Session, team: TeamIn, actor: str) -> bool:
    row = session.scalars(select(TeamNeeds).where(TeamNeeds.team == team.team)).one_or_none()
    before = None if row is None else _team_snapshot(row)
    after = {
        "created": team.created.isoformat() if team.created else None,
        "probe": team.probe,
        "needs": team.needs,
    }
    if before == after:
        return False
    if row is None:
        row = TeamNeeds(team=team.team)
        session.add(row)
    row.created, row.probe, row.needs = team.created, team.probe, dict(team.needs)
    row.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    audit.record(
        session, actor=actor, action="platform.needs.declare", kind="platform-team", key=team.team,
        before=before, after=after,
    )  # fmt: skip
    return True


def _team_snapshot(row: TeamNeeds) -> dict[str, Any]:
    return {
        "created": as_utc(row.created).isoformat() if row.created else None,
        "probe": row.probe,
        "needs": dict(row.needs or {}),
    }


def _store_binding(session: Session, binding: BindingIn, actor: str) -> bool:
    row = session.scalars(
        select(Binding).where(Binding.service == binding.service, Binding.deployment == binding.deployment)
    ).one_or_none()
    before = None if row is None else {"zone": row.zone, "services": list(row.services or [])}
    after = {"zone": binding.zone, "services": list(binding.services)}
    if before == after:
        return False
    if row is None:
        row = Binding(service=binding.service, deployment=binding.deployment)
        session.add(row)
    row.zone, row.services = binding.zone, list(binding.services)
    session.flush()
    audit.record(
        session, actor=actor, action="platform.binding.record", kind="platform-binding",
        key=f"{binding.service}:{binding.deployment}", before=before, after=after,
    )  # fmt: skip
    return True


def withdraw(session: Session, kind: str, name: str, *, actor: str) -> None:
    """Stop advertising an offer (audited); the teams that need it then see it as not offered."""
    offer_kind = SECTIONS[_section(kind)]
    row = session.scalars(select(Offer).where(Offer.kind == offer_kind, Offer.name == name)).one_or_none()
    if row is None:
        raise NotFoundError(f"{offer_kind} offer", name)
    before = _offer_row_snapshot(row)
    session.delete(row)
    session.flush()
    audit.record(
        session, actor=actor, action="platform.offer.withdraw", kind="platform-offer",
        key=f"{offer_kind}:{name}", before=before, after=None,
    )  # fmt: skip


def check(
    session: Session,
    doc: Any,
    *,
    source: str = "body",
    node: yaml.Node | None = None,
    now: dt.datetime | None = None,
) -> dict[str, int]:
    """Check a platform document as `apply_document` would, writing nothing: the counts of offers, teams and
    bindings it declares, or `PlatformInvalid` listing every problem."""
    checked = _checked(session, doc, source=source, node=node, now=now)
    return {"offers": len(checked.offers), "teams": len(checked.teams), "bindings": len(checked.bindings)}


def advertise(
    session: Session, kind: str, offer: dict[str, Any], *, actor: str, platform: str = "platform"
) -> None:
    """Advertise one offer of `kind` (language, service, zone or stage), checked as in a document."""
    section = _section(kind)
    apply_document(session, {"platform": platform, "offers": {section: [offer]}}, actor=actor)


def declare_needs(session: Session, team: dict[str, Any], *, actor: str) -> None:
    """Declare (or replace) what one team needs, when it was created and its hello-world probe."""
    apply_document(session, {"teams": [team]}, actor=actor)


def record_binding(session: Session, binding: dict[str, Any], *, actor: str) -> None:
    """Record what one production deployment was bound to: its zone and its backing services."""
    apply_document(session, {"bindings": [binding]}, actor=actor)


def _section(kind: str) -> str:
    for section, name in SECTIONS.items():
        if kind in (section, name):
            return section
    raise FieldError("kind", f"one of {', '.join(KINDS)}")


# --- reads ------------------------------------------------------------------------------------------------


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


__all__ = [
    "SECTIONS",
    "Overview",
    "PlatformInvalid",
    "advertise",
    "apply_document",
    "check",
    "check_document",
    "declare_needs",
    "offers",
    "overview",
    "parse_text",
    "production_uses",
    "read_platform_file",
    "record_binding",
    "team",
    "withdraw",
]
