"""Tables owned by the flow context (prefix `flow_`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from missionos.store import Base, utcnow


class WorkItem(Base):
    """A work item from a tracker; (source, key) is its natural key."""

    __tablename__ = "flow_work_item"
    __table_args__ = (UniqueConstraint("source", "key"), Index("ix_flow_work_item_team", "team"))

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    team: Mapped[str | None] = mapped_column(String(200))
    parent: Mapped[str | None] = mapped_column(String(200))


class Transition(Base):
    """A status change of a work item. `from_status` is '' for an item's first recorded status."""

    __tablename__ = "flow_transition"
    __table_args__ = (UniqueConstraint("item_id", "at", "from_status", "to_status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("flow_work_item.id", ondelete="CASCADE"))
    from_status: Mapped[str] = mapped_column(String(200), default="")
    to_status: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Stream(Base):
    """A value-stream definition: its steps and done statuses, as applied from a stream file."""

    __tablename__ = "flow_stream"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    team: Mapped[str | None] = mapped_column(String(200))
    definition: Mapped[dict[str, object]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
