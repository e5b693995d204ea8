"""The experiments commands end to end on a real database: flags, imports, analysis, power, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from missionos.accounts import audit
from missionos.experiments.evaluation import EvalContext, evaluate_feature
from missionos.experiments.models import Exposure, MetricEvent
from missionos.store import Database
from tests.conftest import Cli

FLAGS = """
flags:
  - key: checkout-redesign
    service: intake-web
    description: New checkout
    defaultValue: false
    rules:
      - id: ramp
        key: checkout-redesign
        variations: [false, true]
        weights: [0.5, 0.5]
        coverage: 0.05
        hashVersion: 2
        meta: [{key: control}, {key: redesign}]
metrics:
  - key: purchase
    type: proportion
    event: purchase
experiments:
  - key: checkout-redesign
    variations: [control, redesign]
    primary_metric: purchase
    mme: 0.01
"""


def _apply(cli: Cli, tmp_path: Path, text: str = FLAGS) -> None:
    path = tmp_path / "flags.yaml"
    path.write_text(text)
    result = cli("experiments", "flags", "apply", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr


def test_apply_versions_and_audits_every_change(cli: Cli, db: Database, tmp_path: Path) -> None:
    _apply(cli, tmp_path)
    _apply(cli, tmp_path)  # the same file again changes nothing
    assert cli("experiments", "flags", "rollout", "checkout-redesign", "25").exit_code == 0
    history = json.loads(
        cli("experiments", "flags", "history", "checkout-redesign", "--format", "json").stdout
    )
    assert [(v["version"], v["rollout"]) for v in history] == [(2, 0.25), (1, 0.05)]
    with db.session() as session:
        entries = audit.entries(session, kind="flag", key="checkout-redesign")
    assert [e.action for e in entries] == ["update", "create"]
    assert entries[0].before["rollout"] == 0.05 and entries[0].after["rollout"] == 0.25
    assert entries[0].actor.startswith("cli:")


def test_raising_a_rollout_keeps_everyone_already_in(cli: Cli, tmp_path: Path) -> None:
    _apply(cli, tmp_path)
    flags = {}
    for percent in ("5", "25", "100"):
        cli("experiments", "flags", "rollout", "checkout-redesign", percent)
        doc = json.loads(cli("experiments", "flags", "list", "--format", "json").stdout)
        assert doc[0]["rollout"] == int(percent) / 100
        payload = _payload(cli)
        flags[percent] = {
            uid: evaluate_feature(EvalContext(attributes={"id": uid}, features=payload), "checkout-redesign")
            for uid in (f"user-{i}" for i in range(2000))
        }
    for smaller, larger in (("5", "25"), ("25", "100")):
        inside = {
            u: r["experimentResult"]["key"] for u, r in flags[smaller].items() if r["source"] == "experiment"
        }
        assert inside, "some users are in at every step"
        assert all(flags[larger][u]["experimentResult"]["key"] == v for u, v in inside.items())
    shares = {p: sum(r["source"] == "experiment" for r in f.values()) / 2000 for p, f in flags.items()}
    assert shares["5"] == pytest.approx(0.05, abs=0.015) and shares["100"] == 1.0


def _payload(cli: Cli) -> dict[str, object]:
    rows = json.loads(cli("experiments", "flags", "list", "--format", "json").stdout)
    assert rows
    from missionos.experiments import service
    from missionos.store import Database

    db = Database(cli.url)
    try:
        with db.session() as session:
            return service.features(session)
    finally:
        db.dispose()


def test_mismatched_weights_are_rejected_with_the_field(cli: Cli, tmp_path: Path) -> None:
    result_path = tmp_path / "bad.yaml"
    result_path.write_text(FLAGS.replace("weights: [0.5, 0.5]", "weights: [0.5, 0.3, 0.2]"))
    result = cli("experiments", "flags", "apply", str(result_path))
    assert result.exit_code == 2
    assert "flags[0].rules[0].weights" in result.stderr and "2 non-negative weights" in result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(cli("experiments", "flags", "list", "--format", "json").stdout) == []


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_imports_are_idempotent_and_first_exposure_counts(cli: Cli, db: Database, tmp_path: Path) -> None:
    _apply(cli, tmp_path)
    exposures = [
        {
            "experiment": "checkout-redesign",
            "unit_id": f"u{i}",
            "variation": ["control", "redesign"][i % 2],
            "timestamp": f"2026-10-0{1 + i % 5}T10:00:00+02:00",
        }
        for i in range(40)
    ]
    exposures.append(
        {
            "experiment": "checkout-redesign",
            "unit_id": "u0",
            "variation": "control",
            "timestamp": "2026-10-09T10:00:00Z",
        }
    )
    exposures.append(
        {
            "experiment": "checkout-redesign",
            "unit_id": "u2",
            "variation": "redesign",
            "timestamp": "2026-10-09T10:00:00Z",
        }
    )
    path = _write(tmp_path / "exposures.jsonl", exposures)
    for _ in range(2):
        result = cli("experiments", "import", "exposures", str(path))
        assert result.exit_code == 0, result.stderr
    events = tmp_path / "events.csv"
    events.write_text(
        "unit_id,event,value,timestamp\n"
        + "".join(f"u{i},purchase,,2026-10-08T12:00:00Z\n" for i in range(0, 40, 3))
    )
    assert cli("experiments", "import", "events", str(events)).exit_code == 0
    assert cli("experiments", "import", "events", str(events)).exit_code == 0
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Exposure)) == 42
        assert session.scalar(select(func.count()).select_from(MetricEvent)) == 14
    doc = json.loads(cli("experiments", "analyze", "checkout-redesign", "--format", "json").stdout)
    assert doc["exposures"]["units"] == {"control": 19, "redesign": 20}
    assert doc["exposures"]["multiple_variations"] == 1
    assert doc["exposures"]["duplicates"] == 1
    purchase = doc["metrics"][0]
    # Units u0..u39 step 3, minus u2 (set aside): control has even ids, redesign odd ones.
    buyers = {v["name"]: v["sum"] for v in purchase["variations"]}
    assert buyers == {"control": 7.0, "redesign": 7.0}
    assert doc["verdict"]["status"] in {"inconclusive", "invalidated"}


def _line(
    variation: str = "control", at: str = "2026-10-01T00:00:00Z", experiment: str = "checkout-redesign"
) -> str:
    return (
        json.dumps({"experiment": experiment, "unit_id": "u1", "variation": variation, "timestamp": at})
        + "\n"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_line("blue"), "bad.jsonl:2: field 'variation': expected one of control, redesign"),
        ("{oops\n", "bad.jsonl:2: expected one JSON object per line"),
        (
            _line(at="2026-10-01T00:00:00"),
            "bad.jsonl:2: field 'timestamp': expected a time with a UTC offset",
        ),
        (_line(experiment="nope"), "no experiment named 'nope'"),
        ('{"experiment": "checkout-redesign", "variation": "control"}\n', "field 'unit_id'"),
    ],
)
def test_bad_exposures_reject_the_whole_batch(
    cli: Cli, db: Database, tmp_path: Path, content: str, message: str
) -> None:
    _apply(cli, tmp_path)
    path = tmp_path / "bad.jsonl"
    path.write_text(_line() + content)
    result = cli("experiments", "import", "exposures", str(path))
    assert result.exit_code == 2
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Exposure)) == 0


def test_malformed_events_name_the_line(cli: Cli, db: Database, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "unit_id,event,value,timestamp\nu1,purchase,3.5,2026-10-01T00:00:00Z\nu2,purchase,lots,2026-10-01T00:00:00Z\n"
    )
    result = cli("experiments", "import", "events", str(path))
    assert result.exit_code == 2
    assert "events.csv:3" in result.stderr and "finite number" in result.stderr
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(MetricEvent)) == 0


def test_analyze_stats_json_shape(cli: Cli, tmp_path: Path) -> None:
    doc = {
        "metric": {"type": "proportion"},
        "variations": [
            {"name": "control", "n": 5000, "sum": 500, "sum_squares": 500},
            {"name": "treatment", "n": 5000, "sum": 560, "sum_squares": 560},
        ],
    }
    path = tmp_path / "stats.json"
    path.write_text(json.dumps(doc))
    out = json.loads(cli("experiments", "analyze", "--stats", str(path), "--format", "json").stdout)
    [r] = out["results"]
    assert r["variation"] == "treatment"
    assert r["absolute"]["effect"] == pytest.approx(0.012)
    assert r["relative"]["effect"] == pytest.approx(0.12)
    assert set(r["absolute"]) == {"effect", "ci", "p_value"}
    bayes = json.loads(
        cli("experiments", "analyze", "--stats", str(path), "--method", "bayesian", "--format", "json").stdout
    )
    assert 0.9 < bayes["results"][0]["chance_to_win"] < 1 and bayes["results"][0]["risk"] >= 0
    doc["variations"][0]["n"] = -1
    path.write_text(json.dumps(doc))
    bad = cli("experiments", "analyze", "--stats", str(path), "--format", "json")
    assert bad.exit_code == 2 and "variations[0].n" in bad.stderr


def test_power_shows_an_unequal_split_costs_more(cli: Cli) -> None:
    even = json.loads(
        cli(
            "experiments",
            "power",
            "--baseline",
            "0.1",
            "--mde",
            "0.1",
            "--traffic",
            "1000",
            "--format",
            "json",
        ).stdout
    )
    skew = json.loads(
        cli(
            "experiments",
            "power",
            "--baseline",
            "0.1",
            "--mde",
            "0.1",
            "--weights",
            "95,5",
            "--traffic",
            "1000",
            "--format",
            "json",
        ).stdout
    )
    assert even["per_arm"] == [16232, 16232]  # for the relative-lift test
    assert skew["total"] > 5 * even["total"] and skew["days"] == -(-skew["total"] // 1000)
    table = cli("experiments", "power", "--baseline", "0.1", "--mde", "0.1", "--weights", "95,5")
    assert "× for this split" in table.stdout
    assert (
        cli("experiments", "power", "--baseline", "0.1", "--mde", "0.1", "--weights", "95,x").exit_code == 2
    )


def test_evaluate_prints_the_growthbook_result(cli: Cli, tmp_path: Path) -> None:
    _apply(cli, tmp_path)
    cli("experiments", "flags", "rollout", "checkout-redesign", "100")
    out = json.loads(
        cli("experiments", "flags", "evaluate", "checkout-redesign", "--attr", "id=user-7").stdout
    )
    assert out["source"] == "experiment" and out["experimentResult"]["hashValue"] == "user-7"
