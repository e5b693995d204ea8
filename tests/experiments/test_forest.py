"""The Experiments overview's forest plots (server-side SVG) and the overview page that draws them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from missionos.experiments import forest, overview, service
from missionos.experiments.forest import Arm, Forest
from missionos.store import Database
from missionos.strategy import service as strategy_service
from missionos.web.app import create_app
from tests.experiments.seed import reminder_data


def _forest(**changes: object) -> Forest:
    base: dict[str, object] = {
        "experiment": "guided-intake",
        "metric": "Claim completed",
        "control": "control",
        "arms": (Arm("guided", 0.10, 0.05, 0.15),),
        "verdict": "validated",
        "direction": "higher",
        "mme": 0.05,
        "level": 0.95,
    }
    return Forest(**{**base, **changes})  # type: ignore[arg-type]


def _svg(f: Forest, domain: float | None = 0.2) -> ET.Element:
    return ET.fromstring(forest.forest_svg(f, domain=domain))


def _scale(svg: ET.Element) -> tuple[float, float]:
    """The x of -domain and of +domain, read back from the axis's end ticks."""
    ticks = [float(t.attrib["x"]) for t in svg.iter("text") if t.attrib.get("class") == "tick"]
    return ticks[0], ticks[-1]


def _at(svg: ET.Element, value: float) -> float:
    left, right = _scale(svg)
    half = float(svg.attrib["data-domain"])
    return left + (right - left) * (value + half) / (2 * half)


def _one(svg: ET.Element, tag: str, cls: str) -> ET.Element:
    found = [e for e in svg.iter(tag) if e.attrib.get("class") == cls]
    assert len(found) == 1, f"one {tag}.{cls}, found {len(found)}"
    return found[0]


def _all(svg: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in svg.iter(tag) if e.attrib.get("class") == cls]


def test_positions_are_proportional_to_the_numbers() -> None:
    svg = _svg(_forest(arms=(Arm("guided", 0.10, 0.05, 0.15), Arm("bold", -0.04, -0.12, 0.02))))
    assert svg.attrib["role"] == "img" and svg.attrib["data-domain"] == "0.2"
    left, right = _scale(svg)
    assert right > left
    zero = float(_one(svg, "line", "zero").attrib["x1"])
    assert zero == pytest.approx((left + right) / 2, abs=0.01)
    intervals = _all(svg, "line", "interval")
    dots = _all(svg, "circle", "estimate")
    assert len(intervals) == len(dots) == 2
    for line, dot, (effect, lo, hi) in zip(
        intervals, dots, [(0.10, 0.05, 0.15), (-0.04, -0.12, 0.02)], strict=True
    ):
        assert float(line.attrib["x1"]) == pytest.approx(_at(svg, lo), abs=0.01)
        assert float(line.attrib["x2"]) == pytest.approx(_at(svg, hi), abs=0.01)
        assert float(dot.attrib["cx"]) == pytest.approx(_at(svg, effect), abs=0.01)
    # Twice the effect is twice the distance from zero.
    guided = float(dots[0].attrib["cx"]) - zero
    assert float(intervals[0].attrib["x2"]) - zero == pytest.approx(1.5 * guided, abs=0.01)
    assert zero - float(intervals[1].attrib["x1"]) == pytest.approx(1.2 * guided, abs=0.01)
    # The verdict's colour, and the numbers in words.
    assert {line.attrib["stroke"] for line in intervals} == {forest.VERDICT_COLOURS["validated"]}
    label = svg.attrib["aria-label"]
    assert "guided +10.0% (95% interval +5.0% to +15.0%)" in label
    assert "bold -4.0% (95% interval -12.0% to +2.0%)" in label
    assert "minimum meaningful effect +5.0%" in label and "verdict validated" in label


