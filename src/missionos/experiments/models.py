"""Tables owned by the experiments context (prefix `experiments_`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from missionos.store import Base, utcnow


class Flag(Base):
    """A feature flag: its GrowthBook feature definition (defaultValue and rules) at its current version."""

    __tablename__ = "experiments_flag"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    service: Mapped[str | None] = mapped_column(String(200), nullable=True)
    description: Mapped[str] = mapped_column(String(2000), default="")
    value_type: Mapped[str] = mapped_column(String(20), default="boolean")
    definition: Mapped[Any] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    archived: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class FlagVersion(Base):
    """One saved version of a flag; rows are never updated, so the history is complete."""

    __tablename__ = "experiments_flag_version"
    __table_args__ = (UniqueConstraint("flag_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("experiments_flag.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[Any] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(String(2000), default="")
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str] = mapped_column(String(2000), default="")


class Experiment(Base):
    """An experiment's pre-registered design: its flag, variations, allocation, metrics and decision rule."""

    __tablename__ = "experiments_experiment"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    flag_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    service: Mapped[str | None] = mapped_column(String(200), nullable=True)
    hypothesis: Mapped[str] = mapped_column(Text, default="")
    variations: Mapped[Any] = mapped_column(JSON)  # variation keys, control first
    weights: Mapped[Any] = mapped_column(JSON)
    primary_metric: Mapped[str] = mapped_column(String(200))
    guardrails: Mapped[Any] = mapped_column(JSON, default=list)
    secondary: Mapped[Any] = mapped_column(JSON, default=list)
    direction: Mapped[str] = mapped_column(String(10), default="higher")
    mme: Mapped[float] = mapped_column(Float, default=0.0)
    planned_sample: Mapped[int | None] = mapped_column(Integer, nullable=True)
    alpha: Mapped[float] = mapped_column(Float, default=0.05)
    method: Mapped[str] = mapped_column(String(20), default="frequentist")
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="running")


class Metric(Base):
    """A metric computed from metric events: a proportion (did the unit do it), a mean or a ratio."""

    __tablename__ = "experiments_metric"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))  # proportion | mean | ratio
    event: Mapped[str] = mapped_column(String(200))
    denominator_event: Mapped[str | None] = mapped_column(String(200), nullable=True)
    direction: Mapped[str] = mapped_column(String(10), default="higher")
    description: Mapped[str] = mapped_column(String(2000), default="")


class Exposure(Base):
    """A unit seeing a variation of an experiment. Every exposure is kept; analysis counts the first."""

    __tablename__ = "experiments_exposure"
    __table_args__ = (
        UniqueConstraint("experiment_key", "unit_id", "variation", "exposed_at"),
        Index("ix_experiments_exposure_unit", "experiment_key", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    experiment_key: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[str] = mapped_column(String(200))
    variation: Mapped[str] = mapped_column(String(200))
    exposed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class MetricEvent(Base):
    """Something a unit did, with a value (1 for a plain occurrence); keyed for idempotent imports."""

    __tablename__ = "experiments_event"
    __table_args__ = (Index("ix_experiments_event_unit", "event", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(200))
    value: Mapped[float] = mapped_column(Float, default=1.0)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ClientKey(Base):
    """A key under which SDKs fetch the feature payload (`/api/features/{key}`), optionally encrypted."""

    __tablename__ = "experiments_client_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(String(2000), default="")
    encryption_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StickyBucket(Base):
    """One user's sticky-bucket assignment document (GrowthBook's StickyBucketService format): for an
    attribute value, the variation each sticky experiment put it in, keyed `<experiment>__<bucketVersion>`."""

    __tablename__ = "experiments_sticky_bucket"
    __table_args__ = (UniqueConstraint("attribute_name", "attribute_value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attribute_name: Mapped[str] = mapped_column(String(200))
    attribute_value: Mapped[str] = mapped_column(String(500))
    assignments: Mapped[Any] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
