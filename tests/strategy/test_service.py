"""Applying, versioning and comparing plans; the cascade; the loop to live evidence (both databases)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from missionos.accounts.audit import entries
from missionos.errors import ConflictError, FieldError, InputError
from missionos.measures import Scope, Verdict
from missionos.store import Database
from missionos.strategy import models, service
from missionos.strategy.status import GoalStatus
from tests.strategy.conftest import TODAY, Toys, at
from tests.strategy.plans import VALID, child


def _versions(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(models.PlanVersion)) or 0


def test_apply_stores_a_version_only_when_the_plan_changed(db: Database) -> None:
    first = service.apply_plan(db, VALID, actor="ann")
    assert (first.key, first.version, first.changed) == ("benefits-2027", 1, True)
    # Comments and layout are not changes.
    again = service.apply_plan(db, VALID.replace("# id, unique", "# the id") + "\n\n", actor="ann")
    assert (again.version, again.changed) == (1, False)
    changed = service.apply_plan(
        db,
        VALID.replace("target: {value: 20, by: 2027-09-30}", "target: {value: 15, by: 2027-09-30}"),
        actor="bob",
    )
    assert (changed.version, changed.changed) == (2, True)
    assert changed.changes == ("goal G2's target moved from 20 to 15",)
    assert _versions(db) == 2
    with db.session() as s:
        log = entries(s, kind="plan", key="benefits-2027")
        assert [(e.actor, e.action) for e in log] == [("bob", "update"), ("ann", "create")]
        assert (
            log[0].before["goals"][1]["target"]["value"] == 20
            and log[0].after["goals"][1]["target"]["value"] == 15
        )
        versions = service.history(s, "benefits-2027")
        assert [v.version for v in versions] == [1, 2] and versions[1].changes == changed.changes


def test_diff_speaks_in_plan_terms(db: Database) -> None:
    service.apply_plan(db, VALID, actor="ann")
    edited = VALID.replace(
        "decide_by: 2027-02-01\n", "decide_by: 2027-02-01\n      - {id: B3, service: intake-web}\n"
    )
    edited = edited.replace(
        "statement: Automate eligibility hints", "statement: Suggest eligibility outcomes"
    )
    edited = edited.replace("  - id: G2\n", "  - id: G3\n").replace("serves: [G2]", "serves: [G3]")
    service.apply_plan(db, edited, actor="ann")
    with db.session() as s:
        lines = service.diff_versions(s, "benefits-2027", 1, 2)
        assert service.diff_versions(s, "benefits-2027", 2, 2) == []
    assert lines == [
        "goal G3 added",
        "goal G2 removed",
        'strategy S2\'s serves moved from ["G2"] to ["G3"]',
        "strategy S2's statement moved from Automate eligibility hints to Suggest eligibility outcomes",
        "bet B3 added in strategy S2",
    ]


def test_bad_plan_stores_nothing_and_names_the_field(db: Database) -> None:
    service.apply_plan(db, VALID, actor="ann")
    with pytest.raises(FieldError, match=r"strategies\[0\]\.bets\[0\]\.primary_metric\.direction"):
        service.apply_plan(db, VALID.replace("direction: increase", "direction: upward"), actor="ann")
    with pytest.raises(InputError):
        service.apply_plan(db, "plan: [unclosed\n", actor="ann")
    assert _versions(db) == 1
    with db.session() as s:
        assert len(entries(s, kind="plan")) == 1


def test_cascade_parent_must_exist_with_that_strategy(db: Database) -> None:
    with pytest.raises(FieldError, match=r"parent\.plan: expected a stored plan"):
        service.apply_plan(db, child(), actor="ann")
    service.apply_plan(db, VALID, actor="ann")
    with pytest.raises(FieldError) as caught:
        service.apply_plan(db, child("S9"), actor="ann")
    assert str(caught.value) == "parent.strategy: expected a strategy of plan benefits-2027 (S1, S2)"
    assert service.apply_plan(db, child("S1"), actor="ann").changed
    with db.session() as s:
        plans = service.list_plans(s)
        assert [(p.key, p.parent_plan, p.parent_strategy) for p in plans] == [
            ("benefits-2027", None, None),
            ("intake-2027", "benefits-2027", "S1"),
        ]
        assert service.home_plan(s) == "benefits-2027"
    # The parent may not drop the strategy a child cascades from.
    without_s1 = VALID.replace("    serves: [G1]\n", "    serves: [G1]\n").replace(
        "  - id: S1\n", "  - id: S0\n"
    )
    with pytest.raises(ConflictError, match="intake-2027 cascades from strategy S1"):
        service.apply_plan(db, without_s1, actor="ann")
    view = service.evaluate(db, "benefits-2027", as_of=TODAY)
    assert [c.key for c in view.strategies[0].children] == ["intake-2027"]


def test_goal_values_and_status_come_through_the_registry(db: Database, toys: Toys) -> None:
    # G1: lead time, baseline 94 on 2026-10-01, target 10 by 2027-09-30 (364 days).
    toys.weekly("toy.lead_time", Scope("stream", "claims"), [95, 90, 85, 80], last=dt.date(2026, 11, 16))
    toys.set("toy.throughput", Scope("org"), [(dt.date(2026, 11, 16), 9.0)])
    toys.set("delivery.production_deployments", Scope("service", "intake-web"), [(dt.date(2026, 9, 1), 3.0)])
    service.apply_plan(db, VALID, actor="ann")
    view = service.evaluate(db, "benefits-2027", as_of=TODAY)
    g1, g2 = view.goals
    # On 2026-11-16 (46 of 364 days) the line is at 94 - 84 * 46/364 = 83.38...; 80 is better: on track.
    assert g1.assessment.value == 80 and g1.assessment.expected == pytest.approx(94 - 84 * 46 / 364)
    assert g1.assessment.status is GoalStatus.ON_TRACK
    assert [v for _, v in g1.series.points] == [95, 90, 85, 80]  # type: ignore[union-attr]
    # G2: 9 against a line of 10 + 10*46/364 = 11.26; 10% of that is 1.13, and 9 is 2.26 short: off track.
    assert g2.assessment.status is GoalStatus.OFF_TRACK
    assert view.findings == ()  # fresh data, intake-web has shipped, nothing due


def test_a_week_in_progress_is_not_yet_a_value(db: Database, toys: Toys) -> None:
    toys.weekly("toy.lead_time", Scope("stream", "claims"), [90, 85, 30], last=dt.date(2026, 11, 23))
    service.apply_plan(db, VALID, actor="ann")
    g1 = service.evaluate(db, "benefits-2027", as_of=TODAY).goals[0]  # 2026-11-24: week of 11-23 not over
    assert g1.assessment.value == 85
    g1 = service.evaluate(db, "benefits-2027", as_of=dt.date(2026, 11, 29)).goals[0]
    assert g1.assessment.value == 30


def test_no_path_to_production_uses_production_deployments_over_all_time(db: Database, toys: Toys) -> None:
    service.apply_plan(db, VALID, actor="ann")
    findings = service.evaluate(db, "benefits-2027", as_of=TODAY).findings
    assert {(f.rule, f.item) for f in findings if f.rule == "no-path-to-production"} == {
        ("no-path-to-production", "B1"),
        ("no-path-to-production", "B2"),
    }
    toys.set("delivery.production_deployments", Scope("service", "intake-web"), [(dt.date(2025, 1, 6), 1.0)])
    findings = service.evaluate(db, "benefits-2027", as_of=TODAY).findings
    assert not [f for f in findings if f.rule == "no-path-to-production"]


def test_verdicts_from_the_registry_replace_hand_entries(db: Database, toys: Toys) -> None:
    service.apply_plan(db, VALID, actor="ann")
    service.record_verdict(db, "B2", "invalidated", evidence="https://wiki/hints", actor="ann")
    view = service.evaluate(db, "benefits-2027", as_of=TODAY)
    s1, s2 = view.strategies
    assert (s2.bets[0].status, s2.bets[0].verdict_source, s2.bets[0].evidence_url) == (
        "invalidated",
        "hand",
        "https://wiki/hints",
    )
    assert s2.replan and not s1.replan and view.replan == ["S2"]
    toys.verdicts["toy-hints"] = Verdict("toy-hints", "validated", "/experiments/toy-hints")
    s2 = service.evaluate(db, "benefits-2027", as_of=TODAY).strategies[1]
    assert (s2.bets[0].status, s2.bets[0].verdict_source, s2.bets[0].evidence_url) == (
        "validated",
        "experiments",
        "/experiments/toy-hints",
    )
    assert not s2.replan
    with db.session() as s:
        assert [e.key for e in entries(s, kind="bet")] == ["benefits-2027/B2"]
    with pytest.raises(FieldError, match="validated\\|invalidated"):
        service.record_verdict(db, "B2", "great", evidence="", actor="ann")


def test_manual_series_feeds_a_goal_and_is_audited(db: Database) -> None:
    text = VALID.replace("{name: toy.throughput, scope: {org: null}}", "{manual: calls-waiting}")
    service.apply_plan(db, text, actor="ann")
    assert service.record_value(db, "calls-waiting", 12, at(dt.date(2026, 11, 20)), actor="ann")
    assert not service.record_value(db, "calls-waiting", 12, at(dt.date(2026, 11, 20)), actor="ann")
    assert service.record_value(db, "calls-waiting", 14, at(dt.date(2026, 11, 20)), actor="bob")
    g2 = service.evaluate(db, "benefits-2027", as_of=TODAY).goals[1]
    assert g2.series.points == ((dt.date(2026, 11, 20), 14.0),)  # type: ignore[union-attr]
    with db.session() as s:
        assert [(e.actor, e.action) for e in entries(s, kind="manual-value")] == [
            ("bob", "update"),
            ("ann", "record"),
        ]
    with pytest.raises(FieldError):
        service.record_value(db, "Bad Name", 1, at(TODAY), actor="ann")


def test_a_strategy_rolls_up_the_plans_cascaded_from_it(db: Database, toys: Toys) -> None:
    service.apply_plan(db, VALID, actor="ann")
    service.apply_plan(db, child("S1", "intake-2027"), actor="ann")
    service.apply_plan(db, child("S1", "eligibility-2027"), actor="ann")
    # Intake's throughput (baseline 1, target 5) is at 4 by mid-November: ahead of its line, on track.
    toys.set("toy.throughput", Scope("team", "Intake"), [(dt.date(2026, 11, 16), 4.0)])
    view = service.evaluate(db, "benefits-2027", as_of=TODAY)
    s1 = next(s for s in view.strategies if s.strategy.id == "S1")
    rolled = {r.plan.key: r for r in s1.rollups}
    assert set(rolled) == {"intake-2027", "eligibility-2027"}
    assert all(not s.rollups for s in view.strategies if s.strategy.id != "S1")
    for key, rollup in rolled.items():
        own = service.evaluate(db, key, as_of=TODAY)
        assert rollup.goals == {str(g.assessment.status): 1 for g in own.goals}
        assert rollup.findings == len(own.findings)
        assert rollup.bets == {"open": 1}
    # Both child plans read Intake's throughput (the test plan's one goal).
    assert rolled["intake-2027"].goals == {"on track": 1}
    assert rolled["eligibility-2027"].as_dict()["goals"] == {"on track": 1}
    toys.set("toy.throughput", Scope("team", "Intake"), [])
    later = service.evaluate(db, "benefits-2027", as_of=TODAY)
    (s1_later,) = [s for s in later.strategies if s.strategy.id == "S1"]
    assert {r.plan.key: r.goals for r in s1_later.rollups} == {
        "intake-2027": {"no data": 1},
        "eligibility-2027": {"no data": 1},
    }
