"""The assessment itself, as pure functions over plain records (metrics.md §5).

Every control of the baseline ends as exactly one of:
- `not-applicable`: the pack says so, with a reason;
- `inherited`: the system names a provider, and the pack lists the control as provided by it;
- `satisfied` / `not-satisfied`: the control is mapped to checks, and every check passes for every subject
  (fail closed: missing, stale or expired evidence is a finding);
- `satisfied` by a valid human attestation, when no check maps the control;
- `not-satisfied` when its only attestation has expired (a lapse is a finding, not a return to "unknown");
- `needs-attestation` when only a person can judge it and nobody has yet.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from missionos.compliance.catalog import Control
from missionos.compliance.pack import Check, Pack, lookup

STATUSES = ("satisfied", "not-satisfied", "needs-attestation", "inherited", "not-applicable")
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "moderate": 2, "low": 3}


@dataclass(frozen=True)
class EvidenceRecord:
    """Evidence as the assessment sees it; `id` is None for evidence derived from another context."""

    id: int | None
    kind: str
    subject: str
    collected_at: dt.datetime
    expires_at: dt.datetime | None
    facts: Mapping[str, Any]
    source: str = ""
    sha256: str = ""

    @property
    def owner(self) -> str:
        """The service or system the evidence is about: the subject up to any `@qualifier`."""
        return self.subject.split("@", 1)[0]

    def expired(self, now: dt.datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def ref(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "subject": self.subject,
            "collected_at": self.collected_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "source": self.source,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class SystemSpec:
    name: str
    services: tuple[str, ...]
    provider: str | None = None


@dataclass
class Finding:
    """Why a control is not satisfied; the key is stable across assessments so its age can be tracked."""

    key: str
    control: str
    title: str
    description: str
    subject: str
    severity: str
    first_seen: dt.datetime
    check: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "control": self.control,
            "title": self.title,
            "description": self.description,
            "subject": self.subject,
            "severity": self.severity,
            "first_seen": self.first_seen.isoformat(),
            "check": self.check,
        }


@dataclass
class ControlResult:
    control: str
    label: str
    title: str
    family: str
    status: str
    reason: str = ""
    findings: list[Finding] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "control": self.control,
            "label": self.label,
            "title": self.title,
            "family": self.family,
            "status": self.status,
            "reason": self.reason,
            "findings": [f.as_dict() for f in self.findings],
            "evidence": self.evidence,
        }


@dataclass
class Result:
    """The status of every control of a baseline for one system at one moment."""

    system: str
    baseline: str
    pack: str
    assessed_at: dt.datetime
    controls: list[ControlResult]

    def counts(self) -> dict[str, int]:
        tally = dict.fromkeys(STATUSES, 0)
        for c in self.controls:
            tally[c.status] += 1
        return {k.replace("-", "_"): v for k, v in tally.items()}

    def findings(self) -> list[Finding]:
        return [f for c in self.controls for f in c.findings]

    def satisfied_share(self) -> float:
        """Share of baseline controls satisfied or inherited (`compliance.controls_satisfied`)."""
        if not self.controls:
            return 0.0
        good = sum(1 for c in self.controls if c.status in ("satisfied", "inherited"))
        return good / len(self.controls)

    def as_dict(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "baseline": self.baseline,
            "pack": self.pack,
            "assessed_at": self.assessed_at.isoformat(),
            "controls": self.counts(),
            "satisfied_share": round(self.satisfied_share(), 6),
            "open_findings": len(self.findings()),
            "results": [c.as_dict() for c in self.controls],
        }


# -- evidence facts that depend on history or on the moment of assessment ----------------------------------


def first_seen_dates(scans: Iterable[EvidenceRecord]) -> dict[str, dt.datetime]:
    """For each finding fingerprint, the earliest moment any scan reported it (its first detection)."""
    seen: dict[str, dt.datetime] = {}
    for scan in scans:
        for f in scan.facts.get("findings", ()):
            stated = dt.datetime.fromisoformat(f["first_seen"]) if f.get("first_seen") else scan.collected_at
            moment = min(stated, scan.collected_at)
            key = f["fingerprint"]
            if key not in seen or moment < seen[key]:
                seen[key] = moment
    return seen


def with_overdue(
    scan: EvidenceRecord, first_seen: Mapping[str, dt.datetime], limits: Mapping[str, int], now: dt.datetime
) -> dict[str, Any]:
    """The scan's facts plus `overdue.<severity>` counts: open findings older than their remediation limit."""
    overdue: dict[str, int] = dict.fromkeys(limits, 0)
    overdue_findings = []
    for f in scan.facts.get("findings", ()):
        since = first_seen.get(f["fingerprint"], scan.collected_at)
        limit = limits.get(f["severity"])
        if limit is not None and now - since > dt.timedelta(days=limit):
            overdue[f["severity"]] += 1
            overdue_findings.append({**f, "first_seen": since.isoformat(), "age_days": (now - since).days})
    return {**scan.facts, "overdue": overdue, "overdue_findings": overdue_findings}


