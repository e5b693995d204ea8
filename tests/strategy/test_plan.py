"""The plan file: schema, references, field paths in messages (and line numbers)."""

from __future__ import annotations

import pytest
import yaml

from missionos.errors import FieldError, InputError
from missionos.strategy.plan import PlanInvalid, parse_plan, schema, to_yaml
from tests.strategy.plans import VALID


def _problem(text: str) -> str:
    with pytest.raises(FieldError) as caught:
        parse_plan(text, source="plan.yaml")
    return str(caught.value)


def test_valid_plan_reads_into_records() -> None:
    plan = parse_plan(VALID)
    assert plan.key == "benefits-2027"
    assert [g.id for g in plan.goals] == ["G1", "G2"]
    bet = plan.strategies[0].bets[0]
    assert (bet.flag, bet.rollout, bet.primary_metric and bet.primary_metric.direction) == (
        "toy-guided-intake",
        0.05,
        "increase",
    )
    assert plan.strategies[0].actions[0].id == "S1.actions[0]"
    assert plan.document["horizon"] == "2027-09-30"  # dates kept as ISO text


def test_schema_ships_as_package_data() -> None:
    assert schema()["$id"] == "urn:missionos:strategy:plan:1"


def test_bad_direction_names_the_field_path_and_line() -> None:
    text = VALID.replace("direction: increase", "direction: up")
    assert _problem(text) == (
        "plan.yaml:29: strategies[0].bets[0].primary_metric.direction: expected increase|decrease"
    )


def test_unknown_key_wrong_type_missing_key_and_bad_date() -> None:
    text = (
        VALID.replace("owner: Program Executive Officer", "owner: Program Executive Officer\ncolour: red")
        .replace("target: {value: 20, by: 2027-09-30}", "target: {value: twenty, by: 2027-09-30}")
        .replace("decide_by: 2027-02-01", "decide_by: next spring")
        .replace("    statement: Automate eligibility hints\n", "")
    )
    with pytest.raises(PlanInvalid) as caught:
        parse_plan(text, source="plan.yaml")
    paths = {(p, e) for p, e, _line in caught.value.problems}
    assert ("colour", "no such key here (unknown key)") in paths
    assert ("goals[1].target.value", "a number") in paths
    assert ("strategies[1].statement", "a value (it is required)") in paths
    assert ("strategies[1].bets[0].decide_by", "a date like 2027-09-30") in paths


def test_duplicate_ids_and_dangling_references() -> None:
    text = (
        VALID.replace("id: G2", "id: G1")
        .replace("serves: [G2]", "serves: [G9]")
        .replace("tests: A1", "tests: A7")
    )
    with pytest.raises(PlanInvalid) as caught:
        parse_plan(text)
    found = {p: e for p, e, _ in caught.value.problems}
    assert found["goals[1].id"] == "an id no other goal uses (G1 is also goals[0])"
    assert found["strategies[0].bets[0].tests"] == "an assumption id of strategy S1 (A1)"
    assert found["strategies[1].serves[0]"].startswith("a goal id of this plan")


def test_measure_is_a_name_or_a_manual_series_not_both() -> None:
    text = VALID.replace(
        "{name: toy.throughput, scope: {org: null}}", "{name: toy.throughput, manual: calls}"
    )
    assert "goals[1].measure: expected either name" in _problem(text)


def test_bad_yaml_names_file_and_line() -> None:
    with pytest.raises(InputError) as caught:
        parse_plan("plan: x\ngoals: [\n  - id: G1\n", source="bad.yaml")
    assert str(caught.value).startswith("bad.yaml:")
    assert caught.value.line is not None
    with pytest.raises(InputError, match="expected a mapping"):
        parse_plan("- just\n- a list\n", source="list.yaml")


def test_a_plan_missing_tests_is_still_valid() -> None:
    text = "plan: p\nobjective: o\ngoals: []\nstrategies:\n  - {id: S1, statement: s, bets: [{id: B1}]}\n"
    plan = parse_plan(text)
    assert plan.bets[0].primary_metric is None and not plan.bets[0].has_experiment


def test_yaml_round_trip_keeps_the_document() -> None:
    plan = parse_plan(VALID)
    again = parse_plan(to_yaml(plan.document))
    assert again.document == plan.document and again.digest == plan.digest
    assert yaml.safe_load(to_yaml(plan.document))["plan"] == "benefits-2027"
