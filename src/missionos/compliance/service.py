"""Public service functions of the compliance context: systems, evidence, attestations, assessments, the gate.

The CLI and the web pages call these; they hold the database work, while the arithmetic lives in `assess`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from missionos import config, safeload
from missionos.accounts import audit, limits
from missionos.accounts.identity import Principal
from missionos.compliance import evidence as parsers
from missionos.compliance import signatures, trust
from missionos.compliance.assess import (
    FINDING_KINDS,
    STATUSES,
    EvidenceRecord,
    Finding,
    LeveragedAuthorization,
    Result,
    SystemSpec,
    assess,
    deadline_of,
    severity_key,
    tracks_findings,
)
from missionos.compliance.catalog import Baseline, Control, load_baseline
from missionos.compliance.models import (
    AcceptedBaseline,
    Assessment,
    Evidence,
    EvidenceFile,
    FindingSeen,
    SigningKey,
    System,
    Threshold,
)
from missionos.compliance.pack import SEVERITY_DEFAULTS, Pack
from missionos.compliance.pack_file import pack_for
from missionos.compliance.trust import TrustPolicy
from missionos.errors import ConflictError, FieldError, InputError, NotFoundError
from missionos.measures import Window
from missionos.store import utcnow

DERIVED_KINDS = ("delivery.changes", "delivery.deployments")
STATUS_KEYS = tuple(s.replace("-", "_") for s in STATUSES)


def aware(moment: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; everything is stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# -- systems -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SystemInfo:
    name: str
    description: str
    baseline: str
    services: tuple[str, ...]
    provider: str | None
    pack: str | None
    remediation_days: dict[str, int] | None = None  # where the system differs from its pack
    authorization: LeveragedAuthorization | None = None
    trust_policy: TrustPolicy | None = None

    def spec(self) -> SystemSpec:
        return SystemSpec(
            self.name,
            self.services,
            self.provider,
            remediation_days=self.remediation_days,
            authorization=self.authorization,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "baseline": self.baseline,
            "services": list(self.services),
            "provider": self.provider,
            "pack": self.pack,
            "remediation_days": self.remediation_days,
            "provider_authorization": self.authorization.as_dict() if self.authorization else None,
            "trust_policy": self.trust_policy.as_dict() if self.trust_policy else None,
        }


def _info(row: System) -> SystemInfo:
    lev = row.provider_authorization
    return SystemInfo(
        row.name,
        row.description,
        row.baseline,
        tuple(row.services),
        row.provider,
        row.pack,
        dict(row.remediation_days) if row.remediation_days else None,
        LeveragedAuthorization(lev["title"], dt.date.fromisoformat(lev["date_authorized"])) if lev else None,
        TrustPolicy.from_dict(row.trust_policy),
    )


def remediation_spans(values: Sequence[str]) -> dict[str, int]:
    """`severity=span` settings such as `high=15d` (from `--remediation`), as days per severity."""
    out: dict[str, int] = {}
    for value in values:
        severity, eq, span = value.partition("=")
        severity = severity.strip().lower()
        if not eq or severity not in SEVERITY_DEFAULTS:
            raise FieldError(
                "--remediation",
                f"severity=span with a severity of {', '.join(SEVERITY_DEFAULTS)}, "
                f"e.g. high=15d (not {value!r})",
            )
        out[severity] = span_days(span, field=f"--remediation {severity}")
    return out


def define_system(
    session: Session,
    name: str,
    *,
    baseline: str = "moderate",
    services: Sequence[str] = (),
    provider: str | None = None,
    description: str = "",
    pack: str | None = None,
    remediation_days: dict[str, int] | None = None,
    authorization: LeveragedAuthorization | None = None,
    actor: str,
) -> SystemInfo:
    """Create or update the system `name` (idempotent, audited as `actor`); the baseline and pack are checked
    before storing.
    `remediation_days` sets the days a finding of a severity may stay open, where the system differs from
    its pack (FedRAMP's defaults otherwise). `authorization` is the provider's leveraged authorization,
    without which inherited controls are not relied on."""
    if not name.strip():
        raise FieldError("name", "a system name")
    if authorization is not None and not provider:
        raise FieldError("--provider-authorization", "a --provider whose authorization it is")
    load_baseline(baseline)
    if pack:
        pack_for(pack)
    row = session.scalar(select(System).where(System.name == name))
    before = _info(row).as_dict() if row is not None else None
    if row is None:
        row = System(name=name)
        session.add(row)
    row.baseline = baseline.lower() if Path(baseline).suffix == "" else baseline
    row.services = sorted(dict.fromkeys(services))
    row.provider = provider or None
    row.description = description
    row.pack = pack
    row.remediation_days = dict(remediation_days) if remediation_days else None
    row.provider_authorization = authorization.as_dict() if authorization else None
    session.flush()
    info = _info(row)
    if before != info.as_dict():
        audit.record(
            session,
            actor=actor,
            action="create" if before is None else "update",
            kind="compliance.system",
            key=name,
            before=before,
            after=info.as_dict(),
        )
    return info


def set_trust_policy(session: Session, name: str, found: TrustPolicy, *, actor: str) -> dict[str, Any]:
    """Store who may build and sign system `name`'s artifacts (audited as `actor`); returns the policy before
    and after."""
    row = _system_row(session, name)
    before = row.trust_policy
    row.trust_policy = found.as_dict()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="update",
        kind="compliance.trust_policy",
        key=name,
        before=before,
        after=row.trust_policy,
    )
    return {"before": before, "after": row.trust_policy}


def _system_row(session: Session, name: str) -> System:
    row = session.scalar(select(System).where(System.name == name))
    if row is None:
        raise NotFoundError("system", name)
    return row


def get_system(session: Session, name: str) -> SystemInfo:
    return _info(_system_row(session, name))


def list_systems(session: Session) -> list[SystemInfo]:
    return [_info(r) for r in session.scalars(select(System).order_by(System.name))]


# -- evidence ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceInfo:
    id: int
    kind: str
    subject: str
    source: str
    collected_at: dt.datetime
    expires_at: dt.datetime | None
    sha256: str
    facts: dict[str, Any]
    raw_path: str
    recorded_by: str
    created: bool = True

    def summary(self) -> str:
        return summarize(self.kind, self.facts)

    def as_dict(self, *, facts: bool = True) -> dict[str, Any]:
        out = {
            "id": self.id,
            "kind": self.kind,
            "subject": self.subject,
            "source": self.source,
            "collected_at": self.collected_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "sha256": self.sha256,
            "raw_path": self.raw_path,
            "recorded_by": self.recorded_by,
            "summary": self.summary(),
        }
        if facts:
            out["facts"] = self.facts
        return out


def summarize(kind: str, facts: dict[str, Any]) -> str:
    """One line a person can read about a piece of evidence."""
    match kind:
        case "junit":
            return f"{facts['tests']} tests, {facts['failed']} failed, {facts['skipped']} skipped"
        case "sarif":
            sev = facts["by_severity"]
            return f"{', '.join(facts['tools'])}: " + ", ".join(f"{sev[s]} {s}" for s in sev)
        case "vex":
            sev = facts["by_severity"]
            return f"VEX: {len(facts['findings'])} open ({', '.join(f'{sev[s]} {s}' for s in sev)}), " + (
                f"{len(facts['closed'])} closed"
            )
        case "cyclonedx" | "spdx":
            line = f"{facts['components']} components, {facts['without_licence']} without a licence"
            if facts.get("findings"):
                line += f", {len(facts['findings'])} open vulnerabilities"
            return line
        case "slsa-provenance":
            return f"built by {facts['builder']} from {len(facts['materials'])} material(s)"
        case "attestation":
            return f"{facts['by']} on {', '.join(c.upper() for c in facts['controls'])}: {facts['statement']}"
        case "delivery.changes":
            return f"{facts['changes']} production changes, {facts['unreviewed']} without independent review"
        case "delivery.deployments":
            return f"{facts['deployments']} production deployments, {facts['ungated']} without provenance"
    return ", ".join(f"{k}={v}" for k, v in list(facts.items())[:4])


def _evidence_info(row: Evidence, created: bool = True) -> EvidenceInfo:
    return EvidenceInfo(
        row.id,
        row.kind,
        row.subject,
        row.source,
        aware(row.collected_at),
        aware(row.expires_at) if row.expires_at else None,
        row.sha256,
        row.facts,
        row.raw_path,
        row.recorded_by,
        created,
    )


def span_days(text: str, *, field: str) -> int:
    """Days in a span such as `30d`, `12w` or `1y` (how long evidence or an attestation stays valid)."""
    match = re.fullmatch(r"(\d+)([dwy])", text.strip())
    if not match or int(match.group(1)) == 0:
        raise FieldError(field, "a positive span such as 30d, 12w or 1y")
    return int(match.group(1)) * {"d": 1, "w": 7, "y": 365}[match.group(2)]


def evidence_store() -> Path:
    """Where raw evidence files are kept, by SHA-256 (content-addressed, so a file is stored once)."""
    return config.home() / "evidence"


def add_evidence(
    session: Session,
    raw: bytes,
    *,
    kind: str,
    subject: str,
    source: str,
    expires_in_days: int | None = None,
    collected_at: dt.datetime | None = None,
    recorded_by: str = "",
    now: dt.datetime | None = None,
) -> EvidenceInfo:
    """Parse `raw` as `kind` evidence about `subject`, keep the raw file and record it (idempotent).

    `collected_at` defaults to the time the artifact records, else now. Adding the same file again for the
    same subject changes nothing and returns the stored record with `created=False`.
    """
    if not subject.strip():
        raise FieldError("--subject", "a system, service, repository, deployment or pipeline run")
    parsed = parsers.parse(kind, raw, source)
    if kind in SIGNED_KINDS:
        parsed.facts.update(signatures.verify(raw, trusted_keys(session)))
    moment = collected_at or parsed.produced_at or now or utcnow()
    digest = hashlib.sha256(raw).hexdigest()
    existing = session.scalar(
        select(Evidence).where(Evidence.kind == kind, Evidence.subject == subject, Evidence.sha256 == digest)
    )
    if existing is not None:
        return _evidence_info(existing, created=False)
    _keep_file(session, digest, raw)
    path = evidence_store() / digest[:2] / digest  # a copy on this host's disk, for people to browse
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(raw)
        tmp.replace(path)
    row = Evidence(
        kind=kind,
        source=source,
        subject=subject,
        collected_at=moment,
        expires_at=moment + dt.timedelta(days=expires_in_days) if expires_in_days else None,
        sha256=digest,
        facts=parsed.facts,
        raw_path=str(path),
        recorded_by=recorded_by,
    )
    session.add(row)
    session.flush()
    if kind in FINDING_KINDS:
        record_first_seen(session, subject.split("@", 1)[0], parsed.facts.get("findings", ()), moment, row.id)
    return _evidence_info(row)


def record_first_seen(
    session: Session,
    owner: str,
    findings: Sequence[dict[str, Any]],
    moment: dt.datetime,
    evidence_id: int | None,
) -> None:
    """Keep, for each finding of a new evidence file, the earliest time it was seen: this file's time or its
    stated first detection, unless stored evidence saw it earlier."""
    wanted: dict[str, tuple[str, dt.datetime]] = {}
    for f in findings:
        stated = dt.datetime.fromisoformat(f["first_seen"]) if f.get("first_seen") else moment
        at = min(stated, moment)
        key = hashlib.sha256(f["fingerprint"].encode()).hexdigest()
        if key not in wanted or at < wanted[key][1]:
            wanted[key] = (f["fingerprint"], at)
    keys = list(wanted)
    fresh = []
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        rows = session.scalars(
            select(FindingSeen).where(FindingSeen.subject == owner, FindingSeen.key.in_(chunk))
        )
        known = {r.key: r for r in rows}
        for key in chunk:
            fingerprint, at = wanted[key]
            row = known.get(key)
            if row is None:
                fresh.append(
                    {
                        "subject": owner,
                        "key": key,
                        "fingerprint": fingerprint,
                        "first_seen": at,
                        "evidence_id": evidence_id,
                    }
                )
            elif aware(row.first_seen) > at:
                row.first_seen, row.evidence_id = at, evidence_id
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for start in range(0, len(fresh), 500):
        session.execute(
            insert(FindingSeen)
            .values(fresh[start : start + 500])
            .on_conflict_do_nothing(index_elements=["subject", "key"])
        )
    session.flush()


def first_seen_of(session: Session, owners: Sequence[str]) -> dict[tuple[str, str], dt.datetime]:
    """When each finding of these subjects was first seen, by (subject, fingerprint)."""
    rows = session.execute(
        select(FindingSeen.subject, FindingSeen.fingerprint, FindingSeen.first_seen).where(
            FindingSeen.subject.in_(list(owners))
        )
    )
    return {(subject, fp): aware(at) for subject, fp, at in rows}


# -- trusted signing keys ----------------------------------------------------------------------------------

# Evidence kinds whose files may come as signed DSSE envelopes; their facts say whether a trusted key signed.
SIGNED_KINDS = ("slsa-provenance",)


def trusted_keys(session: Session) -> list[signatures.TrustedKey]:
    return [
        signatures.load_trusted(row.public_key.encode(), row.name, row.name)
        for row in session.scalars(select(SigningKey).order_by(SigningKey.name))
    ]


def list_signing_keys(session: Session) -> list[dict[str, Any]]:
    """The trusted signing keys: name, key id (SHA-256 of the public key), type, when and by whom added."""
    out = []
    for row in session.scalars(select(SigningKey).order_by(SigningKey.name)):
        found = signatures.load_trusted(row.public_key.encode(), row.name, row.name)
        out.append(
            {
                "name": row.name,
                "key_id": row.key_id,
                "type": signatures.describe_trusted(found),
                "added_at": aware(row.added_at),
                "added_by": row.added_by,
            }
        )
    return out


def _keep_file(session: Session, digest: str, raw: bytes) -> None:
    """Store `raw` once under its SHA-256; the same file sent by two pipelines at once is kept once, and
    neither fails."""
    if session.get(EvidenceFile, digest) is not None:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(EvidenceFile)
        .values(sha256=digest, size=len(raw), content=raw, stored_at=utcnow())
        .on_conflict_do_nothing(index_elements=["sha256"])
    )


def evidence_file(session: Session, evidence_id: int) -> tuple[EvidenceInfo, bytes]:
    """An evidence record and its raw file as it came."""
    row = session.get(Evidence, evidence_id)
    if row is None:
        raise NotFoundError("evidence record", str(evidence_id))
    raw = _raw(session, row)
    if raw is None:
        raise NotFoundError("raw file of evidence record", str(evidence_id))
    return _evidence_info(row), raw


def _raw(session: Session, row: Evidence) -> bytes | None:
    stored = session.get(EvidenceFile, row.sha256)
    if stored is not None:
        return stored.content
    try:  # added before the files were kept in the database, and not brought in by the migration
        return Path(row.raw_path).read_bytes()
    except OSError:
        return None


def _reverify(session: Session) -> int:
    """Verify the signatures of stored signable evidence again with the current keys; returns how many
    records changed."""
    keys = trusted_keys(session)
    changed = 0
    for row in session.scalars(select(Evidence).where(Evidence.kind.in_(SIGNED_KINDS))):
        raw = _raw(session, row)
        if raw is None:
            continue  # the raw file is gone: the record keeps what was verified when it was added
        facts = {**row.facts, **signatures.verify(raw, keys)}
        if facts != row.facts:
            row.facts = facts
            changed += 1
    session.flush()
    return changed


def add_signing_key(session: Session, name: str, pem: bytes, *, source: str, actor: str) -> dict[str, Any]:
    """Trust `pem` as the public key `name`, and verify stored provenance again with it."""
    if not name.strip() or len(name) > 200:
        raise FieldError("name", "a key name of 1 to 200 characters")
    key = signatures.load_trusted(pem, name, source).key
    if session.scalar(select(SigningKey).where(SigningKey.name == name)) is not None:
        raise ConflictError(f"a signing key named {name!r} already exists; remove it first to replace it")
    key_id = signatures.key_id(key)
    text = pem.decode().strip() + "\n"
    session.add(SigningKey(name=name, public_key=text, key_id=key_id, added_by=actor))
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        kind="compliance.signing-key",
        key=name,
        after={"key_id": key_id},
    )
    return {"name": name, "key_id": key_id, "reverified": _reverify(session)}


def remove_signing_key(session: Session, name: str, *, actor: str) -> dict[str, Any]:
    """Stop trusting the key `name` (audited as `actor`); stored provenance it alone signed is unverified from
    now on."""
    row = session.scalar(select(SigningKey).where(SigningKey.name == name))
    if row is None:
        raise NotFoundError("signing key", name)
    key_id = row.key_id
    session.delete(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="delete",
        kind="compliance.signing-key",
        key=name,
        before={"key_id": key_id},
    )
    return {"name": name, "key_id": key_id, "reverified": _reverify(session)}


def add_evidence_batch(
    session: Session, items: Sequence[tuple[Path, str, str]], *, expires_in_days: int | None, recorded_by: str
) -> list[EvidenceInfo]:
    """Add several files (path, kind, subject) in the caller's transaction: one bad file rejects them all."""
    out = []
    for path, kind, subject in items:
        try:
            parsers.check_size(path.stat().st_size, str(path))
            raw = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read the file ({exc.strerror})", source=str(path)) from None
        out.append(
            add_evidence(
                session,
                raw,
                kind=kind,
                subject=subject,
                source=str(path),
                expires_in_days=expires_in_days,
                recorded_by=recorded_by,
            )
        )
    return out


def attest(
    session: Session,
    *,
    system: str,
    controls: Sequence[str],
    by: str,
    statement: str,
    expires_in_days: int,
    at: dt.datetime | None = None,
    recorded_by: str,
) -> EvidenceInfo:
    """Record a named person's statement of how `controls` are met, valid for `expires_in_days` (audited as
    `recorded_by`)."""
    info = get_system(session, system)
    baseline = load_baseline(info.baseline)
    wanted = [c.strip().lower() for c in controls if c.strip()]
    if not wanted:
        raise FieldError("controls", "at least one control id, e.g. ps-3")
    unknown = [c for c in wanted if c not in baseline.catalog]
    if unknown:
        raise FieldError("controls", f"controls of the {info.baseline} baseline (not {', '.join(unknown)})")
    if not by.strip():
        raise FieldError("by", "the name of the person attesting")
    if not statement.strip():
        raise FieldError("statement", "how the control is met")
    if expires_in_days <= 0:
        raise FieldError("expires", "a positive span such as 90d")
    moment = at or utcnow()
    doc = {
        "by": by.strip(),
        "controls": wanted,
        "statement": statement.strip(),
        "attested_at": moment.isoformat(),
    }
    raw = json.dumps(doc, sort_keys=True).encode()
    stored = add_evidence(
        session,
        raw,
        kind="attestation",
        subject=system,
        source=f"attestation by {by.strip()}",
        expires_in_days=expires_in_days,
        collected_at=moment,
        recorded_by=recorded_by,
    )
    audit.record(
        session,
        actor=recorded_by,
        action="attest",
        kind="compliance.attestation",
        key=f"{system}:{','.join(wanted)}",
        after=stored.as_dict(facts=True),
    )
    return stored


def list_evidence(
    session: Session, *, subject: str | None = None, kind: str | None = None, limit: int | None = None
) -> list[EvidenceInfo]:
    """Evidence records, newest first; `subject` matches the subject or its `@qualified` forms."""
    query = select(Evidence).order_by(Evidence.collected_at.desc(), Evidence.id.desc())
    if subject:
        query = query.where((Evidence.subject == subject) | Evidence.subject.like(f"{subject}@%"))
    if kind:
        query = query.where(Evidence.kind == kind)
    if limit:
        query = query.limit(limit)
    return [_evidence_info(r) for r in session.scalars(query)]


def get_evidence(session: Session, evidence_id: int) -> EvidenceInfo:
    row = session.get(Evidence, evidence_id)
    if row is None:
        raise NotFoundError("evidence", str(evidence_id))
    return _evidence_info(row)


SBOM_KINDS = ("cyclonedx", "spdx")


@dataclass(frozen=True)
class RevisionEvidence:
    """What the pipeline recorded about one build of a service (the subject `service@revision`): the kinds
    of evidence it carries, the package URLs its SBOMs (and its provenance's materials) list, and the source
    commits its build provenance names."""

    revision: str
    kinds: frozenset[str]
    purls: tuple[str, ...]
    sources: tuple[str, ...] = ()


def revision_evidence(session: Session, service: str) -> list[RevisionEvidence]:
    """Each `service@revision` subject of `service` with its evidence kinds, the purls its SBOMs list and its
    provenance's materials name, and the git commits its provenance was built from (each sorted, each once),
    by revision. Only SBOM and provenance facts are decoded; a subject without `@` names no build."""
    heads = session.execute(
        select(Evidence.id, Evidence.kind, Evidence.subject).where(Evidence.subject.like(f"{service}@%"))
    ).all()
    kinds: dict[str, set[str]] = {}
    decoded: dict[int, str] = {}
    for ev_id, kind, subject in heads:
        owner, _, revision = str(subject).partition("@")
        if owner != service or not revision:
            continue  # LIKE treats `_` as a wildcard
        kinds.setdefault(revision, set()).add(kind)
        if kind in SBOM_KINDS or kind == "slsa-provenance":
            decoded[ev_id] = revision
    purls: dict[str, set[str]] = {r: set() for r in kinds}
    sources: dict[str, set[str]] = {r: set() for r in kinds}
    ids = sorted(decoded)
    for start in range(0, len(ids), 500):
        for ev_id, facts in session.execute(
            select(Evidence.id, Evidence.facts).where(Evidence.id.in_(ids[start : start + 500]))
        ):
            revision = decoded[ev_id]
            for package in (facts or {}).get("packages", ()):
                purl = package.get("purl") if isinstance(package, dict) else None
                if isinstance(purl, str) and purl.startswith("pkg:"):
                    purls[revision].add(purl)
            for material in (facts or {}).get("materials", ()):
                uri = str(material.get("uri", "")) if isinstance(material, dict) else ""
                if uri.startswith("pkg:"):
                    purls[revision].add(uri)
                digest = material.get("digest") if isinstance(material, dict) else None
                commit = (digest or {}).get("gitCommit") or (digest or {}).get("sha1")
                if isinstance(commit, str) and commit:
                    sources[revision].add(commit.lower())
    return [
        RevisionEvidence(
            revision,
            frozenset(kinds[revision]),
            tuple(sorted(purls[revision])),
            tuple(sorted(sources[revision])),
        )
        for revision in sorted(kinds)
    ]


def evidence_kinds() -> list[str]:
    """The kinds of evidence file the compliance context reads (`junit`, `sarif`, `cyclonedx`, ...)."""
    return parsers.kinds()


def _records_for(
    session: Session, system: SystemInfo, now: dt.datetime | None = None, recent_days: int = 30
) -> list[EvidenceRecord]:
    """The evidence an assessment at `now` can use: for each subject and kind, the newest record and the
    newest unexpired one; every scan and SBOM of the last `recent_days` (each scanner's newest says what is
    open; first-seen times come from `compliance_finding_seen`); every VEX document (their statements add
    up), attestation and provenance. The facts of the rest are never decoded, which keeps a large evidence
    history cheap."""
    from sqlalchemy import or_

    owners = [*system.services, system.name]
    where = or_(Evidence.subject.in_(owners), *[Evidence.subject.like(f"{o}@%") for o in owners])
    heads = session.execute(
        select(
            Evidence.id, Evidence.kind, Evidence.subject, Evidence.collected_at, Evidence.expires_at
        ).where(where)
    ).all()
    newest: dict[tuple[str, str], tuple[dt.datetime, int]] = {}
    newest_live: dict[tuple[str, str], tuple[dt.datetime, int]] = {}
    wanted: set[int] = set()
    for ev_id, kind, subject, collected, expires in heads:
        at = aware(collected)
        if now is not None and at > now:
            continue
        if kind in ("attestation", "slsa-provenance", "vex"):  # histories that matter
            wanted.add(ev_id)
            continue
        if kind in FINDING_KINDS and (now is None or at >= now - dt.timedelta(days=recent_days)):
            wanted.add(ev_id)  # one of the scanners' recent records
        key = (subject.split("@", 1)[0], kind)
        if key not in newest or at > newest[key][0]:
            newest[key] = (at, ev_id)
        live = expires is None or now is None or aware(expires) > now
        if live and (key not in newest_live or at > newest_live[key][0]):
            newest_live[key] = (at, ev_id)
    wanted |= {i for _at, i in newest.values()} | {i for _at, i in newest_live.values()}
    records: list[EvidenceRecord] = []
    ids = sorted(wanted)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(
                Evidence.id,
                Evidence.kind,
                Evidence.subject,
                Evidence.collected_at,
                Evidence.expires_at,
                Evidence.facts,
                Evidence.source,
                Evidence.sha256,
            ).where(Evidence.id.in_(ids[start : start + 500]))
        )
        records += [
            EvidenceRecord(r[0], r[1], r[2], aware(r[3]), aware(r[4]) if r[4] else None, r[5], r[6], r[7])
            for r in rows
        ]
    return records