def test_the_zero_line_the_better_side_and_the_mme_follow_the_direction() -> None:
    higher = _svg(_forest())
    zero = float(_one(higher, "line", "zero").attrib["x1"])
    better = _one(higher, "rect", "better")
    assert higher.attrib["data-better"] == "right"
    assert float(better.attrib["x"]) == pytest.approx(zero, abs=0.01)
    mme = _one(higher, "line", "mme")
    assert (
        float(mme.attrib["x1"]) == pytest.approx(_at(higher, 0.05), abs=0.01)
        and float(mme.attrib["x1"]) > zero
    )

    lower = _svg(_forest(direction="lower", mme=0.1, arms=(Arm("redesign", -0.16, -0.29, -0.04),)))
    zero = float(_one(lower, "line", "zero").attrib["x1"])
    better = _one(lower, "rect", "better")
    assert lower.attrib["data-better"] == "left"
    assert float(better.attrib["x"]) + float(better.attrib["width"]) == pytest.approx(zero, abs=0.01)
    mme = _one(lower, "line", "mme")
    assert (
        float(mme.attrib["x1"]) == pytest.approx(_at(lower, -0.1), abs=0.01)
        and float(mme.attrib["x1"]) < zero
    )
    assert "minimum meaningful effect -10.0%" in lower.attrib["aria-label"]

    assert not _all(_svg(_forest(mme=0.0)), "line", "mme"), "no MME, no mark"
    assert not _all(_svg(_forest(mme=0.3)), "line", "mme"), "an MME beyond the scale is not drawn at its edge"


def test_an_interval_beyond_the_scale_is_cut_at_its_edge_with_an_arrowhead() -> None:
    svg = _svg(_forest(arms=(Arm("wide", 0.05, -0.5, 0.1),)))
    left, _ = _scale(svg)
    line = _one(svg, "line", "interval")
    assert float(line.attrib["x1"]) == pytest.approx(left, abs=0.01)
    assert len(_all(svg, "path", "cut")) == 1
    assert "interval -50.0% to +10.0%" in svg.attrib["aria-label"], "the words keep the real numbers"


def test_every_text_is_escaped() -> None:
    nasty = '<script>alert("x")</script> & co'
    out = forest.forest_svg(
        _forest(experiment=nasty, metric=nasty, control=nasty, arms=(Arm(nasty, 0.1, 0.05, 0.15),))
    )
    assert "<script>" not in out
    svg = ET.fromstring(out)  # well-formed
    assert nasty in svg.attrib["aria-label"]
    arm = _one(svg, "g", "arm")
    assert arm.attrib["data-variation"] == nasty
    assert arm.find("title") is not None and nasty in (arm.findtext("title") or "")
    invalid = forest.forest_svg(_forest(verdict="invalid", note=nasty))
    assert "<script>" not in invalid and ET.fromstring(invalid).attrib["aria-label"].count(nasty) == 1


def test_an_experiment_without_data_and_an_invalid_one_draw_no_interval() -> None:
    empty = _svg(_forest(arms=(), verdict="too early", note="no data yet"))
    assert not _all(empty, "line", "interval") and not _all(empty, "line", "zero")
    assert _one(empty, "rect", "empty") is not None
    assert "no data yet" in "".join(empty.itertext())
    assert empty.attrib["aria-label"] == "guided-intake: no data yet; verdict too early."

    invalid = _svg(_forest(verdict="invalid", note="sample-ratio mismatch"))
    assert not _all(invalid, "line", "interval") and not _all(invalid, "circle", "estimate")
    assert _one(invalid, "rect", "invalid") is not None
    assert "invalid: sample-ratio mismatch" in "".join(invalid.itertext())
    assert "no result is shown" in invalid.attrib["aria-label"]
    assert "+10.0%" not in forest.forest_svg(_forest(verdict="invalid", note="sample-ratio mismatch"))


def test_one_scale_for_the_page() -> None:
    demo_like = [
        _forest(arms=(Arm("guided", 0.15, 0.09, 0.21),)),
        _forest(arms=(Arm("hints", -0.08, -0.12, -0.04),), mme=0.03),
        _forest(arms=(Arm("redesign", -0.17, -0.9, 0.4),), verdict="invalid"),  # not drawn, not counted
    ]
    assert forest.shared_domain(demo_like) == 0.25
    assert forest.shared_domain([_forest(arms=(Arm("x", 0.01, 0.005, 0.015),), mme=0.01)]) == 0.02
    assert forest.shared_domain([_forest(arms=(Arm("x", 1, -3, 5),))]) == 1.0
    assert forest.shared_domain([]) == forest.STEPS[0]
    assert forest.pct(0.0) == "0%" and forest.pct(-0.1234) == "-12.3%" and forest.pct(0.05, 0) == "+5%"


