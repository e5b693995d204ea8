"""Tables owned by the strategy context (prefix `strategy_`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from missionos.store import Base, utcnow


class Plan(Base):
    """One OGSM plan by its id; its content lives in its versions, the newest being current."""

    __tablename__ = "strategy_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(2000), default="")
    parent_plan: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    parent_strategy: Mapped[str | None] = mapped_column(String(50), nullable=True)
    current_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    versions: Mapped[list[PlanVersion]] = relationship(
        back_populates="plan", order_by="PlanVersion.version", cascade="all, delete-orphan"
    )


class PlanVersion(Base):
    """A saved version of a plan: the validated document, the text it came from, and its digest."""

    __tablename__ = "strategy_plan_version"
    __table_args__ = (UniqueConstraint("plan_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("strategy_plan.id"))
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    document: Mapped[Any] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Why this version was made, and the verdicts it rests on (docs/loop.md): [{bet, status, effect, ...}].
    rationale: Mapped[str] = mapped_column(Text, default="", server_default="")
    evidence: Mapped[Any] = mapped_column(JSON, nullable=True)

    plan: Mapped[Plan] = relationship(back_populates="versions")


class ManualValue(Base):
    """A value of a manual series, for goals that no system measures yet; one value per series and moment."""

    __tablename__ = "strategy_manual_value"
    __table_args__ = (UniqueConstraint("series", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series: Mapped[str] = mapped_column(String(100), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    value: Mapped[float] = mapped_column(Float)
    actor: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class HandVerdict(Base):
    """A bet's verdict recorded by hand; a verdict the registry publishes for the bet's experiment wins."""

    __tablename__ = "strategy_hand_verdict"
    __table_args__ = (UniqueConstraint("plan_key", "bet_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(100))
    bet_id: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20))
    evidence_url: Mapped[str] = mapped_column(String(2000), default="")
    actor: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
