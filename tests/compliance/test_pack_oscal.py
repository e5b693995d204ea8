"""Mapping packs to and from OSCAL component definitions whose rules (compliance-trestle's convention) name
checks: the round trip, schema validity, assessment with a hand-written definition, and the errors."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from missionos.compliance import pack_oscal
from missionos.compliance.assess import EvidenceRecord, SystemSpec, assess
from missionos.compliance.catalog import baseline
from missionos.compliance.evidence import parse
from missionos.compliance.pack import (
    OPS,
    PER,
    Check,
    Condition,
    Pack,
    default_pack,
    dump_yaml,
    overlay,
    pack_document,
    parse_pack,
)
from missionos.compliance.pack_file import pack_for, read_pack
from missionos.compliance.rules import TRESTLE_NS
from missionos.errors import FieldError, InputError
from tests.compliance import samples
from tests.compliance.test_oscal import SHARED, problems
from tests.conftest import Cli

NOW = samples.NOW
NS = pack_oscal.NS
SYSTEM = SystemSpec("portal", ("web",))


def _uuid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def rule(remarks: str, **fields: str) -> list[dict[str, str]]:
    """One rule set: the props that share a remarks value."""
    return [{"name": k, "ns": TRESTLE_NS, "value": v, "remarks": remarks} for k, v in fields.items()]


def requirement(n: int, control: str, description: str, *rules: str, **extra: Any) -> dict[str, Any]:
    req: dict[str, Any] = {"uuid": _uuid(n), "control-id": control, "description": description}
    if rules:
        req["props"] = [{"name": "Rule_Id", "ns": TRESTLE_NS, "value": r} for r in rules]
    return req | extra


def trestle_definition() -> dict[str, Any]:
    """A component definition as a trestle user writes it: a service component with its rules, a validation
    component naming the checks of rules the service declares without one, and a check of our own defined in
    the back-matter."""
    service = {
        "uuid": _uuid(1),
        "type": "service",
        "title": "Build pipeline",
        "description": "The agency's build pipeline.",
        "props": [
            *rule(
                "rule_set_00",
                Rule_Id="unit-tests-pass",
                Rule_Description="Unit tests pass on every build",
                Check_Id="tests-pass",
                Check_Description="The default pack's JUnit check",
            ),
            *rule(
                "rule_set_01", Rule_Id="no-critical-findings", Rule_Description="No critical finding is open"
            ),
        ],
        "control-implementations": [
            {
                "uuid": _uuid(2),
                "source": "https://example.gov/profiles/moderate.json",
                "description": "Agency MODERATE controls.",
                "implemented-requirements": [
                    requirement(
                        3, "SA-11", "Every build runs the unit tests; a failure stops it.", "unit-tests-pass"
                    ),
                    requirement(
                        4,
                        "ra-5",
                        "Scanners run on every build; no critical finding ships.",
                        "no-critical-findings",
                    ),
                    requirement(
                        5,
                        "si-2",
                        "",
                        statements=[
                            {
                                "statement-id": "si-2_smt.a",
                                "uuid": _uuid(6),
                                "description": "Critical flaws are fixed before release.",
                                "props": [
                                    {"name": "Rule_Id", "ns": TRESTLE_NS, "value": "no-critical-findings"}
                                ],
                            }
                        ],
                    ),
                    requirement(7, "ps-3", "Staff are screened at hire."),
                ],
            }
        ],
    }
    validation = {
        "uuid": _uuid(8),
        "type": "validation",
        "title": "Mission OS",
        "description": "Checks over pipeline evidence.",
        "props": rule(
            "rule_set_00",
            Rule_Id="no-critical-findings",
            Check_Id="no-criticals",
            Check_Description="No critical SARIF finding",
        ),
    }
    check = {
        "uuid": _uuid(9),
        "title": "No critical finding in the newest scan",
        "description": "evidence: sarif\nmax_age: 7d\n"
        "require:\n  - {fact: by_severity.critical, op: eq, value: 0}",
        "props": [{"name": "check", "ns": NS, "value": "no-criticals"}],
    }
    return {
        "component-definition": {
            "uuid": _uuid(10),
            "metadata": {
                "title": "Agency pipeline controls",
                "last-modified": "2026-03-01T00:00:00Z",
                "version": "2.0",
                "oscal-version": "1.2.1",
            },
            "components": [service, validation],
            "back-matter": {"resources": [check]},
        }
    }


def write(tmp_path: Path, name: str, doc: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc) if name.endswith(".json") else doc)
    return str(path)


def status(pack: Any, evidence: list[EvidenceRecord], control: str) -> str:
    result = assess(SYSTEM, "moderate", baseline("moderate").controls, pack, evidence, NOW)
    return next(c.status for c in result.controls if c.control == control)


# -- the way back and the round trip --------------------------------------------------------------------


def test_default_pack_round_trips_through_oscal() -> None:
    doc = pack_oscal.component_definition(default_pack(), NOW)
    back = pack_oscal.pack_from_component_definition(doc, source="cd.json")
    assert back.pack.checks == default_pack().checks
    assert back.pack == default_pack()  # inherited, not applicable, remediation limits and window too
    assert back.rules == len(default_pack().checks) and not back.unchecked and not back.notes()


_ids = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)
_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).map(str.strip)
_values = st.one_of(
    st.integers(-(10**6), 10**6),
    st.booleans(),
    _text,
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.lists(_text, max_size=3),
)


@st.composite
def _checks(draw: st.DrawFn) -> Check:
    op = st.sampled_from(OPS)
    conditions = [
        Condition(draw(st.from_regex(r"[a-z_]{1,8}(\.[a-z_]{1,8})?", fullmatch=True)), o, None)
        if o in ("present", "absent")
        else Condition("f", o, draw(_values))
        for o in draw(st.lists(op, max_size=3))
    ]
    controls = draw(st.dictionaries(_ids, _text.filter(bool), min_size=1, max_size=4))
    some = st.lists(st.sampled_from(sorted(controls)), unique=True)
    return Check(
        id=draw(_ids),
        title=draw(st.one_of(_text.filter(bool), st.just("two\nlines"))),
        evidence=tuple(draw(st.lists(_ids, min_size=1, max_size=2))),
        max_age_days=draw(st.integers(1, 400)),
        require=tuple(conditions),
        controls=controls,
        per=draw(st.sampled_from(PER)),
        why={c: draw(_text.filter(bool)) for c in draw(some)},
        partial=frozenset(draw(some)),
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(_checks(), max_size=5, unique_by=lambda c: c.id), st.dictionaries(_ids, _text.filter(bool)))
def test_any_pack_round_trips_through_oscal_and_yaml(checks: list[Check], na: dict[str, str]) -> None:
    pack = Pack("p", "1", "A pack", tuple(checks), {"plat": {"sc-7": "Given."}}, na)
    doc = pack_oscal.component_definition(pack, NOW)
    assert problems("component", doc) == []
    back = pack_oscal.pack_from_component_definition(doc, source="cd.json").pack
    assert back == pack
    assert parse_pack(yaml.safe_load(dump_yaml(pack_document(back))), source="p.yaml") == pack


def test_component_definition_validates_and_every_reference_resolves() -> None:
    doc = pack_oscal.component_definition(default_pack(), NOW)
    assert problems("component", doc) == []
    body = doc["component-definition"]
    pack_component, *providers = body["components"]
    assert [p["title"] for p in providers] == ["factory-pipeline"]
    names = {p["name"] for p in pack_component["props"]}
    assert names == {"Rule_Id", "Rule_Description", "Check_Id", "Check_Description"}
    reqs = pack_component["control-implementations"][0]["implemented-requirements"]
    cm3 = [r for r in reqs if r["control-id"] == "cm-3"]  # two checks, two statements
    assert sorted(p["value"] for r in cm3 for p in r["props"]) == ["changes-reviewed", "deployments-gated"]
    checks = {r["props"][0]["value"]: r for r in body["back-matter"]["resources"] if r.get("props")}
    assert set(checks) == {c.id for c in default_pack().checks}
    assert "fact: signature, op: eq, value: verified" in checks["provenance-signed"]["description"]


def test_uuids_are_deterministic_and_the_document_uuid_follows_the_content() -> None:
    one = pack_oscal.component_definition(default_pack(), NOW)
    two = pack_oscal.component_definition(default_pack(), NOW + dt.timedelta(days=3))
    stamps = [d["component-definition"]["metadata"].pop("last-modified") for d in (one, two)]
    assert stamps == ["2026-03-02T12:00:00Z", "2026-03-05T12:00:00Z"]
    assert one == two
    other = overlay(default_pack(), parse_pack({"pack": "x", "version": "1"}, source="x"))
    changed = pack_oscal.component_definition(other, NOW)["component-definition"]["uuid"]
    assert changed != one["component-definition"]["uuid"]


def test_cli_round_trip_writes_a_pack_that_reads_back_the_same(tmp_path: Path) -> None:
    cli = Cli(f"sqlite:///{tmp_path / 'unused.db'}")
    out = cli("compliance", "pack", "to-oscal", "--out", str(tmp_path / "cd.json"))
    assert out.exit_code == 0, out.stderr
    assert problems("component", json.loads((tmp_path / "cd.json").read_text())) == []
    out = cli(
        "compliance", "pack", "from-oscal", str(tmp_path / "cd.json"), "--out", str(tmp_path / "p.yaml")
    )
    assert out.exit_code == 0, out.stderr
    assert read_pack(tmp_path / "p.yaml") == default_pack()
    # an organization's pack, given with --pack, round-trips too, alone or laid over the default
    mine = tmp_path / "mine.yaml"
    mine.write_text((tmp_path / "p.yaml").read_text().replace("devsecops-factory", "agency", 1))
    for layered in ((), ("--layered",)):
        out = cli(
            "compliance", "pack", "to-oscal", "--pack", str(mine), *layered, "--out", str(tmp_path / "m.json")
        )
        assert out.exit_code == 0, out.stderr
        expected = pack_for(str(mine)) if layered else read_pack(mine)
        assert read_pack(tmp_path / "m.json") == expected


# -- a hand-written definition as checks ------------------------------------------------------------------


def test_trestle_rules_become_checks_with_the_requirements_as_statements() -> None:
    converted = pack_oscal.pack_from_component_definition(trestle_definition(), source="agency.json")
    pack = converted.pack
    assert (pack.name, pack.version, pack.title) == (
        "agency-pipeline-controls",
        "2.0",
        "Agency pipeline controls",
    )
    checks = {c.id: c for c in pack.checks}
    assert set(checks) == {"tests-pass", "no-criticals"}
    assert checks["tests-pass"].controls == {"sa-11": "Every build runs the unit tests; a failure stops it."}
    assert (
        checks["tests-pass"].require == next(c for c in default_pack().checks if c.id == "tests-pass").require
    )
    assert checks["no-criticals"].controls == {
        "ra-5": "Scanners run on every build; no critical finding ships.",
        "si-2": "Critical flaws are fixed before release.",
    }
    assert checks["no-criticals"].title == "No critical finding in the newest scan"
    assert checks["no-criticals"].max_age_days == 7 and checks["no-criticals"].evidence == ("sarif",)
    assert converted.unchecked == {"Build pipeline": ["ps-3"]}
    assert any("ps-3" in note for note in converted.notes())


def test_trestle_checks_assess_controls_from_real_evidence() -> None:
    cd = pack_oscal.pack_from_component_definition(trestle_definition(), source="agency.json").pack
    pack = overlay(default_pack(), cd)

    def ev(kind: str, raw: bytes, i: int) -> EvidenceRecord:
        return EvidenceRecord(i, kind, "web", NOW, None, parse(kind, raw, "f").facts)

    passing = [ev("junit", samples.junit(3, 0), 1), ev("sarif", samples.sarif([("r1", 5.0, NOW)]), 2)]
    assert status(pack, passing, "sa-11") == "satisfied"
    assert status(pack, passing, "ra-5") == "satisfied"
    assert status(pack, passing, "si-2") == "satisfied"
    # a critical finding seen today is not overdue (the default pack's check passes), but no-criticals fails
    failing = [ev("junit", samples.junit(3, 1), 1), ev("sarif", samples.sarif([("r1", 9.5, NOW)]), 2)]
    assert status(default_pack(), failing, "ra-5") == "satisfied"
    assert status(pack, failing, "sa-11") == "not-satisfied"
    assert status(pack, failing, "ra-5") == "not-satisfied"
    assert status(pack, failing, "si-2") == "not-satisfied"
    alone = pack_oscal.pack_from_component_definition(trestle_definition(), source="a").pack
    assert status(alone, passing, "ra-5") == "satisfied"  # only the definition's checks
    assert status(alone, [], "sa-11") == "not-satisfied"  # fail closed: no evidence


def test_trestle_definition_drives_assess_by_path(cli: Cli, tmp_path: Path) -> None:
    cd = write(tmp_path, "agency.json", trestle_definition())
    out = cli("compliance", "system", "add", "portal", "--service", "web", "--pack", cd)
    assert out.exit_code == 0, out.stderr
    junit = write(tmp_path, "r.xml", samples.junit(4, 0, at=dt.datetime.now(dt.UTC)).decode())
    sarif = write(
        tmp_path, "s.sarif", samples.sarif([("r1", 9.8, None)], at=dt.datetime.now(dt.UTC)).decode()
    )
    for path, kind in ((junit, "junit"), (sarif, "sarif")):
        assert cli("compliance", "evidence", "add", path, "--kind", kind, "--subject", "web").exit_code == 0
    out = cli("compliance", "assess", "--system", "portal", "--format", "json")
    assert out.exit_code == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["pack"] == "devsecops-factory+agency-pipeline-controls@1.6.0+2.0"
    by = {r["control"]: r for r in result["results"]}
    assert by["sa-11"]["status"] == "satisfied"
    assert by["si-2"]["status"] == "not-satisfied"
    assert any(f["check"] == "no-criticals" for f in by["si-2"]["findings"])


def test_hand_written_definition_is_valid_oscal() -> None:
    assert problems("component", trestle_definition()) == []


# -- errors ---------------------------------------------------------------------------------------------


def test_a_rule_without_a_check_names_component_control_and_rule(tmp_path: Path) -> None:
    doc = trestle_definition()
    doc["component-definition"]["back-matter"]["resources"] = []  # no-criticals is now defined nowhere
    out_file = tmp_path / "pack.yaml"
    cli = Cli(f"sqlite:///{tmp_path / 'unused.db'}")
    out = cli("compliance", "pack", "from-oscal", write(tmp_path, "cd.json", doc), "--out", str(out_file))
    assert out.exit_code == 2 and "Traceback" not in out.stderr
    message = " ".join(out.stderr.split())
    assert (
        "component 'Build pipeline', control ra-5, rule 'no-critical-findings', Check_Id 'no-criticals'"
        in message
    )
    assert "control si-2" in message  # every unresolved rule is listed, not only the first
    assert not out_file.exists()
    out = cli(
        "compliance", "system", "add", "portal", "--service", "web", "--pack", str(tmp_path / "cd.json")
    )
    assert out.exit_code == 2 and "no-criticals" in out.stderr


def _no_validation_props(d: dict[str, Any]) -> None:
    d["components"][1].pop("props")


def _unknown_rule(d: dict[str, Any]) -> None:
    d["components"][0]["control-implementations"][0]["implemented-requirements"][0]["props"] = [
        {"name": "Rule_Id", "value": "unknown-rule"}
    ]


def _bad_op(d: dict[str, Any]) -> None:
    d["back-matter"]["resources"][0]["description"] = "evidence: sarif\nrequire: [{fact: x, op: is}]"


def _bad_yaml(d: dict[str, Any]) -> None:
    d["back-matter"]["resources"][0]["description"] = "evidence: [sarif"


def _two_rules_in_a_set(d: dict[str, Any]) -> None:
    d["components"][0]["props"].append({"name": "Rule_Id", "value": "second", "remarks": "rule_set_00"})


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_no_validation_props, "rule 'no-critical-findings': expected a Check_Id"),
        (_unknown_rule, "control sa-11, rule 'unknown-rule': expected a rule the component declares"),
        (_bad_op, "back-matter.resources[0].description.require[0].op: expected one of eq"),
        (_bad_yaml, "resources[0].description: expected the check 'no-criticals' in the pack's YAML syntax"),
        (_two_rules_in_a_set, "components[0].props: expected one Rule_Id in each rule set"),
    ],
)
def test_bad_definitions_name_what_is_wrong(change: Any, expected: str) -> None:
    doc = copy.deepcopy(trestle_definition())
    change(doc["component-definition"])
    with pytest.raises((InputError, FieldError)) as caught:
        pack_oscal.pack_from_component_definition(doc, source="cd.json")
    assert expected in str(caught.value)
    assert str(caught.value).startswith("cd.json")


# -- definitions without rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted((SHARED / "examples").glob("*component*.json")), ids=lambda p: p.name)
def test_nist_component_definitions_have_no_rules_and_say_so(path: Path, tmp_path: Path) -> None:
    cli = Cli(f"sqlite:///{tmp_path / 'unused.db'}")
    out = cli("compliance", "import", str(path), "--format", "json")
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout)["rules"].startswith("none: no component declares a Rule_Id")
    out = cli("compliance", "pack", "from-oscal", str(path), "--out", str(tmp_path / "p.yaml"))
    assert out.exit_code == 0, out.stderr
    assert "no rules" in out.stderr and "not checked" in out.stderr
    written = yaml.safe_load((tmp_path / "p.yaml").read_text())
    assert written["checks"] == [] and parse_pack(written, source="p.yaml").checks == ()


def test_the_guide_example_converts() -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "compliance.md").read_text()
    start = guide.index('```json\n{"component-definition"') + len("```json\n")
    text = guide[start : guide.index("```", start)]
    n = iter(range(100, 200))
    text = text.replace('"…"', "%s")
    doc = json.loads(text % tuple(f'"{_uuid(next(n))}"' for _ in range(text.count("%s"))))
    doc["component-definition"]["metadata"]["last-modified"] = "2026-03-01T00:00:00Z"
    assert problems("component", doc) == []
    pack = pack_oscal.pack_from_component_definition(doc, source="guide").pack
    assert {c.id: sorted(c.controls) for c in pack.checks} == {
        "tests-pass": ["sa-11"],
        "no-criticals": ["ra-5"],
    }


def test_a_pack_written_as_json_is_still_a_pack(tmp_path: Path) -> None:
    path = tmp_path / "pack.json"
    path.write_text(json.dumps(yaml.safe_load(dump_yaml(pack_document(default_pack())))))
    assert read_pack(path) == default_pack()
    (tmp_path / "bad.json").write_text('{"pack": ')
    with pytest.raises(InputError, match=r"bad\.json:1: not valid JSON"):
        read_pack(tmp_path / "bad.json")
