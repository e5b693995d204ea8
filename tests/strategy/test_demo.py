"""The strategy demo: the story's findings, idempotence, and the example plans in docs/examples."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

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
            ("benefits-2027", 1),
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
    assert view.replan == ["S2"]


def test_docs_examples_are_the_demo_plans_and_valid() -> None:
    documents = demo.plan_documents(TODAY)
    plans = [p for p in EXAMPLES.glob("*.yaml") if "plan" in yaml.safe_load(p.read_text(encoding="utf-8"))]
    assert sorted(p.name for p in plans) == sorted(f"{d['plan']}.yaml" for d in documents)
    for doc in documents:
        text = (EXAMPLES / f"{doc['plan']}.yaml").read_text(encoding="utf-8")
        assert parse_plan(text, source=doc["plan"]).document == doc
        assert yaml.safe_load(text)["plan"] == doc["plan"]
