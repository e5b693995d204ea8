"""Goal verdicts and litmus findings through the service, the CLI and the API: a move against its measure's
direction is refused naming the goal, a guardrail shows its trend, a plan without a target date is still
checked, unknown scopes are named as unknown, and `apply` prints what it stored."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import httpx

from missionos.measures import Scope
from missionos.store import Database
from missionos.strategy import service
from tests.conftest import Cli, CliResult
from tests.strategy.conftest import Toys
from tests.strategy.plans import VALID

TODAY = dt.date(2026, 11, 24)
YAML = {"content-type": "application/yaml"}

# G1 on lower-is-better toy.lead_time with a target above its baseline: a move the wrong way.
WRONG_WAY = VALID.replace("baseline: {value: 94, at: 2026-10-01}", "baseline: {value: 8, at: 2026-10-01}")

GUARDED = VALID.replace(
    "  - id: G2\n    statement: Throughput up\n",
    "  - id: G2\n    kind: guardrail\n    statement: Throughput stays over 10 a week\n",
).replace(
    "baseline: {value: 10, at: 2026-10-01}\n    target: {value: 20,",
    "baseline: {value: 14, at: 2026-10-01}\n    target: {value: 10,",
)


def _out(result: CliResult) -> str:
    return result.stdout + result.stderr


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_refuses_a_move_against_its_measure_direction(cli: Cli, toys: Toys, tmp_path: Path) -> None:
    plan = _file(tmp_path, WRONG_WAY)
    for command in ("check", "apply"):
        result = cli("strategy", command, str(plan))
        assert result.exit_code == 2, _out(result)
        assert "plan.yaml:11: goals[0].target.value" in _out(result)
        assert "goal G1" in _out(result) and "toy.lead_time is lower-is-better" in _out(result)
        assert "Traceback" not in _out(result)
    assert "benefits-2027" not in cli("strategy", "list").stdout  # nothing stored


def test_api_refuses_a_move_against_its_measure_direction(
    client: httpx.Client, toys: Toys, db: Database
) -> None:
    for path in ("/api/v1/strategy/check", "/api/v1/strategy/plans"):
        answer = client.post(path, content=WRONG_WAY, headers=YAML)
        assert answer.status_code == 422 and answer.headers["content-type"].startswith(
            "application/problem+json"
        )
        assert "goals[0].target.value" in answer.json()["detail"] and "goal G1" in answer.json()["detail"]
    with db.session() as session:
        assert service.list_plans(session) == []


def test_guardrail_verdict_on_cli_api_and_page(
    cli: Cli, client: httpx.Client, toys: Toys, db: Database
) -> None:
    # Throughput (higher is better) must hold over 10; it fell from 14 by 1 a week: it reaches 10 in 2 weeks.
    toys.weekly("toy.throughput", Scope("org"), [15, 14, 13, 12], last=dt.date(2026, 11, 16))
    service.apply_plan(db, GUARDED, actor="ann")
    g2 = service.evaluate(db, "benefits-2027", as_of=TODAY).goals[1]
    assert g2.assessment.status.value == "at risk" and g2.assessment.crosses == dt.date(2026, 11, 30)
    shown = cli("strategy", "show", "benefits-2027", "--as-of", "2026-11-24", "--format", "json")
    goal = json.loads(shown.stdout)["goals"][1]
    assert (goal["kind"], goal["direction"], goal["status"]) == ("guardrail", "higher", "at risk")
    assert goal["trend"]["per_week"] == -1 and goal["crosses"] == "2026-11-30"
    table = cli("strategy", "show", "benefits-2027", "--as-of", "2026-11-24").stdout
    assert "guardrail: limit 10" in table and "falling" in table
    api = client.get("/api/v1/strategy/plans/benefits-2027?as_of=2026-11-24").json()["goals"][1]
    assert (
        api["status"] == "at risk" and api["crosses"] == "2026-11-30" and "falling 1 a week" in api["reason"]
    )
    html = client.get("/strategy/plans/benefits-2027?as_of=2026-11-24").text
    assert "guardrail" in html and "higher is better" in html and "crosses its limit around" in html
    page = client.get("/strategy/plans/benefits-2027/goals/G2?as_of=2026-11-24").text
    assert "Crosses its limit" in page and "2026-11-30" in page and "-1 a week" in page


def test_a_plan_without_a_target_date_is_checked_with_every_finding(
    cli: Cli, toys: Toys, tmp_path: Path
) -> None:
    text = VALID.replace("target: {value: 20, by: 2027-09-30}", "target: {value: 20}").replace(
        "        tests: A2\n", ""
    )
    result = cli("strategy", "check", str(_file(tmp_path, text)), "--as-of", "2026-11-24", "--format", "json")
    assert result.exit_code == 1, _out(result)
    found = {(f["rule"], f["item"]) for f in json.loads(result.stdout)["findings"]}
    assert {("no-target-date", "G2"), ("no-assumption", "B2"), ("unmeasured", "G1")} <= found


def test_an_unknown_stream_or_system_is_named_as_unknown(db: Database) -> None:
    text = VALID.replace(
        "{name: toy.lead_time, scope: {stream: claims}}", "{name: flow.flow_time, scope: {stream: claimz}}"
    ).replace(
        "{name: toy.throughput, scope: {org: null}}",
        "{name: compliance.controls_satisfied, scope: {system: nope}}",
    )
    result = service.check_text(db, text, source="plan.yaml", as_of=TODAY)
    messages = {f.item: f.message for f in result.findings if f.rule == "unmeasured"}
    assert "unknown value stream 'claimz'" in messages["G1"] and "not published" not in messages["G1"]
    assert "unknown system 'nope'" in messages["G2"]


def test_apply_prints_the_findings_it_stored(cli: Cli, toys: Toys, tmp_path: Path) -> None:
    plan = _file(tmp_path, VALID.replace("        tests: A2\n", ""))
    result = cli("strategy", "apply", str(plan), "--as-of", "2026-11-24")
    assert result.exit_code == 0, _out(result)
    assert "stored version 1" in _out(result) and "Litmus check of benefits-2027 v1" in _out(result)
    assert "no-assumption" in _out(result) and "B2" in _out(result)
    again = cli("strategy", "apply", str(plan), "--as-of", "2026-11-24")
    assert "unchanged (version 1)" in _out(again) and "no-assumption" in _out(again)


def test_what_a_bet_says_is_read_on_the_api_and_the_page(client: httpx.Client, toys: Toys) -> None:
    text = VALID.replace(
        "experiment: {flag: toy-hints}", "experiment: {deployment: after the 18-month build}"
    ).replace("decide_by: 2027-01-31", "decide_by: 2099-01-01")
    check = client.post("/api/v1/strategy/check?as_of=2026-11-24", content=text, headers=YAML).json()
    found = {(f["rule"], f["item"]): f["message"] for f in check["findings"]}
    assert 'it says "after"' in found[("no-path-to-production", "B2")]
    assert "after the plan's horizon" in found[("slow", "B1")]
    assert client.post("/api/v1/strategy/plans", content=text, headers=YAML).status_code == 200
    html = client.get("/strategy/plans/benefits-2027?as_of=2026-11-24").text
    assert "admits no path to production" in html and "2099-01-01, after the plan" in html
