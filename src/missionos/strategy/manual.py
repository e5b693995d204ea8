"""Manual series (values recorded by hand) and hand verdicts on bets."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos.accounts import audit
from missionos.errors import FieldError, NotFoundError
from missionos.store import Database, utcnow
from missionos.strategy import models
from missionos.strategy.plan import Bet
from missionos.strategy.plans import _aware, get_plan, list_plans

VERDICT_STATUSES = ("validated", "invalidated", "inconclusive", "invalid", "too early")


def record_value(db: Database, series: str, value: float, at: dt.datetime, *, actor: str) -> bool:
    """Record a manual series value at `at` (UTC); a second value at the same moment replaces the first.
    Returns whether anything changed."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,99}", series):
        raise FieldError("SERIES", "a series name of lowercase letters, digits, '.', '_' or '-'")
    if at.tzinfo is None:
        raise FieldError("--at", "a time with a UTC offset")
    at = at.astimezone(dt.UTC)
    with db.session() as session:
        row = session.scalar(
            select(models.ManualValue).where(models.ManualValue.series == series, models.ManualValue.at == at)
        )
        if row is not None and row.value == value:
            return False
        before = None if row is None else {"at": at.isoformat(), "value": row.value}
        if row is None:
            session.add(
                models.ManualValue(series=series, at=at, value=value, actor=actor, recorded_at=utcnow())
            )
        else:
            row.value = value
            row.actor = actor
            row.recorded_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action="record" if before is None else "update",
            kind="manual-value",
            key=series,
            before=before,
            after={"at": at.isoformat(), "value": value},
        )
    return True


def manual_values(
    session: Session, series: str, *, since: dt.datetime, until: dt.datetime
) -> list[tuple[dt.datetime, float]]:
    """Values of a manual series in [since, until), oldest first."""
    rows = session.scalars(
        select(models.ManualValue)
        .where(
            models.ManualValue.series == series, models.ManualValue.at >= since, models.ManualValue.at < until
        )
        .order_by(models.ManualValue.at)
    )
    return [(_aware(r.at), r.value) for r in rows]


def manual_series_names(session: Session) -> list[str]:
    return list(
        session.scalars(select(models.ManualValue.series).distinct().order_by(models.ManualValue.series))
    )


def find_bet(session: Session, reference: str) -> tuple[str, Bet]:
    """A bet by `PLAN/BET`, by bet id or by experiment key, across the current versions of stored plans."""
    plans = [get_plan(session, p.key).plan for p in list_plans(session)]
    if "/" in reference:
        plan_key, bet_id = reference.split("/", 1)
        plan = next((p for p in plans if p.key == plan_key), None)
        if plan is None:
            raise NotFoundError("plan", plan_key)
        bet = next((b for b in plan.bets if b.id == bet_id), None)
        if bet is None:
            raise NotFoundError(f"bet in plan {plan_key}", bet_id)
        return plan.key, bet
    matches = [(p.key, b) for p in plans for b in p.bets if reference in (b.id, b.flag)]
    if not matches:
        raise NotFoundError("bet", reference)
    if len(matches) > 1:
        raise FieldError(
            "BET", "one bet; name it as PLAN/BET: " + ", ".join(f"{k}/{b.id}" for k, b in matches)
        )
    return matches[0]


def record_verdict(
    db: Database, reference: str, status: str, *, evidence: str, actor: str
) -> tuple[str, str]:
    """Record a bet's verdict by hand (until an experiment publishes one through the registry, which wins)."""
    if status not in VERDICT_STATUSES:
        raise FieldError("STATUS", "|".join(VERDICT_STATUSES))
    with db.session() as session:
        plan_key, bet = find_bet(session, reference)
        row = session.scalar(
            select(models.HandVerdict).where(
                models.HandVerdict.plan_key == plan_key, models.HandVerdict.bet_id == bet.id
            )
        )
        before = None if row is None else {"status": row.status, "evidence": row.evidence_url}
        after = {"status": status, "evidence": evidence}
        if before == after:
            return plan_key, bet.id
        if row is None:
            row = models.HandVerdict(plan_key=plan_key, bet_id=bet.id, status=status, evidence_url=evidence)
            session.add(row)
        row.status, row.evidence_url, row.actor, row.decided_at = status, evidence, actor, utcnow()
        audit.record(
            session,
            actor=actor,
            action="verdict",
            kind="bet",
            key=f"{plan_key}/{bet.id}",
            before=before,
            after=after,
        )
    return plan_key, bet.id
