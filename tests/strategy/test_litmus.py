"""Every litmus rule, and its absence (pure: a plan and its evidence, no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from missionos.strategy.litmus import Evidence, Finding, Reading, check
from missionos.strategy.plan import Plan, parse_plan
from tests.strategy.plans import VALID

AS_OF = dt.date(2026, 11, 24)
FRESH = Reading(dt.date(2026, 11, 16), 1.0)


def _plan(text: str = VALID) -> Plan:
    return parse_plan(text)


def _evidence(plan: Plan, **changes: object) -> Evidence:
    """Evidence under which `plan` (VALID) has no finding: fresh data, services shipped, no verdicts due."""
    readings = {g.measure.key: FRESH for g in plan.goals if g.measure}
    readings.update({d.measure.key: FRESH for s in plan.strategies for d in s.dashboard})
    base = {"readings": readings, "production_deployments": {"intake-web": 12}, "verdicts": {}}
    base.update(changes)
    return Evidence(**base)  # type: ignore[arg-type]


def _rules(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.rule, f.item) for f in findings]


def test_a_sound_plan_has_no_findings() -> None:
    plan = _plan()
    assert check(plan, _evidence(plan), AS_OF) == []


def test_wish_is_a_strategy_with_no_bet() -> None:
    text = VALID.replace("    bets:\n      - id: B2", "    old_bets:").split("    old_bets:")[0]
    plan = _plan(text)
    assert _rules(check(plan, _evidence(plan), AS_OF)) == [("wish", "S2")]


def test_untestable_bet_lacks_experiment_metric_or_decision_rule() -> None:
    text = VALID.replace(
        "        primary_metric: {name: hours, direction: decrease, minimum_effect: 0.2}\n", ""
    )
    plan = _plan(text)
    findings = check(plan, _evidence(plan), AS_OF)
    assert _rules(findings) == [("untestable", "B2")]
    assert "a primary metric" in findings[0].message
    no_effect = _plan(
        VALID.replace(", minimum_effect: 0.2}", "}").replace("        decide_by: 2027-02-01\n", "")
    )
    message = check(no_effect, _evidence(no_effect), AS_OF)[0].message
    assert "minimum effect" in message and "decision rule" in message
    no_flag = _plan(VALID.replace("        experiment: {flag: toy-hints}\n", ""))
    assert "an experiment" in check(no_flag, _evidence(no_flag), AS_OF)[0].message


def test_planned_sample_is_a_decision_rule() -> None:
    plan = _plan(VALID.replace("        decide_by: 2027-02-01\n", "        planned_sample: 20000\n"))
    assert check(plan, _evidence(plan), AS_OF) == []


def test_no_path_to_production_when_the_service_never_deployed_or_is_unknown() -> None:
    plan = _plan()
    never = check(plan, _evidence(plan, production_deployments={"intake-web": 0}), AS_OF)
    assert _rules(never) == [("no-path-to-production", "B1"), ("no-path-to-production", "B2")]
    assert "never deployed" in never[0].message
    unknown = check(plan, _evidence(plan, production_deployments={}), AS_OF)
    assert [f.rule for f in unknown] == ["no-path-to-production"] * 2


def test_unmeasured_goal_without_measure_or_data() -> None:
    plan = _plan(VALID.replace("    measure: {name: toy.throughput, scope: {org: null}}\n", ""))
    assert _rules(check(plan, _evidence(plan), AS_OF)) == [("unmeasured", "G2")]
    plan = _plan()
    readings = {g.measure.key: FRESH for g in plan.goals if g.measure}
    readings[plan.goals[0].measure.key] = Reading(problem="toy.lead_time is not published")  # type: ignore[union-attr]
    findings = check(plan, _evidence(plan, readings=readings), AS_OF)
    assert _rules(findings) == [("unmeasured", "G1")]
    assert "not published" in findings[0].message


def test_stale_after_the_freshness_limit() -> None:
    plan = _plan()
    key = plan.goals[0].measure.key  # type: ignore[union-attr]
    readings = {g.measure.key: FRESH for g in plan.goals if g.measure}
    readings[key] = Reading(AS_OF - dt.timedelta(days=14), 3.0)  # exactly at the limit: fresh
    assert check(plan, _evidence(plan, readings=readings), AS_OF) == []
    readings[key] = Reading(AS_OF - dt.timedelta(days=15), 3.0)
    findings = check(plan, _evidence(plan, readings=readings), AS_OF)
    assert _rules(findings) == [("stale", "G1")] and "15 days old" in findings[0].message
    relaxed = _plan(VALID.replace("horizon: 2027-09-30", "horizon: 2027-09-30\nfreshness_days: 30"))
    assert check(relaxed, _evidence(relaxed, readings=readings), AS_OF) == []


def test_orphan_strategy_serves_no_goal() -> None:
    plan = _plan(VALID.replace("    serves: [G2]\n", ""))
    # G2 was served by S2 alone, so it is left unserved too.
    assert _rules(check(plan, _evidence(plan), AS_OF)) == [("unserved", "G2"), ("orphan", "S2")]


def test_overdue_action_and_bet() -> None:
    plan = _plan()
    later = dt.date(2027, 2, 1)  # after the action's due date and B1's decide_by, before B2's
    fresh = {g.measure.key: Reading(later, 1.0) for g in plan.goals if g.measure}

    def _evidence(plan: Plan, **changes: object) -> Evidence:
        return globals()["_evidence"](plan, readings=fresh, **changes)  # type: ignore[no-any-return]

    assert _rules(check(plan, _evidence(plan), later)) == [("overdue", "B1"), ("overdue", "S1.actions[0]")]
    decided = check(plan, _evidence(plan, verdicts={"B1": "inconclusive"}), later)
    assert _rules(decided) == [("overdue", "S1.actions[0]")]
    too_early = check(plan, _evidence(plan, verdicts={"B1": "too early"}), later)
    assert ("overdue", "B1") in _rules(too_early)
    done = _plan(
        VALID.replace(
            "owner: Intake team, due: 2026-12-15}", "owner: Intake team, due: 2026-12-15, done: true}"
        )
    )
    assert _rules(check(done, _evidence(done, verdicts={"B1": "validated"}), later)) == []


# --- what a bet says -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("deployment", "words"),
    [
        ("we can't deploy to production yet", "can't"),
        ("after the 18-month build", "after"),
        ("once the build of the new platform is done", "once the"),
        ("the FY2028 release", "FY2028"),
        ("full cutover from the mainframe", "full cutover"),
    ],
)
def test_a_deployment_that_admits_no_production_path(deployment: str, words: str) -> None:
    plan = _plan(VALID.replace("experiment: {flag: toy-hints}", f"experiment: {{deployment: {deployment}}}"))
    findings = check(plan, _evidence(plan), AS_OF)
    assert _rules(findings) == [("no-path-to-production", "B2")]
    assert f'it says "{words}"' in findings[0].message


def test_the_deployment_rule_set_is_the_plan_s_to_change_or_turn_off() -> None:
    text = VALID.replace("experiment: {flag: toy-hints}", "experiment: {deployment: pilot after go-live}")
    assert _rules(check(_plan(text), _evidence(_plan(text)), AS_OF)) == [("no-path-to-production", "B2")]
    off = _plan(
        text.replace("horizon: 2027-09-30\n", "horizon: 2027-09-30\nlitmus: {no_path_to_production: []}\n")
    )
    assert check(off, _evidence(off), AS_OF) == []
    own = _plan(
        text.replace(
            "horizon: 2027-09-30\n", "horizon: 2027-09-30\nlitmus: {no_path_to_production: [pilot]}\n"
        )
    )
    assert 'it says "pilot"' in check(own, _evidence(own), AS_OF)[0].message


def test_a_decision_past_the_horizon_or_more_than_twelve_weeks_away_is_slow() -> None:
    far = _plan(VALID.replace("decide_by: 2027-02-01", "decide_by: 2099-01-01"))
    findings = check(far, _evidence(far), AS_OF)
    assert (
        _rules(findings) == [("slow", "B2")] and "after the plan's horizon 2027-09-30" in findings[0].message
    )
    # 2027-02-17 is 85 days (more than 12 weeks) after 2026-11-24; 2027-02-16 is exactly 12 weeks
    beyond = _plan(VALID.replace("2027-02-01", "2027-02-17"))
    assert _rules(check(beyond, _evidence(beyond), AS_OF)) == [("slow", "B2")]
    within = _plan(VALID.replace("2027-02-01", "2027-02-16"))
    assert check(within, _evidence(within), AS_OF) == []
    wider = _plan(
        VALID.replace("2027-02-01", "2027-02-17").replace(
            "horizon: 2027-09-30\n", "horizon: 2027-09-30\nlitmus: {decide_within_weeks: 13}\n"
        )
    )
    assert check(wider, _evidence(wider), AS_OF) == []


def test_a_bet_that_names_no_assumption() -> None:
    plan = _plan(VALID.replace("        tests: A2\n", ""))
    findings = check(plan, _evidence(plan), AS_OF)
    assert _rules(findings) == [("no-assumption", "B2")] and "tests:" in findings[0].message


def test_a_full_rollout_at_the_start_is_not_a_small_experiment() -> None:
    plan = _plan(
        VALID.replace("{flag: toy-guided-intake, rollout: 0.05}", "{flag: toy-guided-intake, rollout: 1}")
    )
    assert _rules(check(plan, _evidence(plan), AS_OF)) == [("not-small", "B1")]


def test_goals_without_baseline_without_date_or_served_by_no_strategy() -> None:
    text = (
        VALID.replace("    baseline: {value: 10, at: 2026-10-01}\n", "")
        .replace("target: {value: 20, by: 2027-09-30}", "target: {value: 20}")
        .replace("serves: [G1]", "serves: [G2]")
    )
    plan = _plan(text)
    assert _rules(check(plan, _evidence(plan), AS_OF)) == [
        ("unserved", "G1"),
        ("no-baseline", "G2"),
        ("no-target-date", "G2"),
    ]
