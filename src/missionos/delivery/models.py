"""Tables owned by the delivery context (prefix `delivery_`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from missionos.store import Base, utcnow


class Team(Base):
    __tablename__ = "delivery_team"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(String(2000), default="")

    services: Mapped[list[Service]] = relationship(back_populates="team", order_by="Service.name")


class Service(Base):
    """The unit of deployment (metrics.md §1)."""

    __tablename__ = "delivery_service"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_team.id"))
    description: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Optional configuration (metrics.md §1): where the first deployment's changes start, and the names of
    # this service's production environments (comma-separated; empty means `^(prod|production)$`).
    history_start: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    production_environments: Mapped[str] = mapped_column(String(500), default="", server_default="")

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
    imported_head: Mapped[str | None] = mapped_column(String(64))

    service: Mapped[Service] = relationship(back_populates="repositories")


class Commit(Base):
    """A commit of a repository's branch, as read from git. Merges and commits outside the path prefix are
    kept for the graph (rev-list attribution) and flagged; the changes of metrics.md §1 are the others."""

    __tablename__ = "delivery_commit"
    __table_args__ = (UniqueConstraint("repository_id", "sha"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    repository_id: Mapped[int] = mapped_column(ForeignKey("delivery_repository.id"), index=True)
    sha: Mapped[str] = mapped_column(String(64))
    parents: Mapped[str] = mapped_column(String(1000), default="")
    is_merge: Mapped[bool] = mapped_column(Boolean, default=False)
    touches: Mapped[bool] = mapped_column(Boolean, default=True)
    authored_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    author_offset: Mapped[int] = mapped_column(Integer, default=0)
    committed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    committer_offset: Mapped[int] = mapped_column(Integer, default=0)
    author: Mapped[str] = mapped_column(String(300), default="")
    author_email: Mapped[str] = mapped_column(String(300), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    files: Mapped[str] = mapped_column(Text, default="")
    # Derived by attribution (metrics.md §1): the first production deployment carrying the change, the
    # change's start (its PR's first commit, else its authored_at) and the PR that introduced it.
    deployment_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery_deployment.id", ondelete="SET NULL"), index=True
    )
    start_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    pull_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery_pull_request.id", ondelete="SET NULL")
    )


class PullRequest(Base):
    """A pull (merge) request of a service, with its first review by someone other than its author."""

    __tablename__ = "delivery_pull_request"
    __table_args__ = (UniqueConstraint("service_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("delivery_service.id"), index=True)
    source: Mapped[str] = mapped_column(String(100), default="")
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(1000), default="")
    author: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    merged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    merge_commit_sha: Mapped[str | None] = mapped_column(String(64), index=True)
    commit_shas: Mapped[str] = mapped_column(Text, default="")
    first_commit_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    first_review_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    labels: Mapped[str] = mapped_column(String(2000), default="")

    reviews: Mapped[list[Review]] = relationship(
        back_populates="pull_request", cascade="all, delete-orphan", order_by="Review.submitted_at"
    )


class Review(Base):
    __tablename__ = "delivery_review"
    __table_args__ = (UniqueConstraint("pull_request_id", "author", "submitted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pull_request_id: Mapped[int] = mapped_column(ForeignKey("delivery_pull_request.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(300))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(50), default="commented")

    pull_request: Mapped[PullRequest] = relationship(back_populates="reviews")


class Deployment(Base):
    """A deployment of a service to an environment (metrics.md §1), keyed by (service, external id)."""

    __tablename__ = "delivery_deployment"
    __table_args__ = (
        UniqueConstraint("service_id", "external_id"),
        Index("ix_delivery_deployment_production", "service_id", "is_production", "finished_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("delivery_service.id"))
    external_id: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(100), default="")
    environment: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revision: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20), default="planned")
    # Whether the record said its kind (an explicit `planned` wins over one inferred from the changes).
    kind_explicit: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The kind the metrics use: the record's, or one inferred from its changes and pull-request labels.
    effective_kind: Mapped[str] = mapped_column(String(20), default="planned")
    remediates: Mapped[str] = mapped_column(String(2000), default="")
    # A success to a production environment: the only deployments the four keys count.
    is_production: Mapped[bool] = mapped_column(Boolean, default=False)


class Incident(Base):
    """An incident of a service (metrics.md §1); `cause` is a deployment id or a commit sha, or empty;
    `remediation` is the external id of the deployment of the same service that remediated it, or empty."""

    __tablename__ = "delivery_incident"
    __table_args__ = (
        UniqueConstraint("service_id", "external_id"),
        Index("ix_delivery_incident_remediation", "service_id", "remediation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("delivery_service.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(100), default="")
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    severity: Mapped[str] = mapped_column(String(50), default="")
    cause: Mapped[str | None] = mapped_column(String(200))
    remediation: Mapped[str | None] = mapped_column(String(200))


class DeliverySettings(Base):
    """The organization's delivery settings (metrics.md §1): how a deployment's kind is inferred from its
    changes, and how far back an incident without a cause looks for its deployment. One row, id 1."""

    __tablename__ = "delivery_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    infer_kinds: Mapped[bool] = mapped_column(Boolean, default=True)
    rollback_pattern: Mapped[str] = mapped_column(String(1000), default="")
    hotfix_pattern: Mapped[str] = mapped_column(String(1000), default="")
    attribution_window_minutes: Mapped[int] = mapped_column(Integer, default=7 * 24 * 60)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
