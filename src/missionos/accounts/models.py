"""Tables owned by the accounts context (prefix `accounts_`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Index, String
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
