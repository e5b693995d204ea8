"""Applying a plan: validate the whole document, store it as a new version, cite the verdicts it rests on."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos.accounts import Principal, audit, limits
from missionos.errors import ConflictError, FieldError
from missionos.store import Database, utcnow
from missionos.strategy import loop, models
from missionos.strategy.diff import diff_documents
from missionos.strategy.evaluation import evaluate_plan, measure_direction
from missionos.strategy.litmus import Finding
from missionos.strategy.plan import Plan, parse_plan
from missionos.strategy.plans import _row, _version_row, get_plan, validate_parent


@dataclass(frozen=True)
class Applied:
    key: str
    version: int
    changed: bool
    changes: tuple[str, ...]
    findings: tuple[Finding, ...] = ()  # the litmus check of the stored version, as of today
    evidence: tuple[dict[str, Any], ...] = ()  # the verdicts a new version cites


def apply_plan(
    db: Database,
    text: str,
    *,
    source: str = "plan",
    actor: str,
    expect_key: str | None = None,
    with_findings: bool = False,
    as_of: dt.date | None = None,
    reason: str = "",
    by: Principal | None = None,
) -> Applied:
    """Store `text` as a new version of its plan when the plan changed; store nothing when it did not.

    The whole document is validated first (schema, references, goal directions, cascade), so bad input stores
    nothing. A new version records `reason` and cites the verdicts it rests on (`strategy.loop.citations`).
    With `with_findings`, the answer carries the litmus check of the stored plan as of `as_of`. `by` (None:
    the host) must hold the editor role for the plan's team, before and after (a plan with no team: for every
    team).
    """
    applied = _apply_plan(db, text, source=source, actor=actor, expect_key=expect_key, reason=reason, by=by)
    if not with_findings:
        return applied
    with db.session() as session:
        stored = get_plan(session, applied.key)
    view = evaluate_plan(db, stored.plan, as_of=as_of, version=stored.version, with_cascade=False)
    return dataclasses.replace(applied, findings=view.findings)


def _apply_plan(
    db: Database,
    text: str,
    *,
    source: str,
    actor: str,
    expect_key: str | None,
    reason: str,
    by: Principal | None,
) -> Applied:
    reason = reason.strip()
    if len(reason) > 4000:
        raise FieldError("reason", "a text of at most 4000 characters")
    plan = parse_plan(text, source=source, directions=measure_direction)
    if expect_key is not None and plan.key != expect_key:
        raise FieldError("plan", f"{expect_key} (this page edits that plan; create others with apply)")
    _require_plan_team(by, plan.team)
    with db.session() as session:
        validate_parent(session, plan)
        row = _row(session, plan.key)
        before: dict[str, Any] | None = None
        if row is not None:
            current = _version_row(session, plan.key)
            _require_plan_team(by, current.document.get("team"))
            if current.digest == plan.digest:
                return Applied(plan.key, current.version, False, ())
            before = current.document
            _refuse_orphaning_children(session, plan)
        else:
            row = models.Plan(key=plan.key, title=plan.title, current_version=0)
            session.add(row)
            session.flush()
        version = row.current_version + 1
        cited = loop.citations(db, session, plan.key, before)
        session.add(
            models.PlanVersion(
                plan_id=row.id,
                version=version,
                digest=plan.digest,
                document=plan.document,
                source=text,
                actor=actor,
                created_at=utcnow(),
                rationale=reason,
                evidence=cited or None,
            )
        )
        row.current_version = version
        row.title = plan.title
        row.parent_plan = plan.parent_plan
        row.parent_strategy = plan.parent_strategy
        row.updated_at = utcnow()
        changes = tuple(diff_documents(before, plan.document)) if before is not None else ()
        audit.record(
            session,
            actor=actor,
            action="create" if before is None else "update",
            kind="plan",
            key=plan.key,
            before=before,
            after=plan.document,
        )
    return Applied(plan.key, version, True, changes, evidence=tuple(cited))


def _require_plan_team(who: Principal | None, team: str | None) -> None:
    """A plan of a team is changed by editors of that team; a plan of no team (the program's) by editors of
    every team."""
    if team is None:
        limits.require_all_teams(who, "editor")
    else:
        limits.require_team(who, team, "editor")


def _refuse_orphaning_children(session: Session, plan: Plan) -> None:
    ids = {s.id for s in plan.strategies}
    children = session.scalars(select(models.Plan).where(models.Plan.parent_plan == plan.key)).all()
    for child in children:
        if child.parent_strategy not in ids:
            raise ConflictError(
                f"plan {child.key} cascades from strategy {child.parent_strategy} of {plan.key}, "
                "which this version removes; re-parent or remove that plan first"
            )
