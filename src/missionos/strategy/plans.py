"""Stored plans: their versions, the cascade of plans beneath plans, and what changed between versions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos.errors import FieldError, NotFoundError
from missionos.strategy import models
from missionos.strategy.diff import diff_documents
from missionos.strategy.plan import Plan, plan_from_document, to_yaml


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class StoredPlan:
    plan: Plan
    version: int
    source: str
    saved_at: dt.datetime
    actor: str


@dataclass(frozen=True)
class VersionInfo:
    version: int
    saved_at: dt.datetime
    actor: str
    digest: str
    changes: tuple[str, ...]  # against the version before it
    rationale: str = ""  # why it was made (`apply --reason`)
    evidence: tuple[dict[str, Any], ...] = ()  # the verdicts it cites (strategy.loop.citations)


@dataclass(frozen=True)
class PlanSummary:
    key: str
    title: str
    parent_plan: str | None
    parent_strategy: str | None
    version: int
    updated_at: dt.datetime


def _row(session: Session, key: str) -> models.Plan | None:
    return session.scalar(select(models.Plan).where(models.Plan.key == key))


def _version_row(session: Session, key: str, version: int | None = None) -> models.PlanVersion:
    row = _row(session, key)
    if row is None:
        raise NotFoundError("plan", key)
    number = row.current_version if version is None else version
    found = session.scalar(
        select(models.PlanVersion).where(
            models.PlanVersion.plan_id == row.id, models.PlanVersion.version == number
        )
    )
    if found is None:
        raise NotFoundError("version of plan " + key, str(number))
    return found


def get_plan(session: Session, key: str, version: int | None = None) -> StoredPlan:
    """A stored plan: its current version, or the version asked for."""
    row = _version_row(session, key, version)
    return StoredPlan(
        plan_from_document(row.document, source=f"{key} v{row.version}"),
        row.version,
        row.source,
        _aware(row.created_at),
        row.actor,
    )


def list_plans(session: Session) -> list[PlanSummary]:
    """Every stored plan, parents before their children, then by id."""
    rows = session.scalars(select(models.Plan).order_by(models.Plan.key)).all()
    summaries = [
        PlanSummary(r.key, r.title, r.parent_plan, r.parent_strategy, r.current_version, _aware(r.updated_at))
        for r in rows
    ]
    by_parent: dict[str | None, list[PlanSummary]] = {}
    keys = {s.key for s in summaries}
    for s in summaries:
        by_parent.setdefault(s.parent_plan if s.parent_plan in keys else None, []).append(s)
    ordered: list[PlanSummary] = []

    def walk(parent: str | None) -> None:
        for child in by_parent.get(parent, []):
            ordered.append(child)
            walk(child.key)

    walk(None)
    return ordered


def home_plan(session: Session) -> str | None:
    """The plan the home page shows: the top-level plan with the most plans cascaded beneath it."""
    plans = list_plans(session)
    if not plans:
        return None
    roots = [p for p in plans if p.parent_plan is None or p.parent_plan not in {q.key for q in plans}]

    def descendants(key: str) -> int:
        children = [p for p in plans if p.parent_plan == key]
        return len(children) + sum(descendants(c.key) for c in children)

    return max(roots, key=lambda p: (descendants(p.key), -ord(p.key[0]) if p.key else 0)).key


def validate_parent(session: Session, plan: Plan) -> None:
    """The cascade: a plan's parent must be a stored plan with that strategy, and no plan is its own
    ancestor."""
    if plan.parent_plan is None:
        return
    if plan.parent_plan == plan.key:
        raise FieldError("parent.plan", "another plan (a plan cannot cascade from itself)")
    try:
        parent = get_plan(session, plan.parent_plan).plan
    except NotFoundError:
        raise FieldError(
            "parent.plan", f"a stored plan (no plan named {plan.parent_plan!r}; apply the parent first)"
        ) from None
    ids = [s.id for s in parent.strategies]
    if plan.parent_strategy not in ids:
        raise FieldError(
            "parent.strategy", f"a strategy of plan {parent.key} ({', '.join(ids) or 'it has none'})"
        )
    seen = {plan.key}
    ancestor: Plan | None = parent
    while ancestor is not None:
        if ancestor.key in seen:
            raise FieldError("parent.plan", f"a plan that does not cascade back to {plan.key}")
        seen.add(ancestor.key)
        ancestor = get_plan(session, ancestor.parent_plan).plan if ancestor.parent_plan else None


def history(session: Session, key: str) -> list[VersionInfo]:
    """Every saved version of a plan, oldest first, each with what changed since the one before."""
    row = _row(session, key)
    if row is None:
        raise NotFoundError("plan", key)
    out: list[VersionInfo] = []
    previous: dict[str, Any] | None = None
    for v in row.versions:
        changes = tuple(diff_documents(previous, v.document)) if previous is not None else ("created",)
        out.append(
            VersionInfo(
                v.version,
                _aware(v.created_at),
                v.actor,
                v.digest,
                changes,
                v.rationale or "",
                tuple(v.evidence or ()),
            )
        )
        previous = v.document
    return out


def diff_versions(session: Session, key: str, old: int, new: int) -> list[str]:
    """What changed from version `old` to version `new` of a plan, in plan terms."""
    return diff_documents(_version_row(session, key, old).document, _version_row(session, key, new).document)


def plan_yaml(session: Session, key: str) -> str:
    """The text to edit for a plan: the YAML it was applied from."""
    stored = get_plan(session, key)
    return stored.source or to_yaml(stored.plan.document)
