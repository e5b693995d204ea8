"""Goals by kind and direction: guardrails with their trend and crossing date, moves that contradict their
measure's direction (pure: no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from missionos.strategy.goals import assess, direction_problems, resolve_direction, trend
from missionos.strategy.plan import PlanInvalid, parse_plan
from missionos.strategy.status import GoalStatus
from tests.strategy.plans import VALID

TODAY = dt.date(2026, 11, 24)
HORIZON = dt.date(2027, 9, 30)
DIRECTIONS = {"toy.lead_time": "lower", "toy.throughput": "higher", "toy.failure_rate": "lower"}.get


def _weekly(values: list[float], *, last: dt.date = TODAY) -> list[tuple[dt.date, float]]:
    start = last - dt.timedelta(days=7 * (len(values) - 1))
    return [(start + dt.timedelta(days=7 * i), v) for i, v in enumerate(values)]


GUARDRAIL = """\
plan: ops
objective: Ship safely.
horizon: 2027-09-30
goals:
  - id: G3
    kind: guardrail
    statement: Fewer than 1 in 20 production changes needs remediation
    measure: {name: toy.failure_rate, scope: {org: null}}
    baseline: {value: 0.026, at: 2026-06-01}
    target: {value: 0.05, by: 2027-09-30}
"""


def _guardrail(text: str = GUARDRAIL):  # type: ignore[no-untyped-def]
    return parse_plan(text, directions=DIRECTIONS).goals[0]


def test_trend_is_the_least_squares_slope_per_week() -> None:
    # 0.026, 0.030, ..., 0.046: exactly +0.004 a week.
    found = trend(_weekly([0.026 + 0.004 * i for i in range(6)]))
    assert found is not None and found.per_week == pytest.approx(0.004) and found.points == 6
    assert trend(_weekly([1.0, 2.0])) is None  # too few values


def test_a_guardrail_rising_toward_its_limit_is_at_risk_with_trend_and_crossing_date() -> None:
    # The demo's shape: change failure rate up from 2.6% to 4.6%, limit 5%. Under a move goal read from its
    # baseline and target (0.026 -> 0.05) this was "on track"; it is a guardrail that is about to break.
    points = _weekly([0.026 + 0.004 * i for i in range(6)])
    result = assess(
        _guardrail(), value=0.046, on=TODAY, points=points, measure_direction="lower", horizon=HORIZON
    )
    assert result.status is GoalStatus.AT_RISK
    assert result.kind == "guardrail" and result.direction == "lower"
    assert result.trend is not None and result.trend.per_week == pytest.approx(0.004)
    # 0.004 short of the limit at 0.004 a week: one week (7 days) from the newest value.
    assert result.crosses == TODAY + dt.timedelta(days=7)
    assert "rising" in result.reason and str(result.crosses) in result.reason


def test_a_guardrail_beyond_its_limit_is_breached_and_one_holding_steady_is_on_track() -> None:
    goal = _guardrail()
    breached = assess(
        goal, value=0.051, on=TODAY, points=_weekly([0.04, 0.045, 0.051]), measure_direction="lower"
    )
    assert breached.status is GoalStatus.BREACHED and "above its limit" in breached.reason
    at_limit = assess(
        goal, value=0.05, on=TODAY, points=_weekly([0.05, 0.05, 0.05]), measure_direction="lower"
    )
    assert at_limit.status is GoalStatus.ON_TRACK  # at the limit holds
    falling = assess(
        goal, value=0.03, on=TODAY, points=_weekly([0.04, 0.035, 0.03]), measure_direction="lower"
    )
    assert falling.status is GoalStatus.ON_TRACK and falling.crosses is None


def test_a_slow_rise_that_crosses_after_the_goal_date_is_not_at_risk() -> None:
    # +0.0001 a week from 0.03: 200 weeks to reach 0.05, long after 2027-09-30.
    points = _weekly([0.0295, 0.0296, 0.0297, 0.0298, 0.0299, 0.03])
    result = assess(_guardrail(), value=0.03, on=TODAY, points=points, measure_direction="lower")
    assert result.status is GoalStatus.ON_TRACK
    assert result.crosses is not None and result.crosses > HORIZON


def test_a_higher_is_better_guardrail_falling_toward_its_floor() -> None:
    text = GUARDRAIL.replace("toy.failure_rate", "toy.throughput").replace("value: 0.026", "value: 30")
    goal = parse_plan(text.replace("value: 0.05,", "value: 20,"), directions=DIRECTIONS).goals[0]
    points = _weekly([30, 28, 26, 24])
    result = assess(goal, value=24, on=TODAY, points=points, measure_direction="higher")
    assert result.status is GoalStatus.AT_RISK and result.crosses == TODAY + dt.timedelta(days=14)
    assert assess(goal, value=19, on=TODAY, points=points, measure_direction="higher").status is (
        GoalStatus.BREACHED
    )


def test_direction_comes_from_the_measure_not_from_baseline_and_target() -> None:
    plan = parse_plan(VALID)
    g1, g2 = plan.goals
    assert resolve_direction(g1, "lower") == "lower" and resolve_direction(g2, "higher") == "higher"
    # a manual series declares no direction of its own: the plan's `better:` wins over the inference
    manual = parse_plan(
        VALID.replace(
            "    measure: {name: toy.throughput, scope: {org: null}}\n",
            "    measure: {manual: waits}\n    better: lower\n",
        ).replace("baseline: {value: 10,", "baseline: {value: 30,")
    ).goals[1]
    assert resolve_direction(manual, "higher") == "lower"


def test_a_move_against_its_measure_direction_is_rejected_naming_the_goal() -> None:
    # "down to 5%" with a target of 0.20 above a baseline of 0.12, on a lower-is-better measure
    text = """\
