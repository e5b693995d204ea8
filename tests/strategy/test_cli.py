"""`missionos strategy ...` end to end on the CLI."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from missionos.measures import Scope
from tests.conftest import Cli
from tests.strategy.conftest import Toys
from tests.strategy.plans import VALID, child


def dt_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _file(tmp_path: Path, text: str, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_check_exit_codes_and_stable_json(cli: Cli, toys: Toys, tmp_path: Path) -> None:
    plan = _file(tmp_path, VALID)
    result = cli("strategy", "check", str(plan), "--as-of", "2026-11-24", "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert set(doc) == {"plan", "findings", "replan"} and doc["plan"] == "benefits-2027"
    assert {(f["rule"], f["item"]) for f in doc["findings"]} == {
        ("unmeasured", "G1"),
        ("unmeasured", "G2"),
        ("no-path-to-production", "B1"),
        ("no-path-to-production", "B2"),
    }
    assert all(set(f) == {"rule", "item", "message"} for f in doc["findings"])
    toys.weekly("toy.lead_time", Scope("stream", "claims"), [90, 80], last=dt_date("2026-11-16"))
    toys.weekly("toy.throughput", Scope("org"), [11, 12], last=dt_date("2026-11-16"))
    toys.set("delivery.production_deployments", Scope("service", "intake-web"), [(dt_date("2026-06-01"), 4)])
    clean = cli("strategy", "check", str(plan), "--as-of", "2026-11-24")
    assert clean.exit_code == 0 and "no findings" in clean.stdout


def test_check_bad_input_exits_2_with_the_field_path(cli: Cli, tmp_path: Path) -> None:
    plan = _file(tmp_path, VALID.replace("direction: increase", "direction: up"))
    result = cli("strategy", "check", str(plan))
    assert result.exit_code == 2
    assert "strategies[0].bets[0].primary_metric.direction: expected increase|decrease" in result.stderr
    assert "Traceback" not in result.stderr
    missing = cli("strategy", "check", str(tmp_path / "nope.yaml"))
    assert missing.exit_code == 2 and "no such file" in missing.stderr


def test_apply_history_diff_show_record_verdict_report(cli: Cli, toys: Toys, tmp_path: Path) -> None:
    plan = _file(tmp_path, VALID)
    assert "stored version 1" in cli("strategy", "apply", str(plan)).stdout
    assert "unchanged (version 1)" in cli("strategy", "apply", str(plan)).stdout
    plan.write_text(VALID.replace("target: {value: 10, by", "target: {value: 12, by"), encoding="utf-8")
    applied = cli("strategy", "apply", str(plan))
    assert "stored version 2" in applied.stdout and "goal G1's target moved from 10 to 12" in applied.stdout
    assert cli("strategy", "apply", str(_file(tmp_path, child(), "child.yaml"))).exit_code == 0
    history = json.loads(cli("strategy", "history", "benefits-2027", "--format", "json").stdout)
    assert [h["version"] for h in history] == [1, 2]
    assert history[1]["changes"] == ["goal G1's target moved from 10 to 12"]
    diff = json.loads(cli("strategy", "diff", "benefits-2027", "1", "2", "--format", "json").stdout)
    assert diff["changes"] == ["goal G1's target moved from 10 to 12"]
    assert cli("strategy", "diff", "benefits-2027", "1", "9").exit_code == 2

    assert (
        cli("strategy", "verdict", "benefits-2027/B2", "invalidated", "--evidence", "https://e/1").exit_code
        == 0
    )
    assert cli("strategy", "verdict", "B2", "fabulous").exit_code == 2
    recorded = cli("strategy", "record", "calls-waiting", "12.5", "--at", "2026-11-20T09:00:00+00:00")
    assert recorded.exit_code == 0
    assert cli("strategy", "record", "calls-waiting", "3", "--at", "2026-11-20T09:00:00").exit_code == 2

    shown = json.loads(cli("strategy", "show", "benefits-2027", "--as-of", "2026-11-24", "-f", "json").stdout)
    assert shown["version"] == 2 and shown["replan"] == ["S2"]
    assert shown["strategies"][1]["bets"][0]["status"] == "invalidated"
    assert shown["children"][0]["plan"] == "intake-2027"
    table = cli("strategy", "show", "benefits-2027", "--as-of", "2026-11-24")
    assert table.exit_code == 0 and "RE-PLAN" in table.stdout and "Findings" in table.stdout

    out = tmp_path / "report.html"
    assert (
        cli("strategy", "report", "benefits-2027", "--out", str(out), "--as-of", "2026-11-24").exit_code == 0
    )
    html = out.read_text(encoding="utf-8")
    assert "Benefits Modernization 2027" in html and "size: A4 landscape" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "self-contained: no external asset"
    assert "<script" not in html
