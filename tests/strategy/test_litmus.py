"""Every litmus rule, and its absence (pure: a plan and its evidence, no database)."""

from __future__ import annotations

import datetime as dt

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
    text = VALID.replace(
        "  - id: S2\n    statement: Automate eligibility hints\n    serves: [G2]\n    bets:",
        "  - id: S2\n    statement: Automate eligibility hints\n    serves: [G2]\n    old_bets:",
    ).split("    old_bets:")[0]
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
        VALID.replace(", minimum_effect: 0.2}", "}").replace("        decide_by: 2027-03-01\n", "")
    )
    message = check(no_effect, _evidence(no_effect), AS_OF)[0].message
    assert "minimum effect" in message and "decision rule" in message
    no_flag = _plan(VALID.replace("        experiment: {flag: toy-hints}\n", ""))
    assert "an experiment" in check(no_flag, _evidence(no_flag), AS_OF)[0].message


def test_planned_sample_is_a_decision_rule() -> None:
    plan = _plan(VALID.replace("        decide_by: 2027-03-01\n", "        planned_sample: 20000\n"))
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
    assert _rules(check(plan, _evidence(plan), AS_OF)) == [("orphan", "S2")]


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
