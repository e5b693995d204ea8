"""Live evaluation, the one-page plan: each goal's live value and status, each bet's verdict, the findings.

Plans are bound to the other contexts' figures only through the measures registry (`missionos.measures`):
`query` for goals and dashboards, `delivery.production_deployments` for the path to production, and
`verdict_for` for bets.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from missionos import measures
from missionos.errors import MissionOSError, NotFoundError
from missionos.measures import Direction, Scope, Series, Window
from missionos.store import Database
from missionos.strategy import goals as goals_mod
from missionos.strategy import litmus, models
from missionos.strategy.litmus import Evidence, Finding, Reading
from missionos.strategy.plan import (
    Action,
    Bet,
    DashboardItem,
    Goal,
    MeasureRef,
    Plan,
    Strategy,
    parse_plan,
)
from missionos.strategy.plans import PlanSummary, _aware, get_plan, list_plans, validate_parent
from missionos.strategy.status import Assessment

PRODUCTION_DEPLOYMENTS = "delivery.production_deployments"
HISTORY_DAYS = 182  # how far back goal sparklines and readings look when the baseline is more recent
STAT_DAYS = 28  # the span a goal's `stat` (median, mean, sum) reduces over, ending at the newest value
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC)


@dataclass(frozen=True)
class LiveSeries:
    """A bound measure read through the registry: its points up to the as-of date, or why there are none."""

    ref: MeasureRef
    unit: str = ""
    points: tuple[tuple[dt.date, float], ...] = ()
    problem: str | None = None
    prefers_lower: bool = False
    direction: str | None = None  # the measure's declared direction, "lower" | "higher"

    @property
    def newest(self) -> tuple[dt.date, float] | None:
        return self.points[-1] if self.points else None

    def value(self) -> float | None:
        """The binding's value: the newest point, or its `stat` over the last 28 days of points."""
        newest = self.newest
        if newest is None:
            return None
        if self.ref.stat == "latest":
            return newest[1]
        recent = [v for d, v in self.points if (newest[0] - d).days < STAT_DAYS]
        if self.ref.stat == "median":
            return float(statistics.median(recent))
        if self.ref.stat == "mean":
            return float(statistics.fmean(recent))
        return float(sum(recent))


@dataclass(frozen=True)
class BetView:
    bet: Bet
    status: str  # a verdict status, or "open"
    evidence_url: str | None
    verdict_source: str | None  # "experiments" (the registry) | "hand" | None
    summary: str
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class GoalView:
    goal: Goal
    series: LiveSeries | None
    assessment: Assessment
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class DashboardView:
    item: DashboardItem
    series: LiveSeries
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class ActionView:
    action: Action
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class Rollup:
    """How a plan cascaded from a strategy stands: its goals by status, its findings, its bets by verdict."""

    plan: PlanSummary
    goals: dict[str, int]
    findings: int
    bets: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.goals.values())

    def as_dict(self) -> dict[str, Any]:
        return {"plan": self.plan.key, "goals": self.goals, "findings": self.findings, "bets": self.bets}


@dataclass(frozen=True)
class StrategyView:
    strategy: Strategy
    bets: tuple[BetView, ...]
    dashboard: tuple[DashboardView, ...]
    actions: tuple[ActionView, ...]
    children: tuple[PlanSummary, ...]
    replan: bool
    findings: tuple[Finding, ...]
    rollups: tuple[Rollup, ...] = ()


@dataclass(frozen=True)
class PlanView:
    """The one-page plan: each goal's live value and status, each bet's verdict, and the findings."""

    plan: Plan
    version: int | None
    as_of: dt.date
    goals: tuple[GoalView, ...]
    strategies: tuple[StrategyView, ...]
    findings: tuple[Finding, ...]
    parent: PlanSummary | None = None
    parent_statement: str | None = None
    children: tuple[PlanSummary, ...] = field(default=())

    @property
    def replan(self) -> list[str]:
        return [s.strategy.id for s in self.strategies if s.replan]


def measure_direction(name: str) -> str | None:
    """A published measure's declared direction ("lower" | "higher"), or None when nobody publishes it."""
    try:
        return measures.get(name).direction.value
    except NotFoundError:
        return None


