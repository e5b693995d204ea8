"""OSCAL out validates against the official 1.2.1 schemas with every reference resolved; OSCAL in loads."""

from __future__ import annotations

import datetime as dt
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from missionos.compliance import oscal
from missionos.compliance.assess import EvidenceRecord, LeveragedAuthorization, SystemSpec, assess
from missionos.compliance.catalog import baseline
from missionos.compliance.evidence import parse
from missionos.compliance.pack import default_pack
from tests.compliance import samples
from tests.datafiles import OSCAL

SHARED = OSCAL
GOLDEN = Path(__file__).resolve().parent / "golden"
NOW = samples.NOW
SERVICES = ("web", "api")
AUTHORIZATION = LeveragedAuthorization("Agency ATO of factory-pipeline", dt.date(2026, 1, 15))


@cache
def validator(model: str) -> Any:
    schema = json.loads((SHARED / "schemas-1.2.1" / f"oscal_{model}_schema.json").read_text())
    return jsonschema_rs.validator_for(schema)


def problems(model: str, doc: dict[str, Any]) -> list[str]:
    errors = [
        f"{'/'.join(map(str, e.instance_path))}: {e.message[:200]}" for e in validator(model).iter_errors(doc)
    ]
    return errors + [f"dangling {r}" for r in oscal.dangling_references(doc)]


def result() -> Any:
    first = NOW - dt.timedelta(days=45)
    evidence = [
        EvidenceRecord(
            1, "junit", "web", NOW, None, parse("junit", samples.junit(), "j").facts, "j.xml", "ab" * 32
        ),
        EvidenceRecord(
            2,
            "sarif",
            "web",
            first,
            None,
            parse("sarif", samples.sarif([("r1", 8.0, first)], at=first), "s").facts,
        ),
        EvidenceRecord(
            3, "sarif", "web", NOW, None, parse("sarif", samples.sarif([("r1", 8.0, first)]), "s").facts
        ),
        EvidenceRecord(
            4,
            "attestation",
            "portal",
            NOW - dt.timedelta(days=1),
            NOW + dt.timedelta(days=30),
            {"by": "Ann", "controls": ["ps-3"], "statement": "Screened."},
        ),
    ]
    spec = SystemSpec("portal", SERVICES, "factory-pipeline", authorization=AUTHORIZATION)
    return assess(spec, "moderate", baseline("moderate").controls, default_pack(), evidence, NOW)


def test_assessment_results_validate_and_resolve() -> None:
    doc = oscal.assessment_results(result(), baseline("moderate"), default_pack(), SERVICES)
    assert problems("assessment-results", doc) == []
    findings = doc["assessment-results"]["results"][0]["findings"]
    assert len(findings) == 287
    si2 = next(f for f in findings if f["target"]["target-id"] == "si-2_obj")
    assert si2["target"]["status"]["state"] == "not-satisfied"


def test_poam_validates_with_one_item_per_open_finding() -> None:
    res = result()
    doc = oscal.poam(res, SERVICES)
    assert problems("poam", doc) == []
    assert len(doc["plan-of-action-and-milestones"]["poam-items"]) == len(res.findings())


def test_ssp_skeleton_validates_with_pack_statements() -> None:
    doc = oscal.ssp("portal", "", SERVICES, "factory-pipeline", baseline("moderate"), default_pack(), NOW)
    assert problems("ssp", doc) == []
    reqs = {
        r["control-id"]: r
        for r in doc["system-security-plan"]["control-implementation"]["implemented-requirements"]
    }
    assert "pull request reviewed" in reqs["cm-3"]["by-components"][0]["description"]
    assert reqs["sc-7"]["by-components"][0]["description"].startswith("Inherited from factory-pipeline")


def test_a_dangling_reference_is_caught() -> None:
    doc = oscal.poam(result(), SERVICES)
    doc["plan-of-action-and-milestones"]["poam-items"][0]["related-risks"][0]["risk-uuid"] = (
        "0" * 8 + "-0000-4000-8000-" + "0" * 12
    )
    assert len(oscal.dangling_references(doc)) == 1


@pytest.mark.parametrize("name", ["assessment-results", "poam"])
def test_output_matches_golden_file(name: str) -> None:
    res = result()
    doc = (
        oscal.assessment_results(res, baseline("moderate"), default_pack(), SERVICES)
        if name != "poam"
        else oscal.poam(res, SERVICES)
    )
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    path = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), (
        f"regenerate with UPDATE_GOLDEN=1 if the change to {path.name} is intended"
    )


@pytest.mark.parametrize("path", sorted((SHARED / "examples").glob("*.json")), ids=lambda p: p.name)
def test_nist_examples_load(path: Path) -> None:
    found = oscal.read_oscal(path)
    assert found.model in json.loads(path.read_text())
    assert found.summary


def test_imported_assessment_results_give_control_statuses() -> None:
    doc = json.loads((SHARED / "examples" / "ifa_assessment-results-example.json").read_text())
    statuses = oscal.statuses_from_assessment_results(doc, source="ifa")
    assert statuses and set(statuses.values()) <= {"satisfied", "not-satisfied"}
    ours = oscal.assessment_results(result(), baseline("moderate"), default_pack(), SERVICES)
    back = oscal.statuses_from_assessment_results(ours, source="ours")
    assert back["ps-3"] == "satisfied" and back["sc-7"] == "inherited" and back["si-2"] == "not-satisfied"


def test_component_definition_lists_controls() -> None:
    doc = json.loads((SHARED / "examples" / "example-component-definition.json").read_text())
    comps = oscal.read_component_definition(doc, source="x")
    assert comps and all(c.controls for c in comps)
