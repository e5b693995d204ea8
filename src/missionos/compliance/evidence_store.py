"""The evidence store: pipeline evidence files and attestations as recorded (raw files kept by SHA-256,
their parsed facts, when each finding was first seen), the trusted signing keys, what the pipeline
recorded per build, and the evidence an assessment reads, including what is derived from delivery.

The parsing of the files themselves is `evidence`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from missionos import config
from missionos.accounts import audit
from missionos.compliance import evidence as parsers
from missionos.compliance import signatures
from missionos.compliance.assess import FINDING_KINDS, EvidenceRecord
from missionos.compliance.catalog import load_baseline
from missionos.compliance.models import Evidence, EvidenceFile, FindingSeen, SigningKey
from missionos.compliance.systems import SystemInfo, get_system
from missionos.errors import ConflictError, FieldError, InputError, NotFoundError
from missionos.measures import Window
from missionos.store import utcnow

DERIVED_KINDS = ("delivery.changes", "delivery.deployments")


def aware(moment: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; everything is stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


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
    from missionos.delivery import production_changes, production_deployments

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
