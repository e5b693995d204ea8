"""The strategy demo: the story's findings, idempotence, and the example plans in docs/examples."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import yaml

from missionos.demo import load_demo
from missionos.demo.org import DemoOrg
from missionos.store import Database
from missionos.strategy import demo, service
from missionos.strategy.plan import parse_plan

TODAY = dt.date(2026, 11, 24)
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def test_demo_plans_tell_the_story_and_load_twice_without_duplicates(db: Database, tmp_path: Path) -> None:
    org = DemoOrg(db=db, seed=7, home=tmp_path, today=TODAY)
    demo.load(org)
    demo.load(org)
    with db.session() as s:
        plans = service.list_plans(s)
        assert [(p.key, p.version) for p in plans] == [
            ("benefits-2027", 2),
            ("eligibility-2027", 1),
            ("intake-2027", 1),
        ]
        wait = service.manual_values(
            s,
            demo.CALL_CENTRE,
            since=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            until=dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
        )
    assert len(wait) == len(demo.call_centre_values(org)) == 26
    view = service.evaluate(db, "benefits-2027", as_of=TODAY)
    found = {(f.rule, f.item) for f in view.findings}
    assert {
        ("wish", "S4"),
        ("untestable", "B2"),
        ("no-path-to-production", "B4"),
        ("overdue", "S3-hello"),
    } <= found
    statuses = {b.bet.id: b.status for s in view.strategies for b in s.bets}
    assert statuses["B1"] == "validated" and statuses["B3"] == "invalidated"
    # The turn of the loop: version 2 answers B3's verdict with a new bet on S2, and says why.
    assert statuses["B3b"] == "open" and view.replan == []
    with db.session() as s:
        v1, v2 = service.history(s, "benefits-2027")
    assert not v1.rationale and v2.rationale == demo.REPLAN_REASON
    assert "bet B3b added in strategy S2" in v2.changes
    assert ("B3", "invalidated") in {(e["bet"], e["status"]) for e in v2.evidence}


def test_docs_examples_are_the_demo_plans_and_valid() -> None:
    documents = demo.plan_documents(TODAY)
    plans = [p for p in EXAMPLES.glob("*.yaml") if "plan" in yaml.safe_load(p.read_text(encoding="utf-8"))]
    assert sorted(p.name for p in plans) == sorted(f"{d['plan']}.yaml" for d in documents)
    for doc in documents:
        text = (EXAMPLES / f"{doc['plan']}.yaml").read_text(encoding="utf-8")
        assert parse_plan(text, source=doc["plan"]).document == doc
        assert yaml.safe_load(text)["plan"] == doc["plan"]


def test_the_demo_change_failure_guardrail_is_at_risk_with_its_trend_and_reason(
    db: Database, tmp_path: Path, client: httpx.Client
) -> None:
    # The whole demo, so that G3 reads the change failure rate the delivery context publishes. It rose from
    # about 2.6% toward its 5% limit; read as a move from baseline to target it showed "on track".
    load_demo(db, seed=7, home=tmp_path, today=TODAY)
    g3 = next(g for g in service.evaluate(db, demo.PROGRAM, as_of=TODAY).goals if g.goal.id == "G3")
    a = g3.assessment
    assert (a.kind, a.direction, a.status.value) == ("guardrail", "lower", "at risk")
    assert a.value is not None and a.value < 0.05
    assert a.trend is not None and a.trend.per_week > 0
    assert a.crosses is not None and TODAY <= a.crosses <= dt.date(2027, 9, 30)
    assert "points a week" in a.reason and str(a.crosses) in a.reason
    api = client.get(f"/api/v1/strategy/plans/{demo.PROGRAM}?as_of={TODAY}").json()
    goal = next(g for g in api["goals"] if g["id"] == "G3")
    assert (goal["kind"], goal["status"], goal["crosses"]) == ("guardrail", "at risk", str(a.crosses))
    html = client.get(f"/strategy/plans/{demo.PROGRAM}?as_of={TODAY}").text
    row = html[html.index('id="goal-G3"') :].split("</tr>")[0]
    assert 'data-status="at risk"' in row and "lower is better" in row and "rising" in row
    assert f'crosses its limit around <time datetime="{a.crosses}">' in row
