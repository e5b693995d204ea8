"""Chance to win and risk follow the metric's direction: a lower-is-better metric that went down won."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from scipy import stats as sps

from missionos.experiments import service, stats
from missionos.experiments.stats import VariationStats
from missionos.store import Database
from missionos.web.app import create_app
from tests.conftest import Cli

# 400 units an arm; 20% of control and 17.5% of the treatment called support: a 12.5% fall.
CONTROL_CALLS, TREATMENT_CALLS, ARM = 80, 70, 400

CALLS = {
    "metrics": [{"key": "support-call", "type": "proportion", "event": "support_call", "direction": "lower"}],
    "experiments": [
        {
            "key": "fewer-calls",
            "variations": ["control", "guided"],
            "primary_metric": "support-call",
            "direction": "lower",
            "method": "bayesian",
        }
    ],
}


def _load(db: Database) -> None:
    with db.session() as session:
        service.apply_document(session, CALLS, actor="test")
        exposures = [
            (
                i,
                {
                    "experiment": "fewer-calls",
                    "unit_id": f"{arm}-{i}",
                    "variation": arm,
                    "timestamp": "2026-11-01T10:00:00Z",
                },
            )
            for arm in ("control", "guided")
            for i in range(ARM)
        ]
        service.import_exposures(session, exposures, source="t")
        calls = [(f"control-{i}", i) for i in range(CONTROL_CALLS)]
        calls += [(f"guided-{i}", i) for i in range(TREATMENT_CALLS)]
        events = [
            (n, {"unit_id": unit, "event": "support_call", "timestamp": "2026-11-02T10:00:00Z"})
            for n, (unit, _) in enumerate(calls)
        ]
        service.import_events(session, events, source="t")


@pytest.fixture
def calls_db(db: Database) -> Database:
    _load(db)
    return db


@pytest.fixture
def calls_client(calls_db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(calls_db)) as client:
        yield client


def _expected_chance() -> float:
    """P(lift < 0) for the posterior N(lift, se²) of the data above, computed here from the counts."""
    pc, pt = CONTROL_CALLS / ARM, TREATMENT_CALLS / ARM
    lift = pt / pc - 1
    se = (pt * (1 - pt) / (ARM * pc * pc) + pt * pt * pc * (1 - pc) / (ARM * pc**4)) ** 0.5
    return float(sps.norm.cdf(-lift / se))


def test_a_lower_is_better_metric_that_fell_has_a_high_chance_to_win() -> None:
    control = VariationStats("control", ARM, CONTROL_CALLS, CONTROL_CALLS)
    treatment = VariationStats("guided", ARM, TREATMENT_CALLS, TREATMENT_CALLS)
    [lower] = stats.compare("proportion", [control, treatment], method="bayesian", direction="lower")
    [higher] = stats.compare("proportion", [control, treatment], method="bayesian", direction="higher")
    assert lower.relative.effect == pytest.approx(-0.125)
    assert lower.chance_to_win == pytest.approx(_expected_chance(), rel=1e-9)
    assert lower.chance_to_win > 0.8
    # The same numbers read the other way round: the chances add up to one, the risks swap.
    assert lower.chance_to_win + (higher.chance_to_win or 0) == pytest.approx(1.0)
    assert lower.risk == pytest.approx(higher.risk_control)
    assert lower.risk_control == pytest.approx(higher.risk)
    assert (lower.risk or 0) < (lower.risk_control or 0)


def test_an_unknown_direction_is_refused() -> None:
    control = VariationStats("control", ARM, CONTROL_CALLS, CONTROL_CALLS)
    with pytest.raises(Exception, match="direction"):
        stats.compare("proportion", [control, control], method="bayesian", direction="down")


def test_the_api_and_the_page_show_the_directed_chance(calls_client: TestClient) -> None:
    doc = calls_client.get("/api/v1/experiments/fewer-calls").json()
    [result] = doc["metrics"][0]["results"]
    assert doc["metrics"][0]["direction"] == "lower"
    assert result["chance_to_win"] == pytest.approx(_expected_chance(), rel=1e-6)
    assert result["direction"] == "lower"
    html = calls_client.get("/experiments/fewer-calls", headers={"accept": "text/html"}).text
    assert f"{_expected_chance() * 100:.1f}%" in html
    assert "Risk" in html


def test_the_cli_shows_the_directed_chance(calls_db: Database, cli: Cli) -> None:
    table = cli("experiments", "analyze", "fewer-calls")
    assert table.exit_code == 0, table.stderr
    assert "chance_to_win" in table.stdout
    assert f"{_expected_chance():.4g}"[:4] in table.stdout
    out = json.loads(cli("experiments", "analyze", "fewer-calls", "--format", "json").stdout)
    assert out["metrics"][0]["results"][0]["chance_to_win"] > 0.8


def test_stats_files_name_their_direction(cli: Cli, tmp_path: Path) -> None:
    doc = {
        "metric": {"type": "proportion", "direction": "lower"},
        "variations": [
            {"name": "control", "n": ARM, "sum": CONTROL_CALLS, "sum_squares": CONTROL_CALLS},
            {"name": "guided", "n": ARM, "sum": TREATMENT_CALLS, "sum_squares": TREATMENT_CALLS},
        ],
    }
    path = tmp_path / "stats.json"
    path.write_text(json.dumps(doc))
    args = ("experiments", "analyze", "--stats", str(path), "--method", "bayesian", "--format", "json")
    out = json.loads(cli(*args).stdout)
    assert out["results"][0]["chance_to_win"] == pytest.approx(_expected_chance(), rel=1e-9)
    doc["metric"]["direction"] = "down"
    path.write_text(json.dumps(doc))
    bad = cli(*args)
    assert bad.exit_code == 2 and "metric.direction" in bad.stderr


def test_the_api_offers_a_proper_prior(calls_client: TestClient) -> None:
    flat = calls_client.get("/api/v1/experiments/fewer-calls").json()["metrics"][0]["results"][0]
    url = "/api/v1/experiments/fewer-calls?prior_mean=0&prior_variance=0.01"
    shrunk = calls_client.get(url).json()["metrics"][0]["results"][0]
    se = flat["relative"]["ci"][1] - flat["relative"]["effect"]
    assert shrunk["prior"] == {"mean": 0.0, "variance": 0.01}
    assert abs(shrunk["relative"]["effect"]) < abs(flat["relative"]["effect"])
    assert shrunk["relative"]["ci"][1] - shrunk["relative"]["effect"] < se
    bad = calls_client.get("/api/v1/experiments/fewer-calls?prior_mean=0")
    assert bad.status_code == 422 and "prior_variance" in bad.json()["detail"]
