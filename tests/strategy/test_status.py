"""Goal status arithmetic (metrics.md §4), with hand-computed values."""

from __future__ import annotations

import datetime as dt

import pytest

from missionos.strategy.status import GoalStatus, assess_goal, expected_on_line

B, T = dt.date(2026, 1, 1), dt.date(2026, 12, 27)  # 360 days apart


def test_line_runs_straight_from_baseline_to_target_and_is_flat_outside() -> None:
    # 90 of 360 days: a quarter of the way from 100 to 20 is 80.
    assert expected_on_line(100, B, 20, T, B + dt.timedelta(days=90)) == pytest.approx(80)
    assert expected_on_line(100, B, 20, T, B - dt.timedelta(days=5)) == 100
    assert expected_on_line(100, B, 20, T, T + dt.timedelta(days=5)) == 20


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (70, GoalStatus.ON_TRACK),  # better than the line (80), lower is better
        (80, GoalStatus.ON_TRACK),  # on the line
        (88, GoalStatus.AT_RISK),  # 8 worse; 10% of 80 is 8
        (88.5, GoalStatus.OFF_TRACK),  # 8.5 worse
    ],
)
def test_lower_is_better_when_the_target_is_below_the_baseline(value: float, status: GoalStatus) -> None:
    result = assess_goal(
        value=value, on=B + dt.timedelta(days=90), baseline=100, baseline_at=B, target=20, target_by=T
    )
    assert result.status is status
    assert result.expected == pytest.approx(80)


@pytest.mark.parametrize(
    ("value", "status"), [(31, GoalStatus.ON_TRACK), (27.5, GoalStatus.AT_RISK), (26.9, GoalStatus.OFF_TRACK)]
)
def test_higher_is_better_when_the_target_is_above_the_baseline(value: float, status: GoalStatus) -> None:
    # half way (180 of 360 days) from 10 to 50 is 30; 10% of 30 is 3, so at risk down to 27.
    result = assess_goal(
        value=value, on=B + dt.timedelta(days=180), baseline=10, baseline_at=B, target=50, target_by=T
    )
    assert result.status is status
    assert result.progress == pytest.approx((value - 10) / 40)
    assert result.expected_progress == pytest.approx(0.5)


def test_line_at_zero_uses_ten_percent_of_the_span() -> None:
    # from 0.5 to 0 by T: at T the line is 0; tolerance is 10% of 0.5 = 0.05.
    args = {"on": T, "baseline": 0.5, "baseline_at": B, "target": 0.0, "target_by": T}
    assert assess_goal(value=0.05, **args).status is GoalStatus.AT_RISK  # type: ignore[arg-type]
    assert assess_goal(value=0.06, **args).status is GoalStatus.OFF_TRACK  # type: ignore[arg-type]


def test_flat_goal_follows_the_measure_direction() -> None:
    args = {"on": B, "baseline": 5.0, "baseline_at": B, "target": 5.0, "target_by": T}
    # below a flat line of 5: on track when lower is better; the wrong way when higher is.
    lower = assess_goal(value=4.6, lower_is_better=True, **args)  # type: ignore[arg-type]
    higher = assess_goal(value=4.6, lower_is_better=False, **args)  # type: ignore[arg-type]
    assert lower.status is GoalStatus.ON_TRACK
    assert higher.status is GoalStatus.OFF_TRACK and "wrong way" in higher.reason


def test_a_move_the_wrong_way_is_off_track_whatever_its_distance() -> None:
    # Lower is better, from 0.12 down to 0.05: 0.121 is only 0.001 worse than the baseline, but the wrong way.
    # On the baseline date the line is at the baseline, so the old rule called this "at risk" (within 10%).
    result = assess_goal(
        value=0.121, on=B, baseline=0.12, baseline_at=B, target=0.05, target_by=T, lower_is_better=True
    )
    assert result.status is GoalStatus.OFF_TRACK
    assert result.progress == pytest.approx(-0.001 / 0.07)  # a signed share: negative is the wrong way
    assert result.direction == "lower"


def test_the_declared_direction_wins_over_the_line() -> None:
    # A target above the baseline on a lower-is-better measure (a stored plan from before the check): the
    # measure's direction judges it, so a rise is the wrong way, not progress.
    result = assess_goal(
        value=0.047, on=T, baseline=0.026, baseline_at=B, target=0.05, target_by=T, lower_is_better=True
    )
    assert result.status is GoalStatus.OFF_TRACK


def test_a_move_without_target_date_has_no_line_but_still_a_direction() -> None:
    args = {"on": T, "baseline": 10.0, "baseline_at": B, "target": 5.0, "target_by": None}
    assert assess_goal(value=8, lower_is_better=True, **args).status is GoalStatus.NO_TARGET_DATE  # type: ignore[arg-type]
    assert assess_goal(value=11, lower_is_better=True, **args).status is GoalStatus.OFF_TRACK  # type: ignore[arg-type]


def test_no_value_or_no_baseline() -> None:
    assert assess_goal(value=None, on=None, baseline=1, baseline_at=B, target=2, target_by=T).status is (
        GoalStatus.NO_DATA
    )
    assert assess_goal(value=1, on=B, baseline=None, baseline_at=None, target=2, target_by=T).status is (
        GoalStatus.NO_BASELINE
    )