plan: ops
objective: Ship safely.
goals:
  - id: G3
    statement: Change failure rate down to 5%
    measure: {name: toy.failure_rate, scope: {org: null}}
    baseline: {value: 0.12, at: 2026-06-01}
    target: {value: 0.20, by: 2027-09-30}
"""
    parse_plan(text)  # without the registry's directions, only the schema is checked
    with pytest.raises(PlanInvalid) as caught:
        parse_plan(text, source="ops.yaml", directions=DIRECTIONS)
    [(path, expected, line)] = caught.value.problems
    assert path == "goals[0].target.value" and line == 8
    assert "goal G3" in expected and "below the baseline 0.12" in expected
    assert "toy.failure_rate is lower-is-better" in expected
    assert "ops.yaml:8: goals[0].target.value" in str(caught.value)


def test_a_declared_direction_that_contradicts_the_measure_is_rejected() -> None:
    text = VALID.replace(
        "    measure: {name: toy.throughput, scope: {org: null}}\n",
        "    measure: {name: toy.throughput, scope: {org: null}}\n    better: lower\n",
    )
    problems = direction_problems(parse_plan(text).document, DIRECTIONS)
    assert problems == [(("goals", 1, "better"), "higher (goal G2: toy.throughput is higher-is-better)")]


def test_a_guardrail_is_not_a_move_and_old_plans_default_to_move() -> None:
    assert parse_plan(VALID).goals[0].kind == "move"
    goal = _guardrail()
    assert goal.is_guardrail
    # a guardrail's limit above its baseline on a lower-is-better measure is what a guardrail is: accepted
    assert direction_problems(parse_plan(GUARDRAIL).document, DIRECTIONS) == []


def test_a_goal_without_target_date_is_still_a_plan() -> None:
    plan = parse_plan(VALID.replace("target: {value: 20, by: 2027-09-30}", "target: {value: 20}"))
    assert plan.goals[1].target_by is None


def test_a_share_reads_as_percent_and_its_trend_in_points() -> None:
    points = _weekly([0.026 + 0.004 * i for i in range(6)])
    result = assess(
        _guardrail(), value=0.046, on=TODAY, points=points, measure_direction="lower", unit="share"
    )
    assert result.reason.startswith("4.6% is under its limit 5% but rising 0.4 points a week over 6 values")
