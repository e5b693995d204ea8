"""The strategy context's public service: apply and version plans, read live evidence, close the loop.

Plans are read from YAML (`missionos.strategy.plan`), checked by the litmus check (`litmus`), and bound to the
other contexts' figures only through the measures registry (`missionos.measures`): `query` for goals and
dashboards, `delivery.production_deployments` for the path to production, and `verdict_for` for bets.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos import measures
from missionos.accounts import audit, limits
from missionos.accounts.identity import Principal
from missionos.errors import ConflictError, FieldError, MissionOSError, NotFoundError
from missionos.measures import Direction, Scope, Series, Window
from missionos.store import Database, utcnow
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
    plan_from_document,
    to_yaml,
)
from missionos.strategy.status import Assessment, GoalStatus

VERDICT_STATUSES = ("validated", "invalidated", "inconclusive", "invalid", "too early")
PRODUCTION_DEPLOYMENTS = "delivery.production_deployments"
HISTORY_DAYS = 182  # how far back goal sparklines and readings look when the baseline is more recent
STAT_DAYS = 28  # the span a goal's `stat` (median, mean, sum) reduces over, ending at the newest value
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC)


# --- stored plans -----------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Applied:
    key: str
    version: int
    changed: bool
    changes: tuple[str, ...]
    findings: tuple[Finding, ...] = ()  # the litmus check of the stored version, as of today
    evidence: tuple[dict[str, Any], ...] = ()  # the verdicts a new version cites


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
    from missionos.strategy import loop

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


# --- diff in plan terms -----------------------------------------------------------------------------------

_TOP = ("title", "objective", "owner", "horizon", "freshness_days", "parent")
_LABELS = {
    "target.value": "target",
    "target.by": "target date",
    "baseline.value": "baseline",
    "baseline.at": "baseline date",
}
_NESTED = ("assumptions", "bets", "dashboard", "actions")


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def _leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_leaves(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}


def _keyed(items: Iterable[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(items):
        if "id" in item:
            key = str(item["id"])
        elif kind == "dashboard":
            key = json.dumps(item.get("measure"), sort_keys=True)
        elif kind == "action":
            key = str(item.get("what", i))
        else:
            key = str(i)
        out[key] = item
    return out


def _name(kind: str, key: str, item: dict[str, Any]) -> str:
    if kind == "dashboard":
        m = item.get("measure", {})
        scope = m.get("scope") or {}
        where = f" ({', '.join(f'{k}: {v}' for k, v in scope.items())})" if scope else ""
        return f"dashboard measure {m.get('name') or m.get('manual')}{where}"
    if kind == "action" and "id" not in item:
        return f"action '{key}'"
    return f"{kind} {key}"


def _diff_items(
    kind: str, old: Sequence[dict[str, Any]], new: Sequence[dict[str, Any]], within: str = ""
) -> list[str]:
    lines: list[str] = []
    before, after = _keyed(old, kind), _keyed(new, kind)
    suffix = f" in {within}" if within else ""
    for key, item in after.items():
        if key not in before:
            lines.append(f"{_name(kind, key, item)} added{suffix}")
    for key, item in before.items():
        if key not in after:
            lines.append(f"{_name(kind, key, item)} removed{suffix}")
    for key, item in after.items():
        if key not in before:
            continue
        was = before[key]
        name = _name(kind, key, item)
        flat_old = _leaves({k: v for k, v in was.items() if k not in _NESTED})
        flat_new = _leaves({k: v for k, v in item.items() if k not in _NESTED})
        for path in sorted(set(flat_old) | set(flat_new)):
            a, b = flat_old.get(path), flat_new.get(path)
            if a != b:
                label = _LABELS.get(path, path)
                lines.append(f"{name}'s {label} moved from {_show(a)} to {_show(b)}")
        if kind == "strategy":
            for nested, nested_kind in (
                ("assumptions", "assumption"),
                ("bets", "bet"),
                ("dashboard", "dashboard"),
                ("actions", "action"),
            ):
                lines += _diff_items(nested_kind, was.get(nested, []), item.get(nested, []), name)
    return lines


def diff_documents(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """What changed between two plan documents, in plan terms: "goal G2's target moved from 20 to 15",
    "bet B3 added in strategy S1". Empty when they are the same plan."""
    if old is None:
        return ["created"]
    lines: list[str] = []
    for key in _TOP:
        if old.get(key) != new.get(key):
            lines.append(f"the plan's {key} moved from {_show(old.get(key))} to {_show(new.get(key))}")
    lines += _diff_items("goal", old.get("goals", []), new.get("goals", []))
    lines += _diff_items("strategy", old.get("strategies", []), new.get("strategies", []))
    return lines


# --- manual series and hand verdicts ------------------------------------------------------------------------


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


# --- live evaluation: the one-page plan ---------------------------------------------------------------------


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


def plan_yaml(session: Session, key: str) -> str:
    """The text to edit for a plan: the YAML it was applied from."""
    stored = get_plan(session, key)
    return stored.source or to_yaml(stored.plan.document)


__all__ = [
    "VERDICT_STATUSES",
    "Applied",
    "BetView",
    "CheckResult",
    "DashboardView",
    "GoalStatus",
    "GoalView",
    "LiveSeries",
    "PlanSummary",
    "PlanView",
    "StoredPlan",
    "StrategyView",
    "VersionInfo",
    "apply_plan",
    "check_text",
    "diff_documents",
    "diff_versions",
    "evaluate",
    "evaluate_plan",
    "get_plan",
    "history",
    "home_plan",
    "list_plans",
    "manual_values",
    "plan_yaml",
    "record_value",
    "record_verdict",
    "validate_parent",
]
