"""The loop closes (docs/loop.md): what each verdict asks of the plan, and where plan and experiment disagree.

A validated bet prompts *scale*: the next rollout step and the goals its strategy serves. An invalidated bet
prompts *stop the experiment* while its flag still exposes units, else *re-plan*; one still at 100% allocation
is flagged. Two mismatches are found: the bet's primary metric against the metric its experiment judges, and
the plan's rollout against the flag's real one. The details come from the experiments context through the
measures registry (`measures.verdict_for`); nothing here reads another context's tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos import measures
from missionos.measures import Verdict
from missionos.store import Database
from missionos.strategy import models
from missionos.strategy.evaluation import bet_verdict, evaluate
from missionos.strategy.plan import Bet, plan_from_document
from missionos.strategy.plans import get_plan, list_plans

# The rollout ladder a validated bet climbs: the next step is the first above where the flag is now.
ROLLOUT_STEPS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0)
ROLLOUT_TOLERANCE = 0.005  # plan and flag agree when they differ by at most half a point
# Verdicts a re-plan cites: what was learned (an invalid experiment or one too early taught nothing).
CITABLE = ("validated", "invalidated", "inconclusive")
KINDS = ("stop", "full-allocation", "re-plan", "scale", "metric-mismatch", "rollout-mismatch")
MINUS = "\u2212"


def percent(share: float) -> str:
    """0.05 -> "5%", 0.125 -> "12.5%"."""
    return f"{100 * share:.3g}%"


def signed_percent(share: float) -> str:
    text = f"{100 * share:+.1f}%"
    return text.replace("-", MINUS)


def effect_text(verdict: Verdict | None) -> str:
    """ "−8.1%, CI −12.0% to −4.2%" for a published verdict with an effect; "" otherwise."""
    if verdict is None or verdict.effect is None:
        return ""
    text = signed_percent(verdict.effect)
    if verdict.ci is not None:
        text += f", CI {signed_percent(verdict.ci[0])} to {signed_percent(verdict.ci[1])}"
    return text


def verdict_phrase(bet_id: str, status: str, verdict: Verdict | None) -> str:
    """ "B3 invalidated (−8.1%, CI −12.0% to −4.2%)"."""
    detail = effect_text(verdict)
    return f"{bet_id} {status}" + (f" ({detail})" if detail else "")


def next_rollout(current: float | None) -> float | None:
    """The first step of the ladder above `current` (None at 100%)."""
    now = current or 0.0
    return next((s for s in ROLLOUT_STEPS if s > now + ROLLOUT_TOLERANCE), None)


def _norm(metric: str) -> str:
    return metric.strip().lower().replace("-", "_")


@dataclass(frozen=True)
class Prompt:
    """What the loop asks of a plan for one bet."""

    kind: str  # one of KINDS
    plan: str
    strategy: str
    bet: str
    message: str
    goals: tuple[str, ...] = ()
    flag: str | None = None
    rollout_now: float | None = None
    next_rollout: float | None = None
    evidence_url: str | None = None
    answered_by: int | None = None  # the plan version whose re-plan cites this verdict

    @property
    def mismatch(self) -> bool:
        return self.kind.endswith("-mismatch")

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "plan": self.plan,
            "strategy": self.strategy,
            "bet": self.bet,
            "message": self.message,
            "goals": list(self.goals),
            "flag": self.flag,
            "rollout_now": self.rollout_now,
            "next_rollout": self.next_rollout,
            "evidence_url": self.evidence_url,
            "answered_by": self.answered_by,
        }


@dataclass(frozen=True)
class LoopState:
    plan: str
    prompts: tuple[Prompt, ...]

    @property
    def actions(self) -> tuple[Prompt, ...]:
        return tuple(p for p in self.prompts if not p.mismatch)

    @property
    def mismatches(self) -> tuple[Prompt, ...]:
        return tuple(p for p in self.prompts if p.mismatch)

    @property
    def open_actions(self) -> tuple[Prompt, ...]:
        return tuple(p for p in self.actions if p.answered_by is None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "actions": [p.as_dict() for p in self.actions],
            "mismatches": [p.as_dict() for p in self.mismatches],
        }


def published_verdict(db: Database, bet: Bet) -> Verdict | None:
    """What the experiments context publishes for the bet's flag, if anything."""
    return measures.verdict_for(db, bet.flag) if bet.flag else None


def cited_bets(session: Session, plan_key: str) -> dict[str, int]:
    """Bet id -> the first version of `plan_key` whose re-plan cites that bet's verdict."""
    row = session.scalar(select(models.Plan).where(models.Plan.key == plan_key))
    out: dict[str, int] = {}
    if row is None:
        return out
    for v in row.versions:
        for item in v.evidence or []:
            out.setdefault(str(item.get("bet")), v.version)
    return out