# -- checks ------------------------------------------------------------------------------------------------


@dataclass
class CheckOutcome:
    passed: bool
    evidence: list[dict[str, Any]]
    finding: Finding | None = None


class Evaluator:
    """Runs each check once per subject and remembers the outcome (many controls share a check)."""

    def __init__(
        self,
        pack: Pack,
        evidence: Sequence[EvidenceRecord],
        now: dt.datetime,
        previous_first_seen: Mapping[str, dt.datetime],
    ) -> None:
        self.pack = pack
        self.now = now
        self.previous = previous_first_seen
        self.by_owner_kind: dict[tuple[str, str], list[EvidenceRecord]] = defaultdict(list)
        for ev in evidence:
            if ev.collected_at <= now:
                self.by_owner_kind[(ev.owner, ev.kind)].append(ev)
        for records in self.by_owner_kind.values():
            records.sort(key=lambda e: e.collected_at, reverse=True)
        self._cache: dict[tuple[str, str], CheckOutcome] = {}
        self._first_seen: dict[str, dict[str, dt.datetime]] = {}

    def _first(self, key: str, fallback: dt.datetime) -> dt.datetime:
        earlier = self.previous.get(key)
        return min(earlier, fallback) if earlier else fallback

    def outcome(self, check: Check, subject: str) -> CheckOutcome:
        key = (check.id, subject)
        if key not in self._cache:
            self._cache[key] = self._run(check, subject)
        return self._cache[key]

    def _run(self, check: Check, subject: str) -> CheckOutcome:
        records = sorted(
            (ev for kind in check.evidence for ev in self.by_owner_kind.get((subject, kind), ())),
            key=lambda e: e.collected_at,
            reverse=True,
        )
        live = [ev for ev in records if not ev.expired(self.now)]
        fkey = f"{check.id}:{subject}"
        kinds = " or ".join(check.evidence)
        if not live:
            if records:
                lapsed = records[0]
                assert lapsed.expires_at is not None
                return CheckOutcome(
                    False,
                    [lapsed.ref()],
                    Finding(
                        fkey,
                        "",
                        f"{check.title}: evidence expired",
                        f"The newest {kinds} evidence for {subject} expired on {lapsed.expires_at:%Y-%m-%d}.",
                        subject,
                        "moderate",
                        self._first(fkey, lapsed.expires_at),
                        check.id,
                    ),
                )
            return CheckOutcome(
                False,
                [],
                Finding(
                    fkey,
                    "",
                    f"{check.title}: no evidence",
                    f"There is no {kinds} evidence for {subject}.",
                    subject,
                    "moderate",
                    self._first(fkey, self.now),
                    check.id,
                ),
            )
        latest = live[0]
        age = self.now - latest.collected_at
        limit = dt.timedelta(days=check.max_age_days)
        if age > limit:
            return CheckOutcome(
                False,
                [latest.ref()],
                Finding(
                    fkey,
                    "",
                    f"{check.title}: evidence is stale",
                    f"The newest {latest.kind} evidence for {subject} is from "
                    f"{latest.collected_at:%Y-%m-%d}, "
                    f"{age.days} days old; the limit is {check.max_age_days} days.",
                    subject,
                    "moderate",
                    self._first(fkey, latest.collected_at + limit),
                    check.id,
                ),
            )
        facts: Mapping[str, Any] = latest.facts
        if latest.kind == "sarif":
            if subject not in self._first_seen:
                scans = self.by_owner_kind.get((subject, "sarif"), [])
                self._first_seen[subject] = first_seen_dates(scans)
            facts = with_overdue(latest, self._first_seen[subject], self.pack.remediation_days, self.now)
        failed = [c for c in check.require if not c.holds(facts)]
        if not failed:
            return CheckOutcome(True, [latest.ref()])
        severity = "moderate"
        since = latest.collected_at
        detail = "; ".join(f"{c.fact} is {lookup(facts, c.fact)[1]!r}, required {c}" for c in failed)
        overdue = facts.get("overdue_findings") or []
        if overdue:
            worst = min(overdue, key=lambda f: SEVERITY_RANK.get(f["severity"], 9))
            severity = worst["severity"]
            since = min(dt.datetime.fromisoformat(f["first_seen"]) for f in overdue)
            listed = ", ".join(f"{f['rule']} ({f['severity']}, {f['age_days']} days)" for f in overdue[:5])
            detail = f"{len(overdue)} finding(s) past the remediation limit: {listed}"
        return CheckOutcome(
            False,
            [latest.ref()],
            Finding(
                fkey,
                "",
                f"{check.title}: failed",
                f"{subject}: {detail}.",
                subject,
                severity,
                self._first(fkey, since),
                check.id,
            ),
        )


