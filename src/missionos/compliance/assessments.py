"""Assessments: assessing a system from its evidence and storing the result, the stored history, and the
catalog views (controls, POA&M items) read from them; the arithmetic lives in `assess`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from missionos.compliance import trust
from missionos.compliance.assess import STATUSES, Result, assess, deadline_of, tracks_findings
from missionos.compliance.catalog import Baseline, Control, load_baseline
from missionos.compliance.evidence_store import (
    SIGNED_KINDS,
    _records_for,
    aware,
    derived_evidence,
    first_seen_of,
)
from missionos.compliance.models import Assessment
from missionos.compliance.pack import SEVERITY_DEFAULTS, Pack
from missionos.compliance.pack_file import pack_for
from missionos.compliance.systems import SystemInfo, _info, _system_row
from missionos.errors import FieldError
from missionos.store import utcnow

STATUS_KEYS = tuple(s.replace("-", "_") for s in STATUSES)


@dataclass(frozen=True)
class Assessed:
    """An assessment as stored, with what the OSCAL writers and pages need beside it."""

    id: int | None
    system: SystemInfo
    baseline: Baseline
    pack: Pack
    result: Result


def assess_system(
    session: Session,
    name: str,
    *,
    baseline: str | None = None,
    pack: str | None = None,
    now: dt.datetime | None = None,
    store: bool = True,
) -> Assessed:
    """Assess system `name` against its (or the given) baseline at `now`, and store the result."""
    row = _system_row(session, name)
    info = _info(row)
    chosen = load_baseline(baseline or info.baseline)
    mapping = pack_for(pack or info.pack)
    moment = now or utcnow()
    # Scanners' streams are read over the window of the checks that track open findings (each stream's
    # newest record in it says what is open); the newest record of every kind is read whatever its age.
    recent = max((c.max_age_days for c in mapping.checks if tracks_findings(c)), default=7)
    records = [
        replace(r, facts=trust.judge(r.facts, info.trust_policy)) if r.kind in SIGNED_KINDS else r
        for r in _records_for(session, info, moment, recent)
    ]
    provenance = [r for r in records if r.kind in SIGNED_KINDS and r.facts["trust"] == "verified"]
    records += derived_evidence(session, info, moment, mapping.derived_window_days, provenance)
    previous = _latest_row(session, row.id, before=moment)
    first_seen = (
        {
            f["key"]: dt.datetime.fromisoformat(f["first_seen"])
            for r in previous.results
            for f in r.get("findings", ())
        }
        if previous
        else {}
    )
    seen = first_seen_of(session, [*info.services, info.name])
    result = assess(info.spec(), chosen.name, chosen.controls, mapping, records, moment, first_seen, seen)
    assessment_id = None
    if store:
        stored = Assessment(
            system_id=row.id,
            assessed_at=moment,
            baseline=chosen.name,
            pack=mapping.label,
            counts=result.counts(),
            results=[c.as_dict() for c in result.controls],
        )
        session.add(stored)
        session.flush()
        assessment_id = stored.id
    return Assessed(assessment_id, info, chosen, mapping, result)


def _latest_row(session: Session, system_id: int, *, before: dt.datetime | None = None) -> Assessment | None:
    query = select(Assessment).where(Assessment.system_id == system_id)
    if before is not None:
        query = query.where(Assessment.assessed_at < before)
    return session.scalar(query.order_by(Assessment.assessed_at.desc(), Assessment.id.desc()).limit(1))


@dataclass(frozen=True)
class StoredAssessment:
    id: int
    system: str
    assessed_at: dt.datetime
    baseline: str
    pack: str
    counts: dict[str, int]
    results: list[dict[str, Any]]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def satisfied_share(self) -> float:
        """Share of baseline controls satisfied or inherited."""
        return satisfied_share(self.counts)

    @property
    def open_findings(self) -> int:
        """Open findings, each once (an open vulnerability is listed under every control tracking it)."""
        return len({f["key"] for r in self.results for f in r.get("findings", ())})

    def statuses(self) -> dict[str, str]:
        return {r["control"]: r["status"] for r in self.results}

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "system": self.system,
            "assessed_at": self.assessed_at.isoformat(),
            "baseline": self.baseline,
            "pack": self.pack,
            "controls": self.counts,
            "satisfied_share": round(self.satisfied_share, 6),
            "open_findings": self.open_findings,
        }


def _stored(row: Assessment, system: str) -> StoredAssessment:
    return StoredAssessment(
        row.id, system, aware(row.assessed_at), row.baseline, row.pack, dict(row.counts), list(row.results)
    )


def history(
    session: Session, name: str, *, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> list[StoredAssessment]:
    """The stored assessments of system `name`, oldest first, optionally within [since, until)."""
    row = _system_row(session, name)
    query = select(Assessment).where(Assessment.system_id == row.id)
    if since is not None:
        query = query.where(Assessment.assessed_at >= since)
    if until is not None:
        query = query.where(Assessment.assessed_at < until)
    rows = session.scalars(query.order_by(Assessment.assessed_at, Assessment.id))
    return [_stored(r, name) for r in rows]


def history_counts(
    session: Session, name: str, *, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> list[tuple[dt.datetime, dict[str, int]]]:
    """(assessed_at, status counts) of system `name`'s assessments, oldest first, within [since, until).

    Reads only the counts, not the per-control results, for trend lines that need no more.
    """
    row = _system_row(session, name)
    query = select(Assessment.assessed_at, Assessment.counts).where(Assessment.system_id == row.id)
    if since is not None:
        query = query.where(Assessment.assessed_at >= since)
    if until is not None:
        query = query.where(Assessment.assessed_at < until)
    rows = session.execute(query.order_by(Assessment.assessed_at, Assessment.id))
    return [(aware(at), dict(counts)) for at, counts in rows]


def satisfied_share(counts: dict[str, int]) -> float:
    """Share of baseline controls satisfied or inherited, from an assessment's status counts."""
    total = sum(counts.values())
    return (counts.get("satisfied", 0) + counts.get("inherited", 0)) / total if total else 0.0