def read_measure(db: Database, ref: MeasureRef, *, since: dt.datetime, as_of: dt.date) -> LiveSeries:
    """A bound measure's points in [since, end of as_of], read through the registry."""
    try:
        found = measures.get(ref.name)
    except NotFoundError:
        return LiveSeries(ref, problem=f"{ref.name} is not published")
    try:
        series: Series = measures.query(db, ref.name, ref.scope, Window(since, _end_of(as_of)))
    except NotFoundError as exc:  # the measure is published; what its scope names does not exist
        return LiveSeries(ref, problem=f"unknown {exc.kind} {exc.name!r}")
    except MissionOSError as exc:  # the publisher refused this scope
        return LiveSeries(ref, problem=str(exc))
    points = tuple(
        (_aware(p.at).date(), float(p.value))
        for p in series.points
        if p.value is not None and _aware(p.at).date() <= as_of
    )
    if not ref.manual:
        points = drop_period_in_progress(points, as_of)
    prefers_lower = found.direction is Direction.LOWER_IS_BETTER
    return LiveSeries(
        ref, series.unit, points, None if points else "no values", prefers_lower, found.direction.value
    )


def drop_period_in_progress(
    points: tuple[tuple[dt.date, float], ...], as_of: dt.date
) -> tuple[tuple[dt.date, float], ...]:
    """Drop the newest point of a periodic series when its period (the shortest step between points) has not
    ended by the end of `as_of`: a week in progress is not yet that week's value."""
    if len(points) < 2:
        return points
    step = min((b[0] - a[0]).days for a, b in itertools.pairwise(points))
    if step > 1 and points[-1][0] + dt.timedelta(days=step) > as_of + dt.timedelta(days=1):
        return points[:-1]
    return points


def production_deployments(db: Database, service: str, as_of: dt.date) -> int | None:
    """How many times `service` has deployed to production up to `as_of`; None when nobody publishes it."""
    try:
        series = measures.query(
            db, PRODUCTION_DEPLOYMENTS, Scope("service", service), Window(EPOCH, _end_of(as_of))
        )
    except MissionOSError:
        return None
    return int(sum(p.value for p in series.points if p.value is not None))


@dataclass(frozen=True)
class BetVerdict:
    status: str
    evidence_url: str
    source: str
    summary: str = ""


def bet_verdict(db: Database, plan_key: str, bet: Bet) -> BetVerdict | None:
    """The bet's verdict: its experiment's, from the registry, else the one recorded by hand."""
    if bet.flag:
        published = measures.verdict_for(db, bet.flag)
        if published is not None:
            return BetVerdict(published.status, published.evidence_url, "experiments", published.summary)
    with db.session() as session:
        row = session.scalar(
            select(models.HandVerdict).where(
                models.HandVerdict.plan_key == plan_key, models.HandVerdict.bet_id == bet.id
            )
        )
        if row is not None:
            return BetVerdict(row.status, row.evidence_url, "hand", f"recorded by {row.actor}")
    return None


def evaluate_plan(
    db: Database,
    plan: Plan,
    *,
    as_of: dt.date | None = None,
    version: int | None = None,
    with_cascade: bool = True,
) -> PlanView:
    """Bind `plan` to live evidence as of `as_of` (default today): goal values and statuses, bet verdicts,
    the litmus findings, and the plans around it in the cascade.

    It is one read: each (measure, scope, window) the plan binds more than once is computed once
    (`measures.reading()`)."""
    with measures.reading():
        return _evaluate_plan(db, plan, as_of=as_of, version=version, with_cascade=with_cascade)