# -- evidence derived from the delivery context ------------------------------------------------------------


def derived_evidence(
    session: Session,
    system: SystemInfo,
    now: dt.datetime,
    window_days: int,
    provenance: Sequence[EvidenceRecord],
) -> list[EvidenceRecord]:
    """Evidence from delivery's records over the last `window_days`: whether each production change was
    reviewed by someone other than its author, and whether each production deployment's revision carries
    build provenance from the pipeline (a service delivery does not know has none)."""
    from missionos.delivery.service import production_changes, production_deployments

    window = Window(now - dt.timedelta(days=window_days), now)
    out: list[EvidenceRecord] = []
    for name in system.services:
        try:
            changes = production_changes(session, name, window)
            deployments = production_deployments(session, name, window)
        except NotFoundError:
            continue  # a service delivery does not know has no derived evidence
        unreviewed = [c for c in changes if not c.reviewed]
        out.append(
            EvidenceRecord(
                None,
                "delivery.changes",
                name,
                now,
                None,
                {
                    "changes": len(changes),
                    "reviewed": len(changes) - len(unreviewed),
                    "unreviewed": len(unreviewed),
                    "unreviewed_changes": [c.sha for c in unreviewed[:20]],
                },
                "delivery",
            )
        )
        built = built_revisions(provenance, name)
        ungated = [d for d in deployments if not _has_provenance(d.revision, built)]
        out.append(
            EvidenceRecord(
                None,
                "delivery.deployments",
                name,
                now,
                None,
                {
                    "deployments": len(deployments),
                    "ungated": len(ungated),
                    "ungated_deployments": [f"{d.id} ({d.revision[:12]})" for d in ungated[:20]],
                },
                "delivery",
            )
        )
    return out