def latest(session: Session, name: str, *, before: dt.datetime | None = None) -> StoredAssessment | None:
    row = _system_row(session, name)
    found = _latest_row(session, row.id, before=before)
    return _stored(found, name) if found else None


def forget_assessments(session: Session, name: str) -> int:
    """Delete the stored assessments of a system (for rebuilding a demo); returns how many."""
    row = _system_row(session, name)
    count = session.scalar(select(func.count()).select_from(Assessment).where(Assessment.system_id == row.id))
    session.execute(delete(Assessment).where(Assessment.system_id == row.id))
    return int(count or 0)


def assess_result(stored: StoredAssessment) -> Result:
    """The `Result` of a stored assessment."""
    from missionos.compliance.assess import result_from_stored

    return result_from_stored(stored.system, stored.baseline, stored.pack, stored.assessed_at, stored.results)


# -- catalog views -----------------------------------------------------------------------------------------


def controls(baseline: str = "moderate", *, family: str | None = None) -> list[Control]:
    """The controls of a baseline (or OSCAL profile/catalog file), optionally of one family."""
    chosen = load_baseline(baseline)
    if family is None:
        return list(chosen.controls)
    fam = family.lower()
    if fam not in chosen.catalog.families:
        raise FieldError(
            "--family", f"one of {', '.join(sorted(f.upper() for f in chosen.catalog.families))}"
        )
    return [c for c in chosen.controls if c.family == fam]


def poam_items(result: Result) -> list[dict[str, Any]]:
    """One POA&M item per open finding (every open vulnerability, and every failed check or lapsed
    attestation), oldest first, with its age in days and its deadline."""
    items = []
    for f in sorted(result.findings(), key=lambda f: (f.first_seen, f.key)):
        due = f.deadline or deadline_of(f.first_seen, f.severity, SEVERITY_DEFAULTS)
        items.append(
            {
                **f.as_dict(),
                "age_days": (result.assessed_at - f.first_seen).days,
                "due": due.date().isoformat(),
                "overdue": result.assessed_at > due,
            }
        )
    return items
