"""Goal evaluation by kind and direction (metrics.md §4, docs/strategy.md "Goal status").

A goal is a *move* (from its baseline to its target by a date) or a *guardrail* (hold its measure on the
better side of a limit). Which way is better is the measure's declared direction in the registry; a manual
series, which declares none, takes the plan's `better:` or, failing that, what its baseline and target imply.

- A move's progress is a signed share of the way from baseline to target; a move whose value is on the worse
  side of its baseline is *off track* whatever its distance. Otherwise it is judged against the straight line
  from baseline to target (`missionos.strategy.status`).
- A guardrail is *breached* when its value is beyond the limit (at the limit holds). Its trend is the
  least-squares slope of its points over the last `TREND_DAYS` days (at least `TREND_MIN_POINTS`). Trending
  toward the limit with a projected crossing on or before the date it must hold until (its `target.by`, else
  the plan's horizon, else a year after its newest value) is *at risk*; otherwise it is *on track*.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from missionos.strategy.plan import HIGHER, LOWER, Goal, _fmt
from missionos.strategy.plan import direction_problems as direction_problems
from missionos.strategy.status import Assessment, GoalStatus, Trend, assess_goal

TREND_DAYS = 91  # the span of points the trend is fitted over, ending at the newest point
TREND_MIN_POINTS = 3
HOLD_DAYS_WITHOUT_DATE = 365

# --- direction ---------------------------------------------------------------------------------------------


def resolve_direction(goal: Goal, measure_direction: str | None) -> str | None:
    """Which way is better for `goal`: its measure's declared direction, else the plan's `better:`, else what
    a move's baseline and target (or a guardrail's baseline and limit) imply; None when nothing says."""
    if measure_direction is not None and not (goal.measure is not None and goal.measure.manual):
        return measure_direction
    if goal.better is not None:
        return goal.better
    if goal.baseline_value is None or goal.baseline_value == goal.target_value:
        return None
    if goal.is_guardrail:  # a baseline under the limit: the limit is a ceiling
        return LOWER if goal.baseline_value < goal.target_value else HIGHER
    return LOWER if goal.target_value < goal.baseline_value else HIGHER


# --- trend -------------------------------------------------------------------------------------------------


def trend(points: Sequence[tuple[dt.date, float]], *, days: int = TREND_DAYS) -> Trend | None:
    """The slope of the points of the last `days` days ending at the newest one; None with too few points."""
    if not points:
        return None
    newest = points[-1][0]
    recent = [(d, v) for d, v in points if (newest - d).days < days]
    if len(recent) < TREND_MIN_POINTS:
        return None
    xs = [(d - recent[0][0]).days for d, _ in recent]
    ys = [v for _, v in recent]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    return Trend(slope, len(recent), recent[0][0], newest)


def describe_trend(t: Trend | None, unit: str = "") -> str:
    if t is None:
        return "too few values for a trend"
    if t.per_day == 0:
        return "flat"
    word = "rising" if t.per_day > 0 else "falling"
    step = f"{100 * abs(t.per_week):.2g} points" if unit == "share" else _fmt(abs(t.per_week))
    return f"{word} {step} a week over {t.points} values since {t.since}"


# --- assessment ------------------------------------------------------------------------------------------


def assess(
    goal: Goal,
    *,
    value: float | None,
    on: dt.date | None,
    points: Sequence[tuple[dt.date, float]] = (),
    measure_direction: str | None = None,
    horizon: dt.date | None = None,
    unit: str = "",
) -> Assessment:
    """The status of `goal` whose measure reads `value` on `on`, with the reason in words."""
    direction = resolve_direction(goal, measure_direction)
    if goal.is_guardrail:
        return assess_guardrail(
            goal, value=value, on=on, points=points, direction=direction, horizon=horizon, unit=unit
        )
    return assess_move(goal, value=value, on=on, direction=direction)


def assess_move(goal: Goal, *, value: float | None, on: dt.date | None, direction: str | None) -> Assessment:
    found = assess_goal(
        value=value,
        on=on,
        baseline=goal.baseline_value,
        baseline_at=goal.baseline_at,
        target=goal.target_value,
        target_by=goal.target_by,
        lower_is_better=direction == LOWER if direction is not None else None,
    )
    return replace(found, kind="move", direction=direction)


def assess_guardrail(
    goal: Goal,
    *,
    value: float | None,
    on: dt.date | None,
    points: Sequence[tuple[dt.date, float]],
    direction: str | None,
    horizon: dt.date | None,
    unit: str = "",
) -> Assessment:
    limit = goal.target_value
    base = Assessment(GoalStatus.NO_DATA, kind="guardrail", direction=direction, value=value)
    if value is None or on is None:
        return replace(base, reason="no value yet")
    if direction is None:
        return replace(
            base,
            status=GoalStatus.NO_DIRECTION,
            reason="which way is better is unknown: give the goal better: lower or better: higher",
        )
    lower = direction == LOWER
    side = "under" if lower else "over"
    found = trend(points)
    words = describe_trend(found, unit)
    now, cap = _fmt(value, unit), _fmt(limit, unit)
    beyond = value > limit if lower else value < limit
    if beyond:
        return replace(
            base,
            status=GoalStatus.BREACHED,
            trend=found,
            reason=f"{now} is {'above' if lower else 'below'} its limit {cap} ({words})",
        )
    toward = found is not None and (found.per_day > 0 if lower else found.per_day < 0)
    hold_until = goal.target_by or horizon or on + dt.timedelta(days=HOLD_DAYS_WITHOUT_DATE)
    if found is None or not toward:
        return replace(
            base,
            status=GoalStatus.ON_TRACK,
            trend=found,
            reason=f"{now} holds {side} its limit {cap} ({words})",
        )
    days = max(0.0, (limit - value) / found.per_day)
    if days > (hold_until - on).days:
        crosses = on + dt.timedelta(days=int(days)) if days < 100 * 365 else None
        after = f"around {crosses}" if crosses else "decades from now"
        return replace(
            base,
            status=GoalStatus.ON_TRACK,
            trend=found,
            crosses=crosses,
            reason=f"{now} holds {side} its limit {cap} ({words}; at this pace it would "
            f"cross {after}, after {hold_until})",
        )
    crosses = on + dt.timedelta(days=int(days))
    return replace(
        base,
        status=GoalStatus.AT_RISK,
        trend=found,
        crosses=crosses,
        reason=f"{now} is {side} its limit {cap} but {words}: at this pace it crosses "
        f"around {crosses}, before {hold_until}",
    )