def built_revisions(provenance: Sequence[EvidenceRecord], service: str) -> set[str]:
    """Every source revision (git commit) that build provenance of `service` names as a material."""
    found: set[str] = set()
    for ev in provenance:
        if ev.owner == service:
            for material in ev.facts.get("materials", ()):
                found.update(str(v).lower() for v in (material.get("digest") or {}).values())
    return found


def _has_provenance(revision: str, built: set[str]) -> bool:
    rev = (revision or "").lower()
    return bool(rev) and (
        rev in built or any(b.startswith(rev) or rev.startswith(b) for b in built if len(b) >= 7)
    )


# -- assessments -------------------------------------------------------------------------------------------


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


# -- the drift gate ----------------------------------------------------------------------------------------


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


__all__ = [
    "DERIVED_KINDS",
    "STATUSES",
    "STATUS_KEYS",
    "Assessed",
    "BaselineInfo",
    "ConflictError",
    "EvidenceInfo",
    "GateVerdict",
    "RevisionEvidence",
    "StoredAssessment",
    "SystemInfo",
    "accept_baseline",
    "accepted_baseline",
    "add_evidence",
    "add_evidence_batch",
    "assess_system",
    "assessed_files",
    "attest",
    "compare",
    "controls",
    "define_system",
    "derived_evidence",
    "evidence_kinds",
    "forget_assessments",
    "freshness",
    "gate",
    "get_evidence",
    "get_system",
    "history",
    "latest",
    "latest_files",
    "list_evidence",
    "list_systems",
    "poam_items",
    "revision_evidence",
    "set_threshold",
    "set_trust_policy",
]


