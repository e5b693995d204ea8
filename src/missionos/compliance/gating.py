"""The drift gate: whether a system is at least as compliant as its accepted baseline and its stored
threshold, what drifted between assessments, and the accepted baseline itself."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos import safeload
from missionos.accounts import audit
from missionos.compliance.assess import STATUSES, Finding, severity_key
from missionos.compliance.assessments import (
    StoredAssessment,
    _latest_row,
    _stored,
    assess_result,
    assess_system,
)
from missionos.compliance.evidence_store import aware
from missionos.compliance.models import AcceptedBaseline, Assessment, System, Threshold
from missionos.compliance.systems import _system_row
from missionos.errors import FieldError, InputError, NotFoundError
from missionos.store import utcnow


@dataclass(frozen=True)
class Regression:
    """One reason the gate fails: a control that got worse, or an open finding that is new and high or
    critical, or newly past its deadline."""

    control: str
    before: str
    after: str
    finding: str | None = None  # the finding's key, for a finding-level regression
    service: str | None = None
    why: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "control": self.control,
            "before": self.before,
            "after": self.after,
            "finding": self.finding,
            "service": self.service,
            "why": self.why,
        }


@dataclass(frozen=True)
class GateVerdict:
    """Whether the system is at least as compliant as its accepted baseline (and its stored threshold)."""

    passed: bool
    against: str
    share_before: float | None
    share_now: float
    regressions: tuple[Regression, ...]
    reasons: tuple[str, ...]
    open_findings: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "against": self.against,
            "satisfied_share_before": None if self.share_before is None else round(self.share_before, 6),
            "satisfied_share_now": round(self.share_now, 6),
            "open_findings": self.open_findings,
            "regressions": [r.as_dict() for r in self.regressions],
            "reasons": list(self.reasons),
        }


GOOD = ("satisfied", "inherited", "not-applicable")
GATED_SEVERITIES = ("critical", "high")


def compare(before: dict[str, str], after: dict[str, str]) -> list[Regression]:
    """Controls that were satisfied, inherited or not applicable before and are not now."""
    return [
        Regression(ctl, was, after.get(ctl, "missing"), why=f"{ctl.upper()} was {was}, now {after.get(ctl)}")
        for ctl, was in sorted(before.items())
        if was in GOOD and after.get(ctl) not in GOOD
    ]


def finding_snapshot(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    """The open findings as a baseline keeps them: enough to tell a new or newly late one."""
    return [
        {
            "key": f.key,
            "control": f.control,
            "subject": f.subject,
            "severity": f.severity,
            "title": f.title,
            "kind": f.kind,
            "deadline": f.deadline.isoformat() if f.deadline else None,
            "overdue": f.overdue,
        }
        for f in findings
    ]


def compare_findings(
    before: Sequence[Mapping[str, Any]] | None, now: Sequence[Finding], statuses: Mapping[str, str]
) -> list[Regression]:
    """Open findings that fail the gate whatever their control's status: a high or critical one the
    baseline did not have, and one past its deadline that was not late in the baseline. With no baseline
    (`before` None) every open high or critical finding and every late one is new."""
    known = {f["key"]: f for f in before or ()}
    out = []
    for f in sorted(now, key=lambda f: (f.subject, f.key)):
        was = known.get(f.key)
        if f.overdue and not (was and was.get("overdue")):
            why = f"{f.title}: past its deadline {f.deadline:%Y-%m-%d}" if f.deadline else f"{f.title}: late"
        elif was is None and severity_key(f.severity) in GATED_SEVERITIES:
            why = f"{f.title}: a new open {f.severity} finding"
        else:
            continue
        status = statuses.get(f.control, "missing")
        out.append(Regression(f.control, status, status, f.key, f.subject, why))
    return out


def drift(session: Session, name: str, found: Sequence[StoredAssessment]) -> dict[str, Any] | None:
    """What changed between the last two stored assessments (`found`, oldest first), as the page shows it:
    controls that got worse, controls that got better, the satisfied share before and now, and the stored
    floor with whether the latest assessment meets it. None before a second assessment."""
    if len(found) < 2:
        return None
    before, after = found[-2], found[-1]
    was, now = before.statuses(), after.statuses()
    labels = {r["control"]: r.get("label", r["control"].upper()) for r in after.results}
    worse = compare(was, now)
    better = [
        Regression(ctl, was.get(ctl, "missing"), status)
        for ctl, status in sorted(now.items())
        if status in GOOD and was.get(ctl) not in GOOD
    ]
    floor = session.scalar(
        select(Threshold).join(System, System.id == Threshold.system_id).where(System.name == name)
    )

    def row(r: Regression) -> dict[str, Any]:
        return {"control": r.control, "before": r.before, "after": r.after, "label": labels.get(r.control)}

    return {
        "since": before.assessed_at,
        "at": after.assessed_at,
        "share_before": before.satisfied_share,
        "share_now": after.satisfied_share,
        "worse": [row(r) for r in worse],
        "better": [row(r) for r in better],
        "floor": None if floor is None else floor.min_share,
        "below_floor": floor is not None and after.satisfied_share < floor.min_share,
    }


def set_threshold(
    session: Session, name: str, *, min_share: float, max_open_findings: int | None = None, actor: str
) -> dict[str, Any]:
    """Store the floor the gate holds the system to (share of controls satisfied or inherited, 0..1), audited
    as `actor`."""
    if not 0 <= min_share <= 1:
        raise FieldError("--min-share", "a share between 0 and 1")
    row = _system_row(session, name)
    found = session.scalar(select(Threshold).where(Threshold.system_id == row.id))
    before = (
        None
        if found is None
        else {"min_share": found.min_share, "max_open_findings": found.max_open_findings}
    )
    if found is None:
        found = Threshold(system_id=row.id)
        session.add(found)
    found.min_share = min_share
    found.max_open_findings = max_open_findings
    found.set_at = utcnow()
    session.flush()
    after = {"min_share": min_share, "max_open_findings": max_open_findings}
    audit.record(
        session,
        actor=actor,
        action="update",
        kind="compliance.threshold",
        key=name,
        before=before,
        after=after,
    )
    return {"before": before, "after": after}


# -- the accepted baseline ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaselineInfo:
    """The assessment the gate compares against, until someone accepts another."""

    system: str
    assessment_id: int | None
    assessed_at: dt.datetime
    satisfied_share: float
    statuses: dict[str, str]
    findings: list[dict[str, Any]]
    accepted_at: dt.datetime
    accepted_by: str
    note: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "assessment_id": self.assessment_id,
            "assessed_at": self.assessed_at.isoformat(),
            "satisfied_share": round(self.satisfied_share, 6),
            "open_findings": len(self.findings),
            "accepted_at": self.accepted_at.isoformat(),
            "accepted_by": self.accepted_by,
            "note": self.note,
        }


def _baseline_info(row: AcceptedBaseline, system: str) -> BaselineInfo:
    return BaselineInfo(
        system,
        row.assessment_id,
        aware(row.assessed_at),
        row.satisfied_share,
        dict(row.statuses),
        list(row.findings),
        aware(row.accepted_at),
        row.accepted_by,
        row.note,
    )


def accepted_baseline(session: Session, name: str) -> BaselineInfo | None:
    """The system's accepted baseline, if anyone has accepted one."""
    row = _system_row(session, name)
    found = session.scalar(select(AcceptedBaseline).where(AcceptedBaseline.system_id == row.id))
    return _baseline_info(found, name) if found else None


