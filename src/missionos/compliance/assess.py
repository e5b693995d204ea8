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
from dataclasses import dataclass, field, replace
from typing import Any

from missionos.compliance.catalog import Control
from missionos.compliance.pack import Check, Pack, lookup

STATUSES = ("satisfied", "not-satisfied", "needs-attestation", "inherited", "not-applicable")


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
class LeveragedAuthorization:
    """The authorization of the platform a system inherits controls from (a FedRAMP P-ATO, an agency ATO):
    without one, inherited controls cannot be relied on."""

    title: str
    date_authorized: dt.date

    def as_dict(self) -> dict[str, str]:
        return {"title": self.title, "date_authorized": self.date_authorized.isoformat()}


@dataclass(frozen=True)
class SystemSpec:
    name: str
    services: tuple[str, ...]
    provider: str | None = None
    remediation_days: Mapping[str, int] | None = None  # where the system differs from its pack
    authorization: LeveragedAuthorization | None = None  # the provider's, behind inherited controls


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
    deadline: dt.datetime | None = None  # first seen plus the remediation days of its severity
    overdue: bool = False
    kind: str = "control"  # "control": a check or attestation failed; "vulnerability": an open scan finding
    rule: str = ""
    location: str = ""

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
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "overdue": self.overdue,
            "kind": self.kind,
            "rule": self.rule,
            "location": self.location,
        }

    @classmethod
    def from_dict(cls, f: Mapping[str, Any]) -> Finding:
        return cls(
            f["key"],
            f["control"],
            f["title"],
            f["description"],
            f["subject"],
            f["severity"],
            dt.datetime.fromisoformat(f["first_seen"]),
            f.get("check"),
            dt.datetime.fromisoformat(f["deadline"]) if f.get("deadline") else None,
            bool(f.get("overdue")),
            f.get("kind", "control"),
            f.get("rule", ""),
            f.get("location", ""),
        )


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

    def open_items(self) -> list[Finding]:
        """The open vulnerabilities this control tracks (each a POA&M item with its deadline)."""
        return [f for f in self.findings if f.kind == "vulnerability"]

    def next_deadline(self) -> dt.datetime | None:
        return min((f.deadline for f in self.open_items() if f.deadline), default=None)

    def status_text(self) -> str:
        """The status as people read it: a control satisfied while it tracks open items says how many and
        when the next is due, never a bare "satisfied"."""
        items = self.open_items()
        text = self.status.replace("-", " ")
        if not items:
            return text
        count = f"{len(items)} open item{'' if len(items) == 1 else 's'}"
        late = sum(1 for f in items if f.overdue)
        nxt = self.next_deadline()
        if self.status == "satisfied":
            return f"{text}, with {count}" + (f", next deadline {nxt:%Y-%m-%d}" if nxt else "")
        return f"{text}: {count}" + (f", {late} past deadline" if late else "")

    def as_dict(self) -> dict[str, Any]:
        nxt = self.next_deadline()
        return {
            "control": self.control,
            "label": self.label,
            "title": self.title,
            "family": self.family,
            "status": self.status,
            "status_text": self.status_text(),
            "open_items": len(self.open_items()),
            "next_deadline": nxt.date().isoformat() if nxt else None,
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
        """Every open finding once (an open vulnerability is listed under each control that tracks it)."""
        unique: dict[str, Finding] = {}
        for c in self.controls:
            for f in c.findings:
                unique.setdefault(f.key, f)
        return list(unique.values())

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


# Evidence kinds whose facts list findings (scans, SBOMs with vulnerabilities, VEX documents).
FINDING_KINDS = ("sarif", "cyclonedx", "vex")


def severity_key(severity: str) -> str:
    return "medium" if severity == "moderate" else severity


def deadline_of(first_seen: dt.datetime, severity: str, limits: Mapping[str, int]) -> dt.datetime:
    return first_seen + dt.timedelta(days=limits.get(severity_key(severity), limits.get("medium", 90)))


def open_findings(
    records: Iterable[EvidenceRecord],
    owner: str,
    now: dt.datetime,
    seen: Mapping[tuple[str, str], dt.datetime],
    limits: Mapping[str, int],
) -> list[Finding]:
    """The open findings of `owner` at `now`, each with its first-seen time and deadline.

    Each scanner is its own stream (evidence kind and tools): its newest unexpired record says what is open
    now (the SBOMs of a service are one stream: the newest describes what it ships). VEX statements add up
    instead: for each vulnerability and affected component the newest statement of any unexpired VEX
    document holds. A finding's first seen time is the earliest any stored evidence reported it (`seen`,
    kept as files arrive), or its stated first detection if earlier. A vulnerability id whose newest VEX
    statements all close it is closed in the scans and SBOMs too.
    """
    newest: dict[tuple[str, tuple[str, ...]], EvidenceRecord] = {}
    earliest = dict(seen)
    statements: dict[tuple[str, str], tuple[tuple[dt.datetime, int], dict[str, Any] | None]] = {}
    for ev in records:
        if ev.kind not in FINDING_KINDS or ev.collected_at > now:
            continue
        for f in ev.facts.get("findings", ()):  # the records at hand count too, expired or not
            key = (owner, f["fingerprint"])
            if key not in earliest or ev.collected_at < earliest[key]:
                earliest[key] = ev.collected_at
        if ev.expired(now):
            continue
        if ev.kind == "vex":
            said: list[tuple[tuple[str, str], dict[str, Any] | None]] = [
                ((f["rule"], f["location"]), {**f, "_at": ev.collected_at}) for f in ev.facts["findings"]
            ]
            said += [((c["rule"], c["location"]), None) for c in ev.facts.get("closed", ())]
            for key, statement in said:  # None: closed
                if key not in statements or _order(ev) >= statements[key][0]:
                    statements[key] = (_order(ev), statement)
            continue
        stream = (ev.kind, tuple(ev.facts.get("tools") or ()))
        if stream not in newest or _order(ev) > _order(newest[stream]):
            newest[stream] = ev
    vex_open = [s for _o, s in statements.values() if s is not None]
    still_open = {s["rule"] for s in vex_open}
    closed = {rule for (rule, _ref), (_o, s) in statements.items() if s is None} - still_open
    items: dict[str, Finding] = {}
    found = [(ev.collected_at, f) for ev in sorted(newest.values(), key=_order) for f in ev.facts["findings"]]
    found += [(s["_at"], s) for s in vex_open]
    for at, f in found:
        fp = f["fingerprint"]
        if fp in items or (f["rule"] in closed and "_at" not in f):  # VEX statements carry "_at"
            continue
        stated = dt.datetime.fromisoformat(f["first_seen"]) if f.get("first_seen") else at
        first = min(stated, at, earliest.get((owner, fp), at))
        deadline = deadline_of(first, f["severity"], limits)
        where = f.get("location") or "no location"
        items[fp] = Finding(
            f"vulnerability:{owner}:{fp}",
            "",
            f"{f['severity'].capitalize()} {f['rule']} in {owner} at {where}",
            f"{f['rule']} ({f['severity']}) in {owner} at {where}"
            + (f": {f['message']}" if f.get("message") else "")[:300],
            owner,
            f["severity"],
            first,
            None,
            deadline,
            now > deadline,
            "vulnerability",
            f["rule"],
            f.get("location", ""),
        )
    return sorted(items.values(), key=lambda f: (f.deadline or now, f.key))


def _order(ev: EvidenceRecord) -> tuple[dt.datetime, int]:
    """Newest first by collection time, then by the order records were stored in."""
    return ev.collected_at, ev.id or 0


def tracks_findings(check: Check) -> bool:
    """A check with a condition on `overdue.<severity>` or `open.<severity>` tracks open findings: its
    controls list each one with its deadline."""
    return any(c.fact.split(".", 1)[0] in ("overdue", "open") for c in check.require)


def _tally(items: Sequence[Finding]) -> dict[str, int]:
    counts = dict.fromkeys(("critical", "high", "medium", "low"), 0)
    for f in items:
        key = severity_key(f.severity)
        counts[key] = counts.get(key, 0) + 1
    return counts


# -- checks ------------------------------------------------------------------------------------------------


@dataclass
class CheckOutcome:
    passed: bool
    evidence: list[dict[str, Any]]
    finding: Finding | None = None
    items: list[Finding] = field(default_factory=list)  # open findings a tracking check lists


class Evaluator:
    """Runs each check once per subject and remembers the outcome (many controls share a check)."""

    def __init__(
        self,
        pack: Pack,
        evidence: Sequence[EvidenceRecord],
        now: dt.datetime,
        previous_first_seen: Mapping[str, dt.datetime],
        seen: Mapping[tuple[str, str], dt.datetime] | None = None,
        limits: Mapping[str, int] | None = None,
    ) -> None:
        self.pack = pack
        self.now = now
        self.previous = previous_first_seen
        self.seen = seen or {}
        self.limits = dict(limits if limits is not None else pack.remediation_days)
        self._items: dict[str, list[Finding]] = {}
        self.by_owner_kind: dict[tuple[str, str], list[EvidenceRecord]] = defaultdict(list)
        for ev in evidence:
            if ev.collected_at <= now:
                self.by_owner_kind[(ev.owner, ev.kind)].append(ev)
        for records in self.by_owner_kind.values():
            records.sort(key=lambda e: e.collected_at, reverse=True)
        self._cache: dict[tuple[str, str], CheckOutcome] = {}

    def open_items(self, subject: str) -> list[Finding]:
        if subject not in self._items:
            records = [ev for kind in FINDING_KINDS for ev in self.by_owner_kind.get((subject, kind), ())]
            self._items[subject] = open_findings(records, subject, self.now, self.seen, self.limits)
        return self._items[subject]

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
                self.open_items(subject) if tracks_findings(check) else [],
            )
        facts: Mapping[str, Any] = latest.facts
        items: list[Finding] = []
        if tracks_findings(check):
            items = self.open_items(subject)
            facts = {
                **latest.facts,
                "open": _tally(items),
                "overdue": _tally([f for f in items if f.overdue]),
            }
        failed = [c for c in check.require if not c.holds(facts)]
        if not failed:
            return CheckOutcome(True, [latest.ref()], items=items)
        if items and all(c.fact.startswith("overdue.") for c in failed):
            return CheckOutcome(False, [latest.ref()], items=items)  # the overdue items are the findings
        detail = "; ".join(f"{c.fact} is {lookup(facts, c.fact)[1]!r}, required {c}" for c in failed)
        return CheckOutcome(
            False,
            [latest.ref()],
            Finding(
                fkey,
                "",
                f"{check.title}: failed",
                f"{subject}: {detail}.",
                subject,
                "moderate",
                self._first(fkey, latest.collected_at),
                check.id,
            ),
            items,
        )