# -- what the authorizing official reads -------------------------------------------------------------------

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


def assess_result(stored: StoredAssessment) -> Result:
    """The `Result` of a stored assessment."""
    from missionos.compliance.assess import result_from_stored

    return result_from_stored(stored.system, stored.baseline, stored.pack, stored.assessed_at, stored.results)


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


# --- team limits -------------------------------------------------------------------------------------------


def system_teams(session: Session, info: SystemInfo, teams: dict[str, str | None] | None = None) -> set[str]:
    """The teams that own a system: those of its services."""
    from missionos.delivery.service import service_teams

    teams = service_teams(session) if teams is None else teams
    return {t for s in info.services if (t := teams.get(s)) is not None}


def require_system(session: Session, who: Principal | None, name: str, role: str) -> None:
    """ForbiddenError unless `who` holds `role` for every team of system `name` (NotFoundError if unknown)."""
    if who is None:
        return
    info = get_system(session, name)
    limits.require_team(who, None, role)
    for team in sorted(system_teams(session, info)):
        limits.require_team(who, team, role)


def visible_systems(session: Session, who: Principal | None) -> list[SystemInfo]:
    """The systems `who` may read: those whose every team is one of theirs."""
    systems = list_systems(session)
    if limits.team_filter(who) is None:
        return systems
    from missionos.delivery.service import service_teams

    teams = service_teams(session)
    return [s for s in systems if all(limits.sees(who, t) for t in system_teams(session, s, teams))]


def require_subject(session: Session, who: Principal | None, subject: str, role: str) -> None:
    """ForbiddenError unless `who` holds `role` for an evidence subject: a system (its teams), or a service
    (`service` or `service@run`, its team)."""
    if who is None:
        return
    owner = subject.partition("@")[0]
    if session.scalar(select(System.id).where(System.name == owner)) is not None:
        require_system(session, who, owner, role)
        return
    from missionos.delivery.service import require_services

    require_services(session, who, [owner], role)
    limits.require_team(who, None, role)