def assess(
    system: SystemSpec,
    baseline_name: str,
    controls: Sequence[Control],
    pack: Pack,
    evidence: Sequence[EvidenceRecord],
    now: dt.datetime,
    previous_first_seen: Mapping[str, dt.datetime] | None = None,
) -> Result:
    """Assess every control of `controls` for `system` at `now` (see the module docstring for the rules)."""
    evaluator = Evaluator(pack, evidence, now, previous_first_seen or {})
    attestations = sorted(
        (
            ev
            for ev in evidence
            if ev.kind == "attestation" and ev.owner == system.name and ev.collected_at <= now
        ),
        key=lambda e: e.collected_at,
        reverse=True,
    )
    attested: dict[str, list[EvidenceRecord]] = defaultdict(list)
    for att in attestations:
        for ctl in att.facts.get("controls", ()):
            attested[ctl].append(att)
    inherited = pack.inherited.get(system.provider or "", {}) if system.provider else {}
    results: list[ControlResult] = []
    for control in controls:
        base = ControlResult(control.id, control.label, control.title, control.family, "")
        checks = pack.checks_for(control.id)
        if control.id in pack.not_applicable:
            base.status, base.reason = "not-applicable", pack.not_applicable[control.id]
        elif control.id in inherited:
            base.status, base.reason = (
                "inherited",
                f"Inherited from {system.provider}: {inherited[control.id]}",
            )
        elif checks:
            _by_checks(base, checks, system, evaluator)
        else:
            _by_attestation(base, attested.get(control.id, []), now, evaluator)
        results.append(base)
    return Result(system.name, baseline_name, pack.label, now, results)


def _by_checks(result: ControlResult, checks: Sequence[Check], system: SystemSpec, ev: Evaluator) -> None:
    passed = True
    for check in checks:
        subjects = system.services if check.per == "service" else (system.name,)
        if not subjects:
            subjects = (system.name,)
        for subject in subjects:
            out = ev.outcome(check, subject)
            result.evidence.extend(e for e in out.evidence if e not in result.evidence)
            if not out.passed and out.finding is not None:
                passed = False
                f = out.finding
                result.findings.append(
                    Finding(
                        f"{result.control}:{f.key}",
                        result.control,
                        f.title,
                        f.description,
                        f.subject,
                        f.severity,
                        ev._first(f"{result.control}:{f.key}", f.first_seen),
                        f.check,
                    )
                )
    result.status = "satisfied" if passed else "not-satisfied"
    result.reason = "; ".join(dict.fromkeys(c.title for c in checks))


def _by_attestation(
    result: ControlResult, attestations: Sequence[EvidenceRecord], now: dt.datetime, ev: Evaluator
) -> None:
    live = [a for a in attestations if not a.expired(now)]
    if live:
        att = live[0]
        result.status = "satisfied"
        result.reason = (
            f"Attested by {att.facts.get('by')} on {att.collected_at:%Y-%m-%d}: {att.facts.get('statement')}"
        )
        result.evidence.append(att.ref())
    elif attestations:
        att = attestations[0]
        assert att.expires_at is not None
        key = f"{result.control}:attestation"
        result.status = "not-satisfied"
        result.reason = "Its attestation has expired."
        result.evidence.append(att.ref())
        result.findings.append(
            Finding(
                key,
                result.control,
                "Attestation expired",
                f"The attestation by {att.facts.get('by')} expired on {att.expires_at:%Y-%m-%d}; "
                "a person must attest again.",
                att.subject,
                "moderate",
                ev._first(key, att.expires_at),
                None,
            )
        )
    else:
        result.status = "needs-attestation"
        result.reason = "No automated check covers this control; a person must attest how it is met."


def result_from_stored(
    system: str, baseline: str, pack: str, assessed_at: dt.datetime, rows: Sequence[Mapping[str, Any]]
) -> Result:
    """Rebuild a `Result` from its stored form (so a stored assessment can be written out as OSCAL)."""
    controls = []
    for r in rows:
        findings = [
            Finding(
                f["key"],
                f["control"],
                f["title"],
                f["description"],
                f["subject"],
                f["severity"],
                dt.datetime.fromisoformat(f["first_seen"]),
                f.get("check"),
            )
            for f in r.get("findings", ())
        ]
        controls.append(
            ControlResult(
                r["control"],
                r["label"],
                r["title"],
                r["family"],
                r["status"],
                r.get("reason", ""),
                findings,
                list(r.get("evidence", ())),
            )
        )
    return Result(system, baseline, pack, assessed_at, controls)
