"""Tables owned by the delivery context (prefix `delivery_`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from missionos.store import Base, utcnow


class Team(Base):
    __tablename__ = "delivery_team"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(String(2000), default="")

    services: Mapped[list[Service]] = relationship(back_populates="team", order_by="Service.name")


class Service(Base):
    """The unit of deployment (METRICS.md §1)."""

    __tablename__ = "delivery_service"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_team.id"))
    description: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    team: Mapped[Team | None] = relationship(back_populates="services")
    repositories: Mapped[list[Repository]] = relationship(back_populates="service")


class Repository(Base):
    """A git repository of a service, with an optional path prefix for monorepos."""

    __tablename__ = "delivery_repository"
    __table_args__ = (UniqueConstraint("service_id", "location", "path_prefix"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("delivery_service.id"))
    location: Mapped[str] = mapped_column(String(1000))
    path_prefix: Mapped[str] = mapped_column(String(500), default="")
    branch: Mapped[str] = mapped_column(String(200), default="main")

    service: Mapped[Service] = relationship(back_populates="repositories")
