"""The loop closes: what a verdict asks of the plan, the mismatches, the re-plan's reason and evidence, the
evidence pages' links back, and learning speed (docs/loop.md; metrics.md §4)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from missionos.errors import FieldError
from missionos.measures import Verdict
from missionos.store import Database
from missionos.strategy import learning, loop, models, replan, service
from tests.conftest import Cli
from tests.strategy.conftest import TODAY, Toys
from tests.strategy.plans import VALID


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), dt.UTC)


def published(key: str, status: str, **fields: object) -> Verdict:
    return Verdict(key, status, f"/experiments/{key}", **fields)  # type: ignore[arg-type]


HINTS_INVALIDATED = {
    "primary_metric": "hours",
    "allocation": 1.0,
    "effect": -0.081,
    "ci": (-0.12, -0.042),
    "started_at": at(dt.date(2026, 10, 1)),
    "decided_at": at(dt.date(2026, 11, 20)),
    "running": True,
}

# Version 2 of VALID: B2 was invalidated, so S2 gains an assumption and a bet that tests it.
REPLANNED = (
    VALID.replace(
        """      - {id: A2, statement: Caseworkers trust the hints}
""",
        """      - {id: A2, statement: Caseworkers trust the hints}
      - {id: A2b, statement: Hints help caseworkers once the application is in}
""",
    )
    + """      - id: B3
        tests: A2b
        hypothesis: Hints for caseworkers only cut hours
        service: intake-web
        experiment: {flag: toy-caseworker-hints}
        primary_metric: {name: hours, direction: decrease, minimum_effect: 0.2}