def bet_prompts(
    plan_key: str,
    strategy_id: str,
    serves: Sequence[str],
    bet: Bet,
    status: str,
    verdict: Verdict | None,
    *,
    all_invalidated: bool,
    answered_by: int | None = None,
) -> list[Prompt]:
    """The prompts for one bet given its verdict status and what its experiment publishes."""
    out: list[Prompt] = []
    goals = tuple(serves)
    moves = f"; it moves {', '.join(goals)}" if goals else ""
    url = verdict.evidence_url if verdict else None
    allocation = verdict.allocation if verdict else None
    now = allocation if allocation is not None else bet.rollout
    said = verdict_phrase(bet.id, status, verdict)

    def make(
        kind: str,
        message: str,
        *,
        goals: tuple[str, ...] = (),
        rollout_now: float | None = None,
        next_rollout: float | None = None,
        answered_by: int | None = None,
    ) -> Prompt:
        return Prompt(
            kind,
            plan_key,
            strategy_id,
            bet.id,
            message,
            goals,
            bet.flag,
            rollout_now,
            next_rollout,
            url,
            answered_by,
        )

    if status == "validated":
        step = next_rollout(now)
        if bet.flag and step is not None:
            message = (
                f"Scale {bet.id}: {said}. Next rollout of flag {bet.flag}: "
                f"{percent(now or 0.0)} → {percent(step)}{moves}."
            )
        elif bet.flag:
            message = (
                f"Scale {bet.id}: {said}, and flag {bet.flag} already exposes everyone: "
                f"make the change the default and retire the flag{moves}."
            )
        else:
            message = f"Scale {bet.id}: {said}. Take {bet.deployment or 'the change'} further{moves}."
        out.append(make("scale", message, goals=goals, rollout_now=now, next_rollout=step))
    elif status == "invalidated":
        exposing = bet.flag is not None and (allocation or 0.0) > 0.0
        if allocation is not None and allocation >= 1.0 - ROLLOUT_TOLERANCE:
            out.append(
                make(
                    "full-allocation",
                    rollout_now=allocation,
                    message=(
                        f"{said}, yet its experiment {bet.flag} still runs at 100% allocation: "
                        "every unit gets the variation the evidence rejected."
                    ),
                )
            )
        if exposing:
            out.append(
                make(
                    "stop",
                    rollout_now=allocation,
                    message=(
                        f"Stop the experiment {bet.flag}: {said}, and the flag still exposes "
                        f"{percent(allocation or 0.0)} of units."
                    ),
                )
            )
        scope = (
            f"every bet on strategy {strategy_id} is invalidated"
            if all_invalidated
            else f"its test{' of ' + bet.tests if bet.tests else ''} failed"
        )
        out.append(
            make(
                "re-plan",
                goals=goals,
                answered_by=answered_by,
                message=(
                    f"Re-plan strategy {strategy_id}: {said}; {scope}. Change the assumption, add a bet "
                    "or retire the strategy, and say why (`strategy apply --reason`)."
                ),
            )
        )
    if (
        verdict is not None
        and bet.primary_metric is not None
        and verdict.primary_metric
        and _norm(bet.primary_metric.name) != _norm(verdict.primary_metric)
    ):
        out.append(
            make(
                "metric-mismatch",
                message=(
                    f"{bet.id} plans primary metric {bet.primary_metric.name}, but experiment "
                    f"{verdict.experiment} judges {verdict.primary_metric}: its verdict is not on the "
                    "bet's metric."
                ),
            )
        )
    if (
        bet.rollout is not None
        and allocation is not None
        and abs(bet.rollout - allocation) > ROLLOUT_TOLERANCE
    ):
        out.append(
            make(
                "rollout-mismatch",
                rollout_now=allocation,
                message=(
                    f"{bet.id} plans a {percent(bet.rollout)} rollout, but flag {bet.flag} is at "
                    f"{percent(allocation)}."
                ),
            )
        )
    return out


def assess(db: Database, view: Any) -> LoopState:
    """The loop's prompts for an evaluated plan (a `service.PlanView`), most urgent first."""
    with db.session() as session:
        cited = cited_bets(session, view.plan.key)
    prompts: list[Prompt] = []
    for s in view.strategies:
        all_invalidated = bool(s.bets) and all(b.status == "invalidated" for b in s.bets)
        for b in s.bets:
            prompts += bet_prompts(
                view.plan.key,
                s.strategy.id,
                s.strategy.serves,
                b.bet,
                b.status,
                published_verdict(db, b.bet),
                all_invalidated=all_invalidated,
                answered_by=cited.get(b.bet.id) if b.status in CITABLE else None,
            )
    rank = {k: i for i, k in enumerate(KINDS)}
    return LoopState(view.plan.key, tuple(sorted(prompts, key=lambda p: rank[p.kind])))


