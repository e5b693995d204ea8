"""The litmus check (metrics.md §4): "if you can't name that experiment, you don't have a strategy, you have
a wish". Pure: it takes a plan and the evidence gathered for it, and returns findings naming item and rule.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

from missionos.strategy.plan import Bet, MeasureRef, Plan

RULES = (
    "wish",
    "untestable",
    "no-assumption",
    "no-path-to-production",
    "not-small",
    "slow",
    "unmeasured",
    "stale",
    "orphan",
    "unserved",
    "no-baseline",
    "no-target-date",
    "overdue",
)
# Deployment texts that admit no path to production (case-insensitive regular expressions). A plan's
# `litmus.no_path_to_production` replaces this list; an empty list turns the rule off.
NO_PATH_PATTERNS = (
    r"\bcan(?:not|'t|’t| not)\b",
    r"\bafter\b",
    r"\bonce the\b",
    r"\bFY ?[0-9]{2,4}\b",
    r"\bfull cut-?over\b",
)
DECIDE_WITHIN_WEEKS = 12
# Verdicts that decide a bet: once one is in, its decision date no longer makes it overdue.
DECIDED = frozenset({"validated", "invalidated", "inconclusive", "invalid"})


# What to do about each rule's finding, in plain words, and where it is done: "replan" (the re-plan form: add
# a bet, retire a strategy, change a target), "edit" (the plan file), "service" (the bet's service: its path
# to production) or "goal" (the goal's page: its measure and data).
FIXES: dict[str, tuple[str, str]] = {
    "wish": ("Add a bet: the smallest experiment that tests this strategy's assumptions", "replan"),
    "untestable": ("Give the bet what it lacks in the plan file", "edit"),
    "no-assumption": ("Add `tests:` naming the assumption the bet tests", "edit"),
    "no-path-to-production": ("See what the service is missing on its way to production", "service"),
    "not-small": ("Start the rollout small (1 to 5%) and scale it on the verdict", "edit"),
    "slow": ("Set an earlier `decide_by`, or split the bet into a smaller one", "edit"),
    "unmeasured": ("Bind the goal to a measure that has data", "goal"),
    "stale": ("Send newer data for the measure, or set its `freshness_days`", "goal"),
    "no-baseline": ("Add a `baseline` (value and date) to the goal", "edit"),
    "no-target-date": ("Add `target.by` to the goal", "replan"),
    "unserved": ("Name a strategy that serves this goal", "edit"),
    "orphan": ("Make the strategy serve a goal, or retire it", "replan"),
    "overdue": ("Record the verdict, or move the date with its reason", "replan"),
}


def fix_for(rule: str) -> tuple[str, str]:
    """What to do about a finding of `rule`, and where (see `FIXES`)."""
    return FIXES.get(rule, ("Edit the plan", "edit"))


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


@cache
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


def no_path_reason(deployment: str, patterns: Sequence[str] = NO_PATH_PATTERNS) -> str | None:
    """The words of a deployment text that admit no path to production, or None."""
    for pattern in _compiled(tuple(patterns)):
        found = pattern.search(deployment)
        if found:
            return found.group(0)
    return None


def bet_findings(bet: Bet, plan: Plan, as_of: dt.date, verdict: str | None) -> list[Finding]:
    """What the bet says, read: no assumption named, a deployment with no way to production, a rollout that is
    not small, and a decision too far away (past the plan's horizon or more than N weeks from `as_of`)."""
    found: list[Finding] = []
    if bet.tests is None:
        found.append(Finding("no-assumption", bet.id, f"bet {bet.id} names no assumption it tests (tests:)"))
    patterns = plan.litmus.no_path_patterns
    words = (
        no_path_reason(bet.deployment, NO_PATH_PATTERNS if patterns is None else patterns)
        if (bet.deployment)
        else None
    )
    if words is not None:
        found.append(
            Finding(
                "no-path-to-production",
                bet.id,
                f'bet {bet.id}\'s deployment "{bet.deployment}" admits no path to production (it says '
                f'"{words}")',
            )
        )
    if bet.rollout is not None and bet.rollout >= 1:
        found.append(
            Finding(
                "not-small",
                bet.id,
                f"bet {bet.id} starts at a 100% rollout: that is a launch, not a small experiment",
            )
        )
    if bet.decide_by is not None and verdict not in DECIDED:
        weeks = plan.litmus.decide_within_weeks or DECIDE_WITHIN_WEEKS
        if plan.horizon is not None and bet.decide_by > plan.horizon:
            found.append(
                Finding(
                    "slow",
                    bet.id,
                    f"bet {bet.id} is to be decided by {bet.decide_by}, "
                    f"after the plan's horizon {plan.horizon}",
                )
            )
        elif (bet.decide_by - as_of).days > 7 * weeks:
            found.append(
                Finding(
                    "slow",
                    bet.id,
                    f"bet {bet.id} is to be decided by {bet.decide_by}, "
                    f"more than {weeks} weeks from {as_of}: not the fastest experiment",
                )
            )
    return found


def check(plan: Plan, evidence: Evidence, as_of: dt.date) -> list[Finding]:
    """Every finding of the litmus check, in plan order (goals, then strategies and their items)."""
    findings: list[Finding] = []
    served = {goal_id for s in plan.strategies for goal_id in s.serves}
    for goal in plan.goals:
        if goal.measure is None:
            findings.append(Finding("unmeasured", goal.id, f"goal {goal.id} is bound to no measure"))
        else:
            findings += _measure_findings(goal.id, goal.measure, plan, evidence, as_of, what="goal")
        if goal.baseline_value is None:
            findings.append(
                Finding("no-baseline", goal.id, f"goal {goal.id} has no baseline to measure progress from")
            )
        if goal.target_by is None and not goal.is_guardrail:
            findings.append(
                Finding("no-target-date", goal.id, f"goal {goal.id} has no target date (target.by)")
            )
        if goal.id not in served:
            findings.append(Finding("unserved", goal.id, f"goal {goal.id} is served by no strategy"))
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
            findings += bet_findings(bet, plan, as_of, verdict)
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
