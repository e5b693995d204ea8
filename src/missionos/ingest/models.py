"""Tables owned by the ingest context (prefix `ingest_`): webhook deliveries as received, the reviews they
carried, and the runs of configured sources."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from missionos.store import Base, utcnow


class WebhookDelivery(Base):
    """A webhook delivery exactly as received (raw body), stored before it is processed, once per id."""

    __tablename__ = "ingest_webhook_delivery"
    __table_args__ = (
        UniqueConstraint("source", "delivery_id"),
        Index("ix_ingest_webhook_delivery_status", "status"),
        Index("ix_ingest_webhook_delivery_body", "source", "body_sha256", "received_at"),
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

    __tablename__ = "ingest_webhook_review"
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

    __tablename__ = "ingest_sync_run"
    __table_args__ = (Index("ix_ingest_sync_run_source", "source", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # running | ok | failed
    since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    summary: Mapped[Any] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