"""
)


def kinds(state: loop.LoopState, bet: str) -> list[str]:
    return [p.kind for p in state.prompts if p.bet == bet]


def test_a_validated_bet_prompts_scale_with_the_next_rollout_and_the_goals_it_moves(
    db: Database, toys: Toys
) -> None:
    service.apply_plan(db, VALID, actor="ann")
    toys.verdicts["toy-guided-intake"] = published(
        "toy-guided-intake", "validated", primary_metric="intake-completed", allocation=0.05, effect=0.15
    )
    state = loop.assess_plan(db, "benefits-2027", as_of=TODAY)
    assert kinds(state, "B1") == ["scale"]  # "intake-completed" is "intake_completed": no mismatch
    scale = state.prompts[0]
    assert scale.rollout_now == 0.05 and scale.next_rollout == 0.1 and scale.goals == ("G1",)
    assert "5% → 10%" in scale.message and "it moves G1" in scale.message and "+15.0%" in scale.message
    # At 100% there is no next step: the change becomes the default.
    toys.verdicts["toy-guided-intake"] = published("toy-guided-intake", "validated", allocation=1.0)
    full = loop.assess_plan(db, "benefits-2027", as_of=TODAY).prompts[0]
    assert full.next_rollout is None and "retire the flag" in full.message


def test_an_invalidated_bet_at_full_allocation_is_flagged_and_asks_to_stop_and_replan(
    db: Database, toys: Toys
) -> None:
    service.apply_plan(db, VALID, actor="ann")
    toys.verdicts["toy-hints"] = published("toy-hints", "invalidated", **HINTS_INVALIDATED)
    state = loop.assess_plan(db, "benefits-2027", as_of=TODAY)
    assert kinds(state, "B2") == ["stop", "full-allocation", "re-plan"]
    stop, flagged, replan = state.prompts
    assert "still exposes 100%" in stop.message
    assert "−8.1%, CI −12.0% to −4.2%" in flagged.message and "100% allocation" in flagged.message
    assert "every bet on strategy S2 is invalidated" in replan.message and replan.answered_by is None
    assert state.mismatches == ()
    # Once the flag is off, only the re-plan is left, and not as a 100% flag.
    toys.verdicts["toy-hints"] = published("toy-hints", "invalidated", allocation=0.0)
    assert kinds(loop.assess_plan(db, "benefits-2027", as_of=TODAY), "B2") == ["re-plan"]


def test_mismatches_the_judged_metric_and_the_real_rollout(db: Database, toys: Toys) -> None:
    service.apply_plan(db, VALID, actor="ann")
    toys.verdicts["toy-guided-intake"] = published(
        "toy-guided-intake", "too early", primary_metric="application-completed", allocation=0.5
    )
    state = loop.assess_plan(db, "benefits-2027", as_of=TODAY)
    assert state.actions == ()
    metric, rollout = state.mismatches
    assert metric.kind == "metric-mismatch" and "intake_completed" in metric.message
    assert "judges application-completed" in metric.message
    assert rollout.kind == "rollout-mismatch" and rollout.message == (
        "B1 plans a 5% rollout, but flag toy-guided-intake is at 50%."
    )
    # Within half a point, plan and flag agree; an unknown allocation is no mismatch.
    toys.verdicts["toy-guided-intake"] = published("toy-guided-intake", "too early", allocation=0.052)
    assert loop.assess_plan(db, "benefits-2027", as_of=TODAY).mismatches == ()


def test_a_replan_records_its_reason_and_cites_the_verdicts_it_rests_on(db: Database, toys: Toys) -> None:
    service.apply_plan(db, VALID, actor="ann")
    toys.verdicts["toy-hints"] = published("toy-hints", "invalidated", **HINTS_INVALIDATED)
    toys.verdicts["toy-guided-intake"] = published("toy-guided-intake", "too early")
    applied = service.apply_plan(db, REPLANNED, actor="ann", reason="hints help caseworkers, not residents")
    assert applied.version == 2
    assert [(e["bet"], e["status"]) for e in applied.evidence] == [("B2", "invalidated")]  # not "too early"
    with db.session() as s:
        versions = service.history(s, "benefits-2027")
    v2 = versions[-1]
    assert v2.rationale == "hints help caseworkers, not residents"
    assert loop.history_line(v2.version, v2.rationale, v2.evidence, v2.changes) == (
        "v2: B2 invalidated (−8.1%, CI −12.0% to −4.2%) → assumption A2b added in strategy S2; "
        "bet B3 added in strategy S2, "
        "because hints help caseworkers, not residents"
    )
    # The re-plan prompt is answered by version 2; the flag is still to stop.
    state = loop.assess_plan(db, "benefits-2027", as_of=TODAY)
    replan = next(p for p in state.prompts if p.kind == "re-plan")
    assert replan.answered_by == 2 and "re-plan" not in [p.kind for p in state.open_actions]
    # A later version does not cite the same verdict again.
    v3 = service.apply_plan(
        db, REPLANNED.replace("Hints for caseworkers only", "Caseworker hints"), actor="ann"
    )
    assert v3.version == 3 and v3.evidence == ()


def test_a_reason_too_long_is_refused_and_nothing_is_stored(db: Database, toys: Toys) -> None:
    service.apply_plan(db, VALID, actor="ann")
    with pytest.raises(FieldError, match="reason"):
        service.apply_plan(db, REPLANNED, actor="ann", reason="x" * 4001)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(models.PlanVersion)) == 1


def test_evidence_names_the_bets_and_goals_relying_on_it(db: Database, toys: Toys) -> None:
    service.apply_plan(db, VALID, actor="ann")
    experiment = loop.relying_on(db, "experiment", "toy-hints")
    assert [(r.item, r.id, r.goals) for r in experiment] == [("bet", "B2", ("G2",))]
    assert experiment[0].url == "/strategy/plans/benefits-2027#bet-B2"
    service_ = loop.relying_on(db, "service", "intake-web")
    assert [(r.item, r.id) for r in service_] == [("bet", "B1"), ("bet", "B2")]
    stream = loop.relying_on(db, "stream", "claims")
    assert [(r.item, r.id, r.how) for r in stream] == [
        ("goal", "G1", "measure toy.lead_time (stream:claims)")
    ]
    assert loop.relying_on(db, "system", "benefits-portal") == []


def test_evidence_pages_read_what_relies_on_it_once_per_change(
    db: Database, toys: Toys, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.apply_plan(db, VALID, actor="ann")
    reads: list[str] = []
    relying_on = loop.relying_on

    def counted(db: Database, kind: str, name: str) -> list[loop.Reliance]:
        reads.append(name)
        return relying_on(db, kind, name)

    monkeypatch.setattr(loop, "relying_on", counted)
    first = loop.relying_on_cached(db, "experiment", "toy-hints")
    assert first == relying_on(db, "experiment", "toy-hints")
    first.clear()  # the caller's copy: the cached answer is not changed
    assert [r.id for r in loop.relying_on_cached(db, "experiment", "toy-hints")] == ["B2"]
    # PostgreSQL's WAL position also moves with the tests running beside this one: count on SQLite only
    quiet = db.dialect == "sqlite"
    assert reads == ["toy-hints"] or not quiet
    service.apply_plan(db, VALID.replace("flag: toy-hints", "flag: toy-other"), actor="ann")
    assert loop.relying_on_cached(db, "experiment", "toy-hints") == []
    assert reads == ["toy-hints", "toy-hints"] or not quiet


def test_learning_speed_per_team_plan_and_strategy(db: Database, toys: Toys) -> None:
    service.apply_plan(db, VALID, actor="ann")
    # B2: started 2026-10-01, in on 2026-11-20 (50 days), before its decision date 2027-03-01.
    toys.verdicts["toy-hints"] = published("toy-hints", "invalidated", **HINTS_INVALIDATED)
    # B1: decided by hand; its start is the day it first appeared in the plan (today, when applied).
    service.record_verdict(db, "benefits-2027/B1", "validated", evidence="", actor="ann")
    with db.session() as s:
        s.execute(models.HandVerdict.__table__.update().values(decided_at=at(dt.date.today())))
    found = learning.learning(db, as_of=dt.date(2027, 3, 2))
    rows = {b.bet: b for b in found.bets}
    assert rows["B2"].started == dt.date(2026, 10, 1) and rows["B2"].started_from == "experiment"
    assert rows["B2"].days_to_verdict == 50 and rows["B2"].on_time
    assert rows["B1"].started_from == "plan" and rows["B1"].days_to_verdict == 0
    (team,) = found.by_team
    assert (team.bets, team.decided, team.median_days, team.on_time, team.due) == (2, 2, 25.0, 2, 2)
    assert team.on_time_share == 1.0
    assert [(s.group, s.median_days) for s in found.by_strategy] == [
        ("benefits-2027/S1", 0.0),
        ("benefits-2027/S2", 50.0),
    ]
    # A bet not decided by its passed decision date counts against the share.
    toys.verdicts["toy-hints"] = published("toy-hints", "too early", started_at=at(dt.date(2026, 10, 1)))
    late = learning.learning(db, as_of=dt.date(2027, 3, 2)).overall
    assert (late.on_time, late.due, late.decided) == (1, 2, 1)


def test_cli_loop_apply_reason_history_and_learning(
    cli: Cli, db: Database, toys: Toys, tmp_path: Path
) -> None:
    first, second = tmp_path / "v1.yaml", tmp_path / "v2.yaml"
    first.write_text(VALID, encoding="utf-8")
    second.write_text(REPLANNED, encoding="utf-8")
    assert cli("strategy", "apply", str(first)).exit_code == 0
    assert cli("strategy", "loop", "benefits-2027", "--as-of", "2026-11-24").exit_code == 0
    toys.verdicts["toy-hints"] = published("toy-hints", "invalidated", **HINTS_INVALIDATED)
    result = cli("strategy", "loop", "benefits-2027", "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert set(doc) == {"plan", "actions", "mismatches"}
    assert [a["kind"] for a in doc["actions"]] == ["stop", "full-allocation", "re-plan"]
    applied = cli("strategy", "apply", str(second), "--reason", "hints help caseworkers")
    assert applied.exit_code == 0 and "cites B2 invalidated" in applied.stdout
    history = json.loads(cli("strategy", "history", "benefits-2027", "--format", "json").stdout)
    assert history[1]["rationale"] == "hints help caseworkers"
    assert history[1]["summary"].startswith("v2: B2 invalidated (−8.1%")
    speed = json.loads(cli("strategy", "learning", "--format", "json").stdout)
    assert speed["overall"]["decided"] == 1 and speed["by_team"][0]["group"] == "benefits-2027"
    bad = cli("strategy", "loop", "benefits-2027", "--as-of", "yesterday")
    assert bad.exit_code == 2 and "Traceback" not in bad.stderr and "--as-of" in bad.stderr
    missing = cli("strategy", "learning", "--plan", "nope")
    assert missing.exit_code != 0 and "Traceback" not in missing.stderr


def test_pages_and_api_show_the_loop(client: httpx.Client, db: Database, toys: Toys) -> None:
    service.apply_plan(db, VALID, actor="ann")
    toys.verdicts["toy-hints"] = published("toy-hints", "invalidated", **HINTS_INVALIDATED)
    html = client.get("/strategy/plans/benefits-2027").text
    assert 'id="loop"' in html and html.index('id="loop"') < html.index('class="objective"')  # at the top
    assert 'data-kind="full-allocation" data-bet="B2"' in html
    api = client.get("/api/v1/strategy/plans/benefits-2027/loop").json()
    assert [a["kind"] for a in api["actions"]] == ["stop", "full-allocation", "re-plan"]
    # Re-plan from the page with a reason.
    saved = client.post(
        "/strategy/plans/benefits-2027/edit",
        data={"source": REPLANNED, "reason": "hints help caseworkers"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    history = client.get("/strategy/plans/benefits-2027/history").text
    assert "v2: B2 invalidated (−8.1%, CI −12.0% to −4.2%)" in history and "hints help caseworkers" in history
    versions = client.get("/api/v1/strategy/plans/benefits-2027/versions").json()
    assert versions[1]["cites"][0]["bet"] == "B2" and versions[1]["rationale"] == "hints help caseworkers"
    learning_page = client.get("/strategy/learning?plan=benefits-2027")
    assert learning_page.status_code == 200 and 'data-group="benefits-2027/S2"' in learning_page.text
    assert client.get("/api/v1/strategy/learning").json()["overall"]["bets"] == 3
    relied = client.get("/api/v1/strategy/relied-on/experiment/toy-hints").json()
    assert [(r["item"], r["id"]) for r in relied] == [("bet", "B2")]
    bad = client.get("/api/v1/strategy/relied-on/planet/mars")
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/strategy/plans/benefits-2027/loop?as_of=soon").status_code == 422


def test_replan_operations_write_a_new_yaml_version(db: Database, toys: Toys) -> None:
    service.apply_plan(db, VALID, actor="ann")
    added = replan.replan(
        db,
        "benefits-2027",
        "add-bet",
        {
            "strategy": "S2",
            "id": "B9",
            "hypothesis": "Caseworker hints cut hours",
            "flag": "toy-caseworker-hints",
            "rollout": "10",
            "metric": "hours",
            "direction": "decrease",
            "minimum_effect": "0.2",
            "decide_by": "2027-04-30",
        },
        actor="ann",
        reason="B2 failed for residents",
    )
    assert added.version == 2 and added.changes == ("bet B9 added in strategy S2",)
    with db.session() as s:
        stored = service.get_plan(s, "benefits-2027")
    assert "id: B9" in stored.source and "rollout: 0.1" in stored.source  # the YAML is the source
    b9 = stored.plan.bets[-1]
    assert (b9.flag, b9.rollout, b9.decide_by) == ("toy-caseworker-hints", 0.1, dt.date(2027, 4, 30))
    target = replan.replan(db, "benefits-2027", "change-target", {"goal": "G2", "value": "25"}, actor="ann")
    assert target.changes == ("goal G2's target moved from 20 to 25",)
    retired = replan.replan(db, "benefits-2027", "retire-strategy", {"strategy": "S1"}, actor="ann")
    assert retired.changes == ("strategy S1 removed",)
    # Bad input names the field, and nothing is stored.
    for op, fields, name in (
        ("add-bet", {"strategy": "S9", "id": "B1"}, "strategy"),
        ("add-bet", {"strategy": "S2", "id": "B10", "rollout": "150"}, "rollout"),
        ("add-bet", {"strategy": "S2", "id": "B10", "decide_by": "soon"}, "decide_by"),
        ("add-bet", {"strategy": "S2", "id": "B2"}, "strategies[0].bets[2].id"),  # a duplicate id
        ("change-target", {"goal": "G1", "value": "ten"}, "value"),
        ("rename", {}, "op"),
    ):
        with pytest.raises(FieldError) as raised:
            replan.replan(db, "benefits-2027", op, fields, actor="ann")
        assert name in str(raised.value), (op, str(raised.value))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(models.PlanVersion)) == 4


def test_replan_form_page_api_and_cli(client: httpx.Client, cli: Cli, db: Database, toys: Toys) -> None:
    service.apply_plan(db, VALID, actor="ann")
    form = client.get("/strategy/plans/benefits-2027/replan")
    assert form.status_code == 200 and 'id="add-bet"' in form.text and 'value="change-target"' in form.text
    bad = client.post(
        "/strategy/plans/benefits-2027/replan", data={"op": "change-target", "goal": "G1", "value": "ten"}
    )
    assert bad.status_code == 422 and "value: expected a number" in bad.text
    saved = client.post(
        "/strategy/plans/benefits-2027/replan",
        data={"op": "change-target", "goal": "G1", "value": "8", "reason": "faster than hoped"},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=2")
    api = client.post(
        "/api/v1/strategy/plans/benefits-2027/replan",
        json={"op": "retire-strategy", "fields": {"strategy": "S2"}, "reason": "no longer needed"},
    ).json()
    assert api["version"] == 3 and api["changes"] == ["strategy S2 removed"]
    refused = client.post("/api/v1/strategy/plans/benefits-2027/replan", json={"op": "rename"})
    assert refused.status_code == 422 and refused.headers["content-type"].startswith(
        "application/problem+json"
    )
    result = cli(
        "strategy", "replan", "benefits-2027", "change-target", "-f", "goal=G2", "-f", "by=2027-12-31"
    )
    assert (
        result.exit_code == 0 and "goal G2's target date moved from 2027-09-30 to 2027-12-31" in result.stdout
    )
    wrong = cli("strategy", "replan", "benefits-2027", "change-target", "-f", "goal")
    assert wrong.exit_code == 2 and "--field" in wrong.stderr and "Traceback" not in wrong.stderr
    with db.session() as s:
        history = service.history(s, "benefits-2027")
    assert [v.rationale for v in history] == ["", "faster than hoped", "no longer needed", ""]