def assess_cached(db: Database, view: Any) -> LoopState:
    """`assess`, computed once per change to the database (see `Database.cached`)."""
    return db.cached(("strategy.loop", view.plan.key, view.version, view.as_of), lambda: assess(db, view))


def assess_plan(db: Database, key: str, *, as_of: dt.date | None = None) -> LoopState:
    """The loop's prompts for stored plan `key` as of `as_of`."""
    return assess(db, evaluate(db, key, as_of=as_of))


# --- what a re-plan cites ----------------------------------------------------------------------------------


def citations(
    db: Database, session: Session, key: str, previous: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The verdicts a new version of plan `key` rests on: each bet of the previous version with a verdict that
    taught something (validated, invalidated, inconclusive) and that no earlier version cites yet."""
    if previous is None:
        return []
    plan = plan_from_document(previous, source=key)
    already = cited_bets(session, key)
    out: list[dict[str, Any]] = []
    for bet in plan.bets:
        if bet.id in already:
            continue
        found = bet_verdict(db, key, bet)
        if found is None or found.status not in CITABLE:
            continue
        published = published_verdict(db, bet) if found.source == "experiments" else None
        out.append(
            {
                "bet": bet.id,
                "strategy": bet.strategy,
                "status": found.status,
                "effect": effect_text(published),
                "evidence_url": found.evidence_url,
                "source": found.source,
            }
        )
    return out


def history_line(
    version: int, rationale: str, evidence: Iterable[dict[str, Any]], changes: Sequence[str]
) -> str:
    """ "v2: B3 invalidated (−8.1%, CI …) → bet B3b added in strategy S2, because …"."""
    cause = "; ".join(
        f"{e['bet']} {e['status']}" + (f" ({e['effect']})" if e.get("effect") else "") for e in evidence
    )
    what = "; ".join(changes) if changes else "no change"
    line = f"v{version}: " + (f"{cause} → {what}" if cause else what)
    return line + (f", because {rationale}" if rationale else "")


# --- evidence pages link back ------------------------------------------------------------------------------

EVIDENCE_KINDS = ("experiment", "service", "stream", "system")


@dataclass(frozen=True)
class Reliance:
    """A bet, goal or dashboard measure of a stored plan that relies on a piece of evidence."""

    plan: str
    plan_title: str
    item: str  # "bet" | "goal" | "dashboard"
    id: str  # the bet or goal id, or the strategy id for a dashboard measure
    statement: str
    how: str  # what ties it to the evidence: "flag guided-intake", "measure flow.flow_time (stream: claims)"
    goals: tuple[str, ...] = ()  # the goals a bet's or dashboard's strategy serves

    @property
    def url(self) -> str:
        anchor = {"bet": f"bet-{self.id}", "goal": f"goal-{self.id}", "dashboard": f"strategy-{self.id}"}
        return f"/strategy/plans/{self.plan}#{anchor[self.item]}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "item": self.item,
            "id": self.id,
            "statement": self.statement,
            "how": self.how,
            "goals": list(self.goals),
            "url": self.url,
        }


def relying_on(db: Database, kind: str, name: str) -> list[Reliance]:
    """Every bet, goal and dashboard measure of the current stored plans that relies on evidence `name` of
    `kind`: an experiment (a bet's flag), a service (a bet's service, a measure scoped to it), a stream or a
    system (a measure scoped to it)."""
    out: list[Reliance] = []
    with db.session() as session:
        plans = [get_plan(session, p.key).plan for p in list_plans(session)]
    for plan in plans:
        for goal in plan.goals:
            ref = goal.measure
            if ref is not None and not ref.manual and ref.scope.kind == kind and ref.scope.name == name:
                out.append(
                    Reliance(plan.key, plan.title, "goal", goal.id, goal.statement, f"measure {ref.label}")
                )
        for strat in plan.strategies:
            for bet in strat.bets:
                ties = []
                if kind == "experiment" and bet.flag == name:
                    ties.append(f"flag {name}")
                if kind == "service" and bet.service == name:
                    ties.append(f"service {name}")
                if ties:
                    out.append(
                        Reliance(
                            plan.key,
                            plan.title,
                            "bet",
                            bet.id,
                            bet.hypothesis or "no hypothesis",
                            "; ".join(ties),
                            strat.serves,
                        )
                    )
            for item in strat.dashboard:
                ref = item.measure
                if not ref.manual and ref.scope.kind == kind and ref.scope.name == name:
                    out.append(
                        Reliance(
                            plan.key,
                            plan.title,
                            "dashboard",
                            strat.id,
                            strat.statement,
                            f"dashboard measure {ref.label}",
                            strat.serves,
                        )
                    )
    return out


def relying_on_cached(db: Database, kind: str, name: str) -> list[Reliance]:
    """`relying_on`, computed once per change to the database (see `Database.cached`)."""
    return list(db.cached(("strategy.relied_on", kind, name), lambda: relying_on(db, kind, name)))
