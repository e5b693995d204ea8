"""The litmus check (metrics.md §4): "if you can't name that experiment, you don't have a strategy, you have
a wish". Pure: it takes a plan and the evidence gathered for it, and returns findings naming item and rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from missionos.strategy.plan import Bet, MeasureRef, Plan

RULES = ("wish", "untestable", "no-path-to-production", "unmeasured", "stale", "orphan", "overdue")
# Verdicts that decide a bet: once one is in, its decision date no longer makes it overdue.
DECIDED = frozenset({"validated", "invalidated", "inconclusive", "invalid"})


@dataclass(frozen=True)
class Finding:
    rule: str
    item: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "item": self.item, "message": self.message}


@dataclass(frozen=True)
class Reading:
    """What a bound measure holds up to the as-of date: its newest value and when, or why there is none."""

    newest_at: dt.date | None = None
    newest_value: float | None = None
    problem: str | None = None  # "not published", "no data", ...


@dataclass(frozen=True)
class Evidence:
    """What the litmus check needs from outside the plan, keyed by measure binding, service and bet."""

    readings: Mapping[str, Reading] = field(default_factory=dict)  # MeasureRef.key -> reading
    production_deployments: Mapping[str, int | None] = field(default_factory=dict)  # None: not published
    verdicts: Mapping[str, str] = field(default_factory=dict)  # bet id -> verdict status


def untestable_gaps(bet: Bet) -> list[str]:
    """What a bet lacks to be a test: an experiment, a primary metric with direction and minimum effect,
    and a decision rule (a decision date or a planned sample)."""
    gaps = []
    if not bet.has_experiment:
        gaps.append("an experiment (a flag or a deployment)")
    metric = bet.primary_metric
    if metric is None:
        gaps.append("a primary metric")
    else:
        if metric.direction is None:
            gaps.append("the primary metric's direction")
        if metric.minimum_effect is None:
            gaps.append("the primary metric's minimum effect")
    if bet.decide_by is None and bet.planned_sample is None:
        gaps.append("a decision rule (decide_by or planned_sample)")
    return gaps


def check(plan: Plan, evidence: Evidence, as_of: dt.date) -> list[Finding]:
    """Every finding of the litmus check, in plan order (goals, then strategies and their items)."""
    findings: list[Finding] = []
    for goal in plan.goals:
        if goal.measure is None:
            findings.append(Finding("unmeasured", goal.id, f"goal {goal.id} is bound to no measure"))
        else:
            findings += _measure_findings(goal.id, goal.measure, plan, evidence, as_of, what="goal")
    for strat in plan.strategies:
        if not strat.bets:
            findings.append(
                Finding(
                    "wish",
                    strat.id,
                    f"strategy {strat.id} names no bet: no experiment tests its assumptions",
                )
            )
        if not strat.serves:
            findings.append(Finding("orphan", strat.id, f"strategy {strat.id} serves no goal"))
        for bet in strat.bets:
            gaps = untestable_gaps(bet)
            if gaps:
                findings.append(Finding("untestable", bet.id, f"bet {bet.id} lacks {', '.join(gaps)}"))
            if bet.service is not None:
                shipped = evidence.production_deployments.get(bet.service)
                if shipped is None:
                    findings.append(
                        Finding(
                            "no-path-to-production",
                            bet.id,
                            f"bet {bet.id} ships in {bet.service}, whose production deployments are unknown",
                        )
                    )
                elif shipped <= 0:
                    findings.append(
                        Finding(
                            "no-path-to-production",
                            bet.id,
                            f"bet {bet.id} ships in {bet.service}, which has never deployed to production",
                        )
                    )
            verdict = evidence.verdicts.get(bet.id)
            if bet.decide_by is not None and bet.decide_by < as_of and verdict not in DECIDED:
                findings.append(
                    Finding(
                        "overdue",
                        bet.id,
                        f"bet {bet.id} was to be decided by {bet.decide_by} and has no verdict",
                    )
                )
        for index, item in enumerate(strat.dashboard):
            findings += _measure_findings(
                f"{strat.id}.dashboard[{index}]",
                item.measure,
                plan,
                evidence,
                as_of,
                what="dashboard measure",
            )
        for action in strat.actions:
            if action.due is not None and action.due < as_of and not action.done:
                findings.append(
                    Finding(
                        "overdue", action.id, f"action '{action.what}' was due {action.due} and is not done"
                    )
                )
    return findings


def _measure_findings(
    item: str, ref: MeasureRef, plan: Plan, evidence: Evidence, as_of: dt.date, *, what: str
) -> list[Finding]:
    reading = evidence.readings.get(ref.key, Reading(problem="not read"))
    if reading.newest_at is None:
        why = reading.problem or "no data"
        return [Finding("unmeasured", item, f"{what} {item}: {ref.label} has no data ({why})")]
    limit = ref.freshness_days or plan.freshness_days
    age = (as_of - reading.newest_at).days
    if age > limit:
        return [
            Finding(
                "stale",
                item,
                f"{what} {item}: newest value of {ref.label} is {age} days old "
                f"(from {reading.newest_at}; limit {limit} days)",
            )
        ]
    return []
