"""Tables owned by the friction context (prefix `friction_`): blockers and the value of a stream's day."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from missionos.store import Base, utcnow


class Blocker(Base):
    """A blocker or piece of red tape that slows a value stream, until it is cleared."""

    __tablename__ = "friction_blocker"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    owner: Mapped[str] = mapped_column(String(200))
    teams: Mapped[list[str]] = mapped_column(JSON, default=list)
    stream: Mapped[str] = mapped_column(String(200))
    step: Mapped[str | None] = mapped_column(String(200))
    raised_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    decision: Mapped[str] = mapped_column(Text, default="")
    effort_days: Mapped[float] = mapped_column(Float)
    # The wait it adds to each item, in days, when the one who records it knows better than the flow data.
    wait_days: Mapped[float | None] = mapped_column(Float)
    cleared_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    cleared_by: Mapped[str | None] = mapped_column(String(200))
    clearance: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StreamValue(Base):
    """What a day of delay of one item of a value stream is worth (the cost-of-delay rate)."""

    __tablename__ = "friction_stream_value"

    id: Mapped[int] = mapped_column(primary_key=True)
    stream: Mapped[str] = mapped_column(String(200), unique=True)
    value_per_day: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(10), default="USD")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
