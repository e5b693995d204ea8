"""Tables owned by the accounts context (prefix `accounts_`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from missionos.store import Base, utcnow


class AuditEvent(Base):
    """One write: who, when, what, and the object before and after. Rows are never updated or deleted."""

    __tablename__ = "accounts_audit_event"
    __table_args__ = (Index("ix_accounts_audit_event_object", "kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50))  # create | update | delete | ...
    kind: Mapped[str] = mapped_column(String(100))  # plan | flag | mapping | attestation | token | user ...
    key: Mapped[str] = mapped_column(String(500))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)


class User(Base):
    """A person who signs in: a local account (with a password hash) or one asserted by a trusted proxy."""

    __tablename__ = "accounts_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20))  # viewer | editor | admin
    teams: Mapped[Any] = mapped_column(JSON, nullable=True)  # list of team names; null: every team
    password_hash: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # Bumped on sign-out, password change and disabling, which ends every session signed before it.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiToken(Base):
    """An API token. Only a SHA-256 of its secret part is kept; the token is shown once, at creation."""

    __tablename__ = "accounts_api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(32), unique=True)  # public part, used to find the row
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(10))  # read | write | admin
    team: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Setting(Base):
    """Server-wide secrets and settings shared by every worker (the session key, webhook secrets)."""

    __tablename__ = "accounts_setting"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Throttle(Base):
    """One attempt at a rate-limited action (sign-in, token creation), kept in the database so that every
    worker and host counts the same attempts."""

    __tablename__ = "accounts_throttle"
    __table_args__ = (Index("ix_accounts_throttle_bucket", "bucket", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(300))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class WebhookDelivery(Base):
    """A webhook delivery exactly as received (raw body), stored before it is processed, once per id."""

    __tablename__ = "accounts_webhook_delivery"
    __table_args__ = (
        UniqueConstraint("source", "delivery_id"),
        Index("ix_accounts_webhook_delivery_status", "status"),
        Index("ix_accounts_webhook_delivery_body", "source", "body_sha256", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))  # github | gitlab | events
    delivery_id: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(100))
    headers: Mapped[Any] = mapped_column(JSON)  # the non-secret headers that processing needs
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    # The SHA-256 of the payload: a body seen within the replay window is a replay, whatever its delivery id.
    body_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="received")  # received|processed|ignored|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    processed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WebhookReview(Base):
    """A pull-request review seen in a webhook. Review events arrive one at a time while the delivery service
    replaces a pull request's reviews as a set, so each webhook upsert sends every review seen so far."""

    __tablename__ = "accounts_webhook_review"
    __table_args__ = (UniqueConstraint("source", "service", "number", "author", "submitted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    service: Mapped[str] = mapped_column(String(200))
    number: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(300))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(50))


class SyncRun(Base):
    """One run of a configured source (`missionos sync`): when, what it read and wrote, or why it failed. A
    source's next run reads from the start of its last successful one (`since`)."""

    __tablename__ = "accounts_sync_run"
    __table_args__ = (Index("ix_accounts_sync_run_source", "source", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # running | ok | failed
    since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    summary: Mapped[Any] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
