"""Tables owned by the accounts context (prefix `accounts_`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Index, Integer, String, Text
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