def accept_baseline(
    session: Session, name: str, *, actor: str, note: str = "", assessment_id: int | None = None
) -> tuple[BaselineInfo | None, BaselineInfo]:
    """Accept the system's latest stored assessment (or the one given) as the gate's baseline; returns
    the baseline before and after, for the audit trail."""
    row = _system_row(session, name)
    if assessment_id is None:
        stored = _latest_row(session, row.id)
    else:
        stored = session.get(Assessment, assessment_id)
        if stored is not None and stored.system_id != row.id:
            stored = None
    if stored is None:
        raise NotFoundError(
            "assessment of system" if assessment_id is None else f"assessment {assessment_id} of system",
            name,
        )
    previous = accepted_baseline(session, name)
    found = session.scalar(select(AcceptedBaseline).where(AcceptedBaseline.system_id == row.id))
    if found is None:
        found = AcceptedBaseline(system_id=row.id)
        session.add(found)
    view = _stored(stored, name)
    result = assess_result(view)
    found.assessment_id = stored.id
    found.assessed_at = view.assessed_at
    found.satisfied_share = view.satisfied_share
    found.statuses = view.statuses()
    found.findings = finding_snapshot(result.findings())
    found.accepted_at = utcnow()
    found.accepted_by = actor
    found.note = note
    session.flush()
    accepted = _baseline_info(found, name)
    audit.record(
        session,
        actor=actor,
        action="accept",
        kind="compliance.baseline",
        key=name,
        before=previous.as_dict() if previous else None,
        after=accepted.as_dict(),
    )
    return previous, accepted


