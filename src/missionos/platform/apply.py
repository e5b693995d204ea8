"""Storing platform documents: offers, teams' needs and deployment bindings, applied whole or not at all.

A document is checked (`document.check_document`) against the production deployments delivery records and
the evidence kinds compliance knows, then each offer, team and binding is added or updated, each write with
its audit entry in the caller's transaction. `check` checks without writing; `advertise`, `declare_needs` and
`record_binding` apply one entry as a document; `withdraw` stops advertising an offer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos import compliance, delivery, safeload
from missionos.accounts import audit
from missionos.errors import FieldError, NotFoundError
from missionos.measures import Window
from missionos.platform.document import (
    SECTIONS,
    BindingIn,
    Checked,
    PlatformInvalid,
    TeamIn,
    check_document,
    format_path,
)
from missionos.platform.models import Binding, Offer, TeamNeeds
from missionos.platform.overviews import EPOCH
from missionos.platform.verification import KINDS, OfferSpec
from missionos.times import as_utc

_line = safeload.line_of


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