# --- from an analysis, and on the overview page ----------------------------------------------------------

DOC = {
    "metrics": [{"key": "documents-uploaded", "type": "proportion", "event": "documents_uploaded"}],
    "experiments": [
        {
            "key": "document-reminder",
            "variations": ["control", "reminder"],
            "primary_metric": "documents-uploaded",
            "mme": 0.05,
            "started_at": "2026-11-01T00:00:00Z",
        },
        {"key": "quiet-start", "variations": ["control", "quiet"], "primary_metric": "documents-uploaded"},
    ],
}

PLAN = """\
plan: intake-2027
title: Intake 2027
objective: Residents finish their claim online.
goals:
  - id: G1
    statement: More documents on time
    measure: {name: toy.documents, scope: {team: Intake}}
    baseline: {value: 1, at: 2026-10-01}
    target: {value: 5, by: 2027-09-30}
strategies:
  - id: S1
    statement: Remind <residents> about documents
    serves: [G1]
    bets:
      - id: B1
        service: intake-api
        experiment: {flag: document-reminder}
        primary_metric: {name: documents, direction: increase, minimum_effect: 0.05}
        decide_by: 2027-01-08
"""


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    with db.session() as session:
        service.apply_document(session, DOC, actor="test")
        reminder_data(session)
    strategy_service.apply_plan(db, PLAN, actor="test")
    with TestClient(create_app(db)) as c:
        yield c


def test_an_experiment_with_no_data_yet_is_drawn_as_such(db: Database) -> None:
    with db.session() as session:
        service.apply_document(session, DOC, actor="test")
    picture = forest.of_analysis(service.analyze(db, "quiet-start"))
    assert picture.arms == () and picture.note == "no data yet"
    svg = ET.fromstring(forest.forest_svg(picture))
    assert "no data yet" in "".join(svg.itertext())


def test_the_overview_draws_each_experiment_with_its_bet_and_units(client: TestClient) -> None:
    html = client.get("/experiments", headers={"accept": "text/html"}).text
    assert html.count('<svg class="forest" role="img"') == 2
    assert 'href="/static/experiments.css"' in html and "<script>" not in html.split("<main")[1]
    row = html.split('data-experiment="document-reminder"')[1].split("</tr>")[0]
    assert 'href="/strategy/plans/intake-2027#bet-B1"' in row
    assert "Remind &lt;residents&gt; about documents" in row
    assert "decide by 2027-01-08" in row
    assert "control" in row and "100" in row and "reminder" in row
    assert 'class="arm" data-variation="reminder"' in row
    quiet = html.split('data-experiment="quiet-start"')[1].split("</tr>")[0]
    assert "no bet in a plan names it" in quiet and "no data yet" in quiet and "not started" in quiet
    assert 'class="muted legend small"' in html


def test_the_overview_is_kept_until_new_data_is_committed(
    client: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def units(html: str) -> str:
        return html.split('data-experiment="quiet-start"')[1].split("</tr>")[0]

    analyzed: list[str] = []
    real = overview.analyze
    monkeypatch.setattr(overview, "analyze", lambda db, key: analyzed.append(key) or real(db, key))
    first = client.get("/experiments", headers={"accept": "text/html"}).text
    assert sorted(analyzed) == ["document-reminder", "quiet-start"]
    assert client.get("/experiments", headers={"accept": "text/html"}).text == first
    if db.dialect == "sqlite":  # PostgreSQL's WAL position also moves with the tests running beside this one
        assert len(analyzed) == 2, "the second view is answered from the kept figures"
    assert ">no data yet<" in units(first)
    with db.session() as session:
        service.import_exposures(
            session,
            [
                (
                    i,
                    {
                        "experiment": "quiet-start",
                        "unit_id": f"q{i}",
                        "variation": ["control", "quiet"][i % 2],
                        "timestamp": "2026-11-20T10:00:00Z",
                    },
                )
                for i in range(40)
            ],
            source="t",
        )
    after = units(client.get("/experiments", headers={"accept": "text/html"}).text)
    assert ">no data yet<" not in after and "20" in after, "the exposures committed since show at once"
