"""Tables owned by the compliance context (prefix `compliance_`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from missionos.store import Base, utcnow


class System(Base):
    """An information system under authorization: its services, baseline and control provider."""

    __tablename__ = "compliance_system"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(String(2000), default="")
    baseline: Mapped[str] = mapped_column(String(500), default="moderate")
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    provider: Mapped[str | None] = mapped_column(String(200))  # inherits platform controls from
    pack: Mapped[str | None] = mapped_column(String(1000))  # the organization's own mapping pack, if any
    # days a finding of each severity may stay open, where this system differs from its pack
    remediation_days: Mapped[dict[str, int] | None] = mapped_column(JSON)
    # the provider's leveraged authorization ({"title", "date_authorized"}), behind inherited controls
    provider_authorization: Mapped[dict[str, str] | None] = mapped_column(JSON)
    # who may build and sign the system's artifacts ({"builders", "sources", "signers"}: glob patterns)
    trust_policy: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="system", order_by="Assessment.assessed_at", cascade="all, delete-orphan"
    )


class Evidence(Base):
    """One evidence record: a parsed artifact (or a person's attestation) about a subject."""

    __tablename__ = "compliance_evidence"
    __table_args__ = (
        UniqueConstraint("kind", "subject", "sha256"),
        Index("ix_compliance_evidence_subject_kind", "subject", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    source: Mapped[str] = mapped_column(String(1000))
    subject: Mapped[str] = mapped_column(String(500))
    collected_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sha256: Mapped[str] = mapped_column(String(64))
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    raw_path: Mapped[str] = mapped_column(String(1000), default="")
    recorded_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EvidenceFile(Base):
    """A raw evidence file as it came, once per SHA-256, so every server host reads the same files."""

    __tablename__ = "compliance_evidence_file"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FindingSeen(Base):
    """When a finding (a rule at a location, by its fingerprint) was first seen for a subject, over every
    evidence file ever stored, so an old vulnerability never looks new again."""

    __tablename__ = "compliance_finding_seen"
    __table_args__ = (UniqueConstraint("subject", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(500))  # the service or system (the subject up to any @)
    key: Mapped[str] = mapped_column(String(64))  # SHA-256 of the fingerprint
    fingerprint: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("compliance_evidence.id", ondelete="SET NULL"))


class Assessment(Base):
    """One assessment of a system: the status of every baseline control at a moment."""

    __tablename__ = "compliance_assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("compliance_system.id", ondelete="CASCADE"))
    assessed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    baseline: Mapped[str] = mapped_column(String(500))
    pack: Mapped[str] = mapped_column(String(500))
    counts: Mapped[dict[str, int]] = mapped_column(JSON)
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    notes: Mapped[str] = mapped_column(Text, default="")

    system: Mapped[System] = relationship(back_populates="assessments")


class Threshold(Base):
    """The least a system must keep for the drift gate: a floor on satisfied-or-inherited controls."""

    __tablename__ = "compliance_threshold"

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(
        ForeignKey("compliance_system.id", ondelete="CASCADE"), unique=True
    )
    min_share: Mapped[float] = mapped_column(default=0.0)
    max_open_findings: Mapped[int | None] = mapped_column()
    set_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AcceptedBaseline(Base):
    """The assessment the drift gate compares against, kept until someone accepts another one."""

    __tablename__ = "compliance_baseline"

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(
        ForeignKey("compliance_system.id", ondelete="CASCADE"), unique=True
    )
    assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("compliance_assessment.id", ondelete="SET NULL")
    )
    assessed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    satisfied_share: Mapped[float] = mapped_column()
    statuses: Mapped[dict[str, str]] = mapped_column(JSON)  # control -> status
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # the open findings, as the gate compares
    accepted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    accepted_by: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class SigningKey(Base):
    """A public key the organization trusts to sign attestations (DSSE envelopes such as SLSA provenance)."""

    __tablename__ = "compliance_signing_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    public_key: Mapped[str] = mapped_column(Text)  # PEM
    key_id: Mapped[str] = mapped_column(String(64))  # SHA-256 of the DER SubjectPublicKeyInfo
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    added_by: Mapped[str] = mapped_column(String(200), default="")
