"""What the authorizing official reads: the freshness of each kind of evidence, the DoD cATO checklist,
and the overview of a system that its page and report show."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from missionos.compliance.assess import EvidenceRecord
from missionos.compliance.assessments import assess_result, history, poam_items
from missionos.compliance.catalog import load_baseline
from missionos.compliance.evidence_store import _records_for, list_evidence, summarize
from missionos.compliance.gating import accepted_baseline, drift
from missionos.compliance.systems import get_system
from missionos.store import Database, utcnow


def freshness(session: Session, name: str, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """For each subject and evidence kind of the system, its newest record, its age, and when it expires."""
    info = get_system(session, name)
    moment = now or utcnow()
    newest: dict[tuple[str, str], EvidenceRecord] = {}
    for ev in _records_for(session, info, moment):
        key = (ev.owner, ev.kind)
        if ev.collected_at <= moment and (key not in newest or ev.collected_at > newest[key].collected_at):
            newest[key] = ev
    rows = []
    for (owner, kind), ev in sorted(newest.items()):
        expires = ev.expires_at
        rows.append(
            {
                "subject": owner,
                "kind": kind,
                "evidence_id": ev.id,
                "collected_at": ev.collected_at,
                "age_days": (moment - ev.collected_at).days,
                "expires_at": expires,
                "expired": expires is not None and expires <= moment,
                "expires_soon": expires is not None and moment < expires <= moment + dt.timedelta(days=30),
                "summary": summarize(kind, dict(ev.facts)),
            }
        )
    return rows


CATO_CRITERIA: tuple[tuple[str, tuple[tuple[str, str, tuple[str, ...]], ...]], ...] = (
    (
        "Continuous monitoring",
        (
            ("Controls are assessed continuously from pipeline evidence", "#trend", ("ca-2", "ca-7")),
            ("Open findings are tracked as POA&M items with their age", "#findings", ("ca-5",)),
            ("Risk is monitored from current scans and assessments", "#control-ca-7.4", ("ca-7.4",)),
            ("Audit records of every deployment", "#control-au-12", ("au-2", "au-12")),
        ),
    ),
    (
        "Active cyber defense",
        (
            ("Vulnerability scans are current for every service", "#control-ra-5", ("ra-5", "ra-5.2")),
            ("No critical or high finding past its remediation limit", "#control-si-2", ("si-2", "si-2.2")),
            ("Runtime monitoring and malicious-code protection", "#control-si-4", ("si-4", "si-3")),
            ("Boundary protection and encryption in transit", "#control-sc-7", ("sc-7", "sc-8")),
        ),
    ),
    (
        "Secure software supply chain",
        (
            ("A software bill of materials for every deployed artifact", "#control-cm-8", ("cm-8", "sr-3")),
            (
                "Build provenance binds every artifact to its source and builder",
                "#control-si-7",
                ("si-7", "sr-11"),
            ),
            (
                "Every production change reviewed by someone other than its author",
                "#control-cm-3",
                ("cm-3", "cm-5"),
            ),
            ("Developer tests pass before every deployment", "#control-sa-11", ("sa-11",)),
        ),
    ),
)


def cato_checklist(statuses: dict[str, str]) -> list[dict[str, Any]]:
    """The DoD cATO evaluation criteria, each item met when every control that shows it is satisfied or
    inherited (controls outside the baseline are left out of the judgement)."""
    out = []
    for criterion, items in CATO_CRITERIA:
        rows = []
        for text, link, ctls in items:
            present = [c for c in ctls if c in statuses]
            met = bool(present) and all(statuses[c] in ("satisfied", "inherited") for c in present)
            rows.append({"item": text, "link": link, "controls": present, "met": met})
        out.append({"criterion": criterion, "items": rows, "met": all(r["met"] for r in rows)})
    return out


def overview(session: Session, name: str, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything the system's page and the authorizing official's report show, from the latest assessment."""
    info = get_system(session, name)
    moment = now or utcnow()
    found = history(session, name)
    current = found[-1] if found else None
    families: dict[str, dict[str, Any]] = {}
    result = None
    if current is not None:
        result = assess_result(current)
        chosen = (
            load_baseline(current.baseline)
            if current.baseline in ("low", "moderate", "high", "privacy")
            else None
        )
        titles = chosen.catalog.families if chosen else {}
        for r in current.results:
            fam = families.setdefault(
                r["family"],
                {"id": r["family"], "title": titles.get(r["family"], r["family"].upper()), "controls": []},
            )
            fam["controls"].append(r)
    return {
        "system": info,
        "current": current,
        "result": result,
        "families": list(families.values()),
        "trend": [
            {
                "assessed_at": a.assessed_at.isoformat(),
                "share": round(a.satisfied_share, 4),
                "findings": a.open_findings,
            }
            for a in found
        ],
        "history": found,
        "drift": drift(session, name, found),
        "baseline": accepted_baseline(session, name),
        "freshness": freshness(session, name, now=moment),
        "poam": poam_items(result) if result else [],
        "cato": cato_checklist(current.statuses()) if current else [],
        "attestations": [e for e in list_evidence(session, subject=name, kind="attestation")],
        "now": moment,
    }


def overview_cached(db: Database, name: str) -> dict[str, Any]:
    """`overview` of system `name` in a session of its own, kept (see `Database.cached`) until anyone commits
    a change, and a minute at most: evidence expires with the clock."""

    def compute() -> dict[str, Any]:
        with db.session() as session:
            return overview(session, name)

    return db.cached(("compliance.overview", name, utcnow().date()), compute, max_age=60)
