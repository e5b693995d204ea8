"""Goal status (metrics.md §4): the measure's latest value against the straight line from baseline to target.

Choices the definition leaves open (documented in docs/strategy.md):
- the line runs from (baseline date, baseline value) to (target date, target value); before the baseline date
  it is the baseline, after the target date it is the target;
- which way is better follows the line: a target below the baseline means lower is better; when target equals
  baseline, the measure's own direction decides;
- *on track*: the value is on the line or on its better side; *at risk*: on the worse side by at most 10% of
  the line's value there (10% of |target - baseline| when the line is at zero); *off track*: further.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

AT_RISK_TOLERANCE = 0.10


class GoalStatus(StrEnum):
    ON_TRACK = "on track"
    AT_RISK = "at risk"
    OFF_TRACK = "off track"
    NO_DATA = "no data"
    NO_BASELINE = "no baseline"


@dataclass(frozen=True)
class Assessment:
    status: GoalStatus
    expected: float | None = None  # the line's value at the moment of the latest value
    value: float | None = None
    progress: float | None = None  # share of the way from baseline to target covered (may be <0 or >1)
    expected_progress: float | None = None  # share the line says should be covered by then


def expected_on_line(
    baseline: float, baseline_at: dt.date, target: float, target_by: dt.date, on: dt.date
) -> float:
    """The value the straight line from baseline to target passes through on `on` (flat outside the span)."""
    span = (target_by - baseline_at).days
    if span <= 0:
        return target
    share = min(max((on - baseline_at).days / span, 0.0), 1.0)
    return baseline + (target - baseline) * share


def lower_is_better(baseline: float, target: float, *, measure_prefers_lower: bool) -> bool:
    if target < baseline:
        return True
    if target > baseline:
        return False
    return measure_prefers_lower


def assess_goal(
    *,
    value: float | None,
    on: dt.date | None,
    baseline: float | None,
    baseline_at: dt.date | None,
    target: float,
    target_by: dt.date,
    measure_prefers_lower: bool = False,
) -> Assessment:
    """The status of a goal whose measure reads `value` on `on`."""
    if value is None or on is None:
        return Assessment(GoalStatus.NO_DATA)
    if baseline is None or baseline_at is None:
        return Assessment(GoalStatus.NO_BASELINE, value=value)
    expected = expected_on_line(baseline, baseline_at, target, target_by, on)
    lower = lower_is_better(baseline, target, measure_prefers_lower=measure_prefers_lower)
    shortfall = (value - expected) if lower else (expected - value)  # > 0: worse than the line
    progress = None if target == baseline else (value - baseline) / (target - baseline)
    due = None if target == baseline else (expected - baseline) / (target - baseline)
    if shortfall <= 0:
        return Assessment(GoalStatus.ON_TRACK, expected, value, progress, due)
    tolerance = AT_RISK_TOLERANCE * (abs(expected) if expected != 0 else abs(target - baseline))
    status = GoalStatus.AT_RISK if shortfall <= tolerance else GoalStatus.OFF_TRACK
    return Assessment(status, expected, value, progress, due)
