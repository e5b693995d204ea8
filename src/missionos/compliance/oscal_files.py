"""The OSCAL package of a system's assessment, file by file: the SSP, the baseline's profile and catalog,
the assessment plan and results, the POA&M, and the raw evidence files the results link to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos.compliance.assess import Result
from missionos.compliance.assessments import Assessed, assess_result, latest
from missionos.compliance.catalog import Baseline, load_baseline
from missionos.compliance.evidence_store import _raw
from missionos.compliance.models import Evidence, EvidenceFile
from missionos.compliance.pack import Pack
from missionos.compliance.pack_file import pack_for
from missionos.compliance.systems import SystemInfo, get_system
from missionos.errors import NotFoundError
from missionos.store import utcnow


def _baseline_spec(info: SystemInfo, name: str) -> str:
    """The baseline spec (a shipped name or a file path) behind an assessment's baseline `name`."""
    if name in ("low", "moderate", "high", "privacy"):
        return name
    return info.baseline if Path(info.baseline).stem == name else name


def _json_bytes(doc: Any) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()


def oscal_files(
    session: Session, info: SystemInfo, chosen: Baseline, mapping: Pack, result: Result | None
) -> dict[str, bytes]:
    """The OSCAL package of an assessment, by relative path: the SSP, the baseline's profile and its catalog,
    and (with a result) the assessment plan, assessment results, POA&M and every raw evidence file the
    results link to, under `evidence/<sha[:2]>/<sha>` as the evidence store keeps them."""
    from missionos.compliance import oscal
    from missionos.compliance.catalog import baseline_package

    at = result.assessed_at if result is not None else utcnow()
    profile, catalog = baseline_package(_baseline_spec(info, chosen.name))
    ssp = oscal.ssp(
        info.name, info.description, info.services, info.provider, chosen, mapping, at, info.authorization
    )
    files = {
        oscal.SSP_FILE: _json_bytes(ssp),
        oscal.PROFILE_FILE: _json_bytes(profile),
        oscal.CATALOG_FILE: catalog,
    }
    if result is None:
        return files
    controls = [c.control for c in result.controls]
    files[oscal.AP_FILE] = _json_bytes(oscal.assessment_plan(info.name, chosen, mapping, controls, at))
    files[oscal.AR_FILE] = _json_bytes(oscal.assessment_results(result, chosen, mapping, info.services))
    files[oscal.POAM_FILE] = _json_bytes(oscal.poam(result, info.services))
    wanted = sorted({ev["sha256"] for c in result.controls for ev in c.evidence if ev.get("sha256")})
    for sha in wanted:
        raw = _raw_by_sha(session, sha)
        if raw is not None:
            files[oscal.evidence_href(sha)] = raw
    return files


def _raw_by_sha(session: Session, sha: str) -> bytes | None:
    stored = session.get(EvidenceFile, sha)
    if stored is not None:
        return stored.content
    row = session.scalar(select(Evidence).where(Evidence.sha256 == sha).limit(1))
    return _raw(session, row) if row is not None else None


def assessed_files(session: Session, done: Assessed) -> dict[str, bytes]:
    """The OSCAL package of an assessment just made (`assess --oscal-out`)."""
    return oscal_files(session, done.system, done.baseline, done.pack, done.result)


def latest_files(session: Session, name: str) -> dict[str, bytes]:
    """The OSCAL package of the system's latest assessment (just the SSP and its baseline before one)."""
    info = get_system(session, name)
    current = latest(session, name)
    chosen = load_baseline(_baseline_spec(info, current.baseline) if current else info.baseline)
    return oscal_files(
        session, info, chosen, pack_for(info.pack), assess_result(current) if current else None
    )


def oscal_package(session: Session, name: str, document: str) -> bytes:
    """One file of the OSCAL package of the latest assessment, by its path in the package."""
    files = latest_files(session, name)
    if document not in files:
        raise NotFoundError("OSCAL package file", document)
    return files[document]