def assess(
    system: SystemSpec,
    baseline_name: str,
    controls: Sequence[Control],
    pack: Pack,
    evidence: Sequence[EvidenceRecord],
    now: dt.datetime,
    previous_first_seen: Mapping[str, dt.datetime] | None = None,
    seen: Mapping[tuple[str, str], dt.datetime] | None = None,
) -> Result:
    """Assess every control of `controls` for `system` at `now` (see the module docstring for the rules).

    `seen` holds when each finding was first seen, by (subject, fingerprint), over all stored evidence.
    """
    limits = {**pack.remediation_days, **(system.remediation_days or {})}
    evaluator = Evaluator(pack, evidence, now, previous_first_seen or {}, seen, limits)
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
        elif control.id in inherited and system.authorization is not None:
            base.status, base.reason = (
                "inherited",
                f"Inherited from {system.provider} ({system.authorization.title}): {inherited[control.id]}",
            )
        elif checks:
            _by_checks(base, checks, system, evaluator)
            partial = pack.partial_checks(control.id)
            if partial and base.status == "satisfied":
                _completed_by_attestation(base, partial, attested.get(control.id, []), now)
        else:
            _by_attestation(base, attested.get(control.id, []), now, evaluator)
            if control.id in inherited:  # the provider's authorization is not recorded
                base.reason = (
                    f"Provided by {system.provider}, but no leveraged authorization of {system.provider} is "
                    f"recorded for the system, so the inheritance cannot be relied on. {base.reason}"
                ).strip()
        for f in base.findings:
            if f.deadline is None:
                f.deadline = deadline_of(f.first_seen, f.severity, limits)
                f.overdue = now > f.deadline
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
            known = {f.key for f in result.findings}
            result.findings.extend(
                replace(item, control=result.control) for item in out.items if item.key not in known
            )
            if not out.passed:
                passed = False
            if not out.passed and out.finding is not None:
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


def _completed_by_attestation(
    result: ControlResult, partial: Sequence[Check], attestations: Sequence[EvidenceRecord], now: dt.datetime
) -> None:
    """A control whose passing checks show it only in part is satisfied only with a live attestation too."""
    why = "; ".join(c.why.get(result.control, c.title) for c in partial)
    live = [a for a in attestations if not a.expired(now)]
    if live:
        att = live[0]
        result.reason += (
            f". The checks show it only in part ({why}); the rest is attested by {att.facts.get('by')} on "
            f"{att.collected_at:%Y-%m-%d}: {att.facts.get('statement')}"
        )
        result.evidence.append(att.ref())
        return
    result.status = "needs-attestation"
    result.reason = (
        f"The checks pass ({result.reason}), but show {result.label} only in part: {why}. "
        "A person must attest how the rest is met."
    )


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
        findings = [Finding.from_dict(f) for f in r.get("findings", ())]
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