def gate(
    session: Session, name: str, *, against: str = "baseline", now: dt.datetime | None = None
) -> GateVerdict:
    """Assess now and compare with the accepted baseline (or an assessment JSON file) and the threshold.

    The baseline stays until someone accepts a new one, so running the gate again does not forget a
    regression. Besides controls that got worse, a new open high or critical finding and a finding newly
    past its deadline fail the gate, even under a control that was already failing.
    """
    before: dict[str, str] | None = None
    share_before: float | None = None
    findings_before: list[dict[str, Any]] | None = None
    if against == "previous":
        raise FieldError(
            "--against",
            "'baseline' or an assessment JSON file: the gate compares against the accepted baseline "
            "(`compliance baseline accept`), never the previous run",
        )
    if against == "baseline":
        accepted = accepted_baseline(session, name)
        if accepted is not None:
            before, share_before = accepted.statuses, accepted.satisfied_share
            findings_before = accepted.findings
            label = f"the baseline accepted {accepted.accepted_at:%Y-%m-%d %H:%M} by {accepted.accepted_by}"
        else:
            label = "no accepted baseline"
    else:
        before, share_before, findings_before = _read_assessment_file(Path(against))
        label = against
    current = assess_system(session, name, now=now)
    after = {c.control: c.status for c in current.result.controls}
    share_now = current.result.satisfied_share()
    open_now = current.result.findings()
    reasons: list[str] = []
    regressions = compare(before, after) if before is not None else []
    if regressions:
        reasons.append(
            f"{len(regressions)} control(s) regressed: {', '.join(r.control for r in regressions)}"
        )
    late_or_new = compare_findings(findings_before, open_now, after)
    if late_or_new:
        new = sum(1 for r in late_or_new if "new open" in r.why)
        reasons.append(
            f"{len(late_or_new)} finding(s) regressed: {new} new open high or critical, "
            f"{len(late_or_new) - new} past the deadline"
        )
    regressions += late_or_new
    if share_before is not None and share_now < share_before - 1e-9:
        reasons.append(f"satisfied share fell from {share_before:.1%} to {share_now:.1%}")
    row = _system_row(session, name)
    floor = session.scalar(select(Threshold).where(Threshold.system_id == row.id))
    if floor is not None:
        if share_now < floor.min_share:
            reasons.append(f"satisfied share {share_now:.1%} is below the threshold {floor.min_share:.1%}")
        if floor.max_open_findings is not None and len(open_now) > floor.max_open_findings:
            reasons.append(f"{len(open_now)} open findings exceed the threshold of {floor.max_open_findings}")
    return GateVerdict(
        not reasons, label, share_before, share_now, tuple(regressions), tuple(reasons), len(open_now)
    )


def _read_assessment_file(path: Path) -> tuple[dict[str, str], float, list[dict[str, Any]] | None]:
    """Control statuses, the satisfied share and the open findings (None when the file does not list them)
    from `assess --format json` output or from OSCAL assessment results."""
    try:
        doc = safeload.loads_json(path.read_bytes(), source=str(path))
    except FileNotFoundError:
        raise InputError("no such file", source=str(path)) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", source=str(path), line=exc.lineno) from None
    findings: list[dict[str, Any]] | None = None
    if isinstance(doc, dict) and isinstance(doc.get("results"), list) and "system" in doc:
        statuses = {}
        findings = []
        for i, r in enumerate(doc["results"]):
            if (
                not isinstance(r, dict)
                or r.get("status") not in STATUSES
                or not isinstance(r.get("control"), str)
            ):
                raise FieldError(
                    f"results[{i}]", "a control and one of " + ", ".join(STATUSES), source=str(path)
                )
            statuses[r["control"]] = r["status"]
            for j, f in enumerate(r.get("findings") or ()):
                if not isinstance(f, dict) or not isinstance(f.get("key"), str):
                    raise FieldError(f"results[{i}].findings[{j}].key", "a finding key", source=str(path))
                findings.append(f)
    elif isinstance(doc, dict) and "assessment-results" in doc:
        from missionos.compliance.oscal import statuses_from_assessment_results

        statuses = statuses_from_assessment_results(doc, source=str(path))
    else:
        raise InputError(
            "expected `compliance assess --format json` output or OSCAL assessment-results", source=str(path)
        )
    good = sum(1 for s in statuses.values() if s in ("satisfied", "inherited"))
    return statuses, good / len(statuses) if statuses else 0.0, findings
