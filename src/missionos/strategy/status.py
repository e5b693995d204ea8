"""Move-goal status (metrics.md §4): the measure's latest value against the straight line from baseline to
target.

Choices the definition leaves open (documented in docs/strategy.md):
- the line runs from (baseline date, baseline value) to (target date, target value); before the baseline date
  it is the baseline, after the target date it is the target;
- which way is better is given (the measure's declared direction, `missionos.strategy.goals`); only when
  nothing declares it does the line decide (a target below the baseline means lower is better);
- progress is a signed share of the way from baseline to target: a value on the worse side of the baseline
  is a negative share, and the goal is *off track* whatever its distance;
- *on track*: the value is on the line or on its better side; *at risk*: on the worse side by at most 10% of
  the line's value there (10% of |target - baseline| when the line is at zero); *off track*: further;
- a move without a target date has no line: *no target date*, unless it is moving the wrong way.
Guardrails (hold under or over a limit) are judged in `missionos.strategy.goals`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

AT_RISK_TOLERANCE = 0.10


@dataclass(frozen=True)
class Trend:
    """The least-squares line through a series' recent points (fitted by `goals.trend`)."""

    per_day: float
    points: int
    since: dt.date
    until: dt.date

    @property
    def per_week(self) -> float:
        return self.per_day * 7


class GoalStatus(StrEnum):
    ON_TRACK = "on track"
    AT_RISK = "at risk"
    OFF_TRACK = "off track"
    BREACHED = "breached"
    NO_DATA = "no data"
    NO_BASELINE = "no baseline"
    NO_TARGET_DATE = "no target date"
    NO_DIRECTION = "no direction"


@dataclass(frozen=True)
class Assessment:
    status: GoalStatus
    expected: float | None = None  # the line's value at the moment of the latest value
    value: float | None = None
    progress: float | None = None  # signed share of the way from baseline to target covered (<0: wrong way)
    expected_progress: float | None = None  # share the line says should be covered by then
    kind: str = "move"
    direction: str | None = None  # "lower" | "higher": which way is better
    trend: Trend | None = None  # guardrails: the recent slope
    crosses: dt.date | None = None  # guardrails: when the trend reaches the limit
    reason: str = ""


def expected_on_line(
    baseline: float, baseline_at: dt.date, target: float, target_by: dt.date, on: dt.date
) -> float:
    """The value the straight line from baseline to target passes through on `on` (flat outside the span)."""
    span = (target_by - baseline_at).days
    if span <= 0:
        return target
    share = min(max((on - baseline_at).days / span, 0.0), 1.0)
    return baseline + (target - baseline) * share


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def assess_goal(
    *,
    value: float | None,
    on: dt.date | None,
    baseline: float | None,
    baseline_at: dt.date | None,
    target: float,
    target_by: dt.date | None,
    lower_is_better: bool | None = None,
) -> Assessment:
    """The status of a move goal whose measure reads `value` on `on` (`lower_is_better` None: as the line)."""
    if value is None or on is None:
        return Assessment(GoalStatus.NO_DATA, reason="no value yet")
    if baseline is None or baseline_at is None:
        return Assessment(GoalStatus.NO_BASELINE, value=value, reason="no baseline to measure progress from")
    lower = target < baseline if lower_is_better is None else lower_is_better
    direction = "lower" if lower else "higher"
    progress = None if target == baseline else (value - baseline) / (target - baseline)
    worse_than_baseline = value > baseline if lower else value < baseline
    if target_by is None:
        if worse_than_baseline:
            return Assessment(
                GoalStatus.OFF_TRACK,
                None,
                value,
                progress,
                None,
                direction=direction,
                reason=f"moving the wrong way: {_fmt(value)} is worse than the baseline {_fmt(baseline)}",
            )
        return Assessment(
            GoalStatus.NO_TARGET_DATE,
            None,
            value,
            progress,
            None,
            direction=direction,
            reason="no target date, so no line to judge against",
        )
    expected = expected_on_line(baseline, baseline_at, target, target_by, on)
    due = None if target == baseline else (expected - baseline) / (target - baseline)
    share = "" if progress is None else f"{100 * progress:.0f}% of the way"
    if due is not None:
        share += f" (the line says {100 * due:.0f}% by {on})"
    if worse_than_baseline:
        return Assessment(
            GoalStatus.OFF_TRACK,
            expected,
            value,
            progress,
            due,
            direction=direction,
            reason=f"moving the wrong way: {_fmt(value)} is worse than the baseline {_fmt(baseline)}, "
            f"{direction} is better; {share}",
        )
    shortfall = (value - expected) if lower else (expected - value)  # > 0: worse than the line
    if shortfall <= 0:
        return Assessment(
            GoalStatus.ON_TRACK, expected, value, progress, due, direction=direction, reason=share
        )
    tolerance = AT_RISK_TOLERANCE * (abs(expected) if expected != 0 else abs(target - baseline))
    status = GoalStatus.AT_RISK if shortfall <= tolerance else GoalStatus.OFF_TRACK
    return Assessment(
        status,
        expected,
        value,
        progress,
        due,
        direction=direction,
        reason=f"behind the line ({_fmt(expected)} by {on}): {share}",
    )