def _evaluate_plan(
    db: Database, plan: Plan, *, as_of: dt.date | None, version: int | None, with_cascade: bool
) -> PlanView:
    day = as_of or today()
    default_since = _end_of(day) - dt.timedelta(days=HISTORY_DAYS)
    live: dict[str, LiveSeries] = {}
    for goal in plan.goals:
        if goal.measure is not None and goal.measure.key not in live:
            since = default_since
            if goal.baseline_at is not None:
                since = min(since, dt.datetime.combine(goal.baseline_at, dt.time(), dt.UTC))
            live[goal.measure.key] = read_measure(db, goal.measure, since=since, as_of=day)
    for strat in plan.strategies:
        for item in strat.dashboard:
            if item.measure.key not in live:
                live[item.measure.key] = read_measure(db, item.measure, since=default_since, as_of=day)
    services = sorted({b.service for b in plan.bets if b.service})
    shipped = {s: production_deployments(db, s, day) for s in services}
    verdicts = {b.id: bet_verdict(db, plan.key, b) for b in plan.bets}
    evidence = Evidence(
        readings={
            key: Reading(s.newest[0], s.newest[1], None) if s.newest else Reading(problem=s.problem)
            for key, s in live.items()
        },
        production_deployments=shipped,
        verdicts={k: v.status for k, v in verdicts.items() if v is not None},
    )
    findings = litmus.check(plan, evidence, day)

    def of(item: str) -> tuple[Finding, ...]:
        return tuple(f for f in findings if f.item == item)

    goals = []
    for goal in plan.goals:
        series = live.get(goal.measure.key) if goal.measure else None
        newest = series.newest if series else None
        assessment = goals_mod.assess(
            goal,
            value=series.value() if series else None,
            on=newest[0] if newest else None,
            points=series.points if series else (),
            measure_direction=series.direction if series else None,
            horizon=plan.horizon,
            unit=series.unit if series else "",
        )
        goals.append(GoalView(goal, series, assessment, of(goal.id)))

    summaries: list[PlanSummary] = []
    parent: PlanSummary | None = None
    parent_statement: str | None = None
    if with_cascade:
        with db.session() as session:
            summaries = list_plans(session)
            parent = next((p for p in summaries if p.key == plan.parent_plan), None)
            if parent is not None and plan.parent_strategy:
                found = get_plan(session, parent.key).plan.strategy(plan.parent_strategy)
                parent_statement = found.statement if found else None
    rollups = _rollups(db, [p for p in summaries if p.parent_plan == plan.key], day) if with_cascade else {}
    strategies = []
    for strat in plan.strategies:
        bet_views = []
        for bet in strat.bets:
            v = verdicts[bet.id]
            bet_views.append(
                BetView(
                    bet,
                    v.status if v else "open",
                    v.evidence_url if v else None,
                    v.source if v else None,
                    v.summary if v else "",
                    of(bet.id),
                )
            )
        replan = bool(bet_views) and all(b.status == "invalidated" for b in bet_views)
        strategies.append(
            StrategyView(
                strat,
                tuple(bet_views),
                tuple(
                    DashboardView(item, live[item.measure.key], of(f"{strat.id}.dashboard[{i}]"))
                    for i, item in enumerate(strat.dashboard)
                ),
                tuple(ActionView(a, of(a.id)) for a in strat.actions),
                tuple(p for p in summaries if p.parent_plan == plan.key and p.parent_strategy == strat.id),
                replan,
                of(strat.id),
                tuple(
                    rollups[p.key]
                    for p in summaries
                    if p.parent_plan == plan.key and p.parent_strategy == strat.id and p.key in rollups
                ),
            )
        )
    return PlanView(
        plan,
        version,
        day,
        tuple(goals),
        tuple(strategies),
        tuple(findings),
        parent,
        parent_statement,
        tuple(p for p in summaries if p.parent_plan == plan.key),
    )


def _rollups(db: Database, children: Sequence[PlanSummary], day: dt.date) -> dict[str, Rollup]:
    """The roll-up of each plan cascaded from this one, evaluated on the same day (one level down; each
    child's own page rolls up its children)."""
    out = {}
    for child in children:
        with db.session() as session:
            stored = get_plan(session, child.key)
        view = _evaluate_plan(db, stored.plan, as_of=day, version=stored.version, with_cascade=False)
        goals = Counter(str(g.assessment.status) for g in view.goals)
        bets = Counter(b.status for s in view.strategies for b in s.bets)
        out[child.key] = Rollup(child, dict(goals), len(view.findings), dict(bets))
    return out


def evaluate(db: Database, key: str, *, as_of: dt.date | None = None, version: int | None = None) -> PlanView:
    """The one-page plan of stored plan `key` (current version unless `version`)."""
    with db.session() as session:
        stored = get_plan(session, key, version)
    return evaluate_plan(db, stored.plan, as_of=as_of, version=stored.version)


def evaluate_cached(
    db: Database, key: str, *, as_of: dt.date | None = None, version: int | None = None
) -> PlanView:
    """`evaluate`, computed once per change to the database (see `Database.cached`): the pages that show a
    plan answer from it while nothing has been written, and compute afresh after any commit."""
    day = as_of or today()
    return db.cached(
        ("strategy.evaluate", key, day, version),
        lambda: evaluate(db, key, as_of=day, version=version),
    )


@dataclass(frozen=True)
class CheckResult:
    plan: str
    findings: tuple[Finding, ...]
    replan: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """The stable `--format json` shape of `missionos strategy check` (docs/strategy.md)."""
        return {
            "plan": self.plan,
            "findings": [f.as_dict() for f in self.findings],
            "replan": list(self.replan),
        }


def check_text(db: Database, text: str, *, source: str, as_of: dt.date | None = None) -> CheckResult:
    """The litmus check of a plan file (validated, cascade included) against live evidence."""
    plan = parse_plan(text, source=source, directions=measure_direction)
    with db.session() as session:
        validate_parent(session, plan)
    view = evaluate_plan(db, plan, as_of=as_of, with_cascade=False)
    return CheckResult(plan.key, view.findings, tuple(view.replan))
