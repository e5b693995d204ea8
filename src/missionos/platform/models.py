"""Tables owned by the platform context (prefix `platform_`): offers, teams' needs, deployment bindings."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from missionos.store import Base, utcnow


class Offer(Base):
    """One thing a platform advertises: a language or runtime, a backing service, a network zone or a
    pipeline stage. Whether it is verified is computed from production deployments, never stored."""

    __tablename__ = "platform_offer"
    __table_args__ = (UniqueConstraint("kind", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # How a deployment shows it used the offer: a language's purl types, a stage's evidence kind.
    proof: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TeamNeeds(Base):
    """What a team's services need from the platform, when the team was created, and its hello-world probe."""

    __tablename__ = "platform_team"

    id: Mapped[int] = mapped_column(primary_key=True)
    team: Mapped[str] = mapped_column(String(200), unique=True)
    created: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    probe: Mapped[str | None] = mapped_column(String(200))
    # {"language": [...], "service": [...], "zone": [...], "stage": [...]}
    needs: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Binding(Base):
    """What one deployment was bound to, as the platform's deploy manifest records it: its network zone and
    the backing services it was given."""

    __tablename__ = "platform_binding"
    __table_args__ = (UniqueConstraint("service", "deployment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service: Mapped[str] = mapped_column(String(200))
    deployment: Mapped[str] = mapped_column(String(200))
    zone: Mapped[str | None] = mapped_column(String(200))
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
