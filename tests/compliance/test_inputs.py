"""New evidence inputs, read from real public files (tests/data/compliance, PROVENANCE-inputs.md): SPDX
3.0 JSON-LD, CycloneDX XML, SARIF whose results name their rule by `ruleIndex` only; and the size limit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from missionos.compliance import evidence
from missionos.compliance.evidence import parse
from missionos.errors import FieldError, InputError, TooLargeError
from missionos.store import Database
from tests.compliance import samples
from tests.conftest import Cli

DATA = Path(__file__).resolve().parents[1] / "data" / "compliance"


def test_spdx3_jsonld_packages_and_their_concluded_licences() -> None:
    found = parse("spdx", (DATA / "spdx3" / "sbom.spdx3.json").read_bytes(), "sbom.spdx3.json")
    facts = found.facts
    assert facts["format"] == "SPDX" and facts["spec_version"] == "SPDX-3.0.1"
    assert facts["components"] == 4 and facts["without_licence"] == 0
    assert facts["licences"] == {"(MIT OR Apache-2.0)": 1, "Apache-2.0": 1, "MIT": 2}
    assert found.produced_at is not None and found.produced_at.isoformat() == "2022-11-03T07:10:10+00:00"
    purls = {p["name"]: p["purl"] for p in facts["packages"]}
    assert purls["hello-server-src"] == "pkg:deb/debian/libselinux1-dev@3.1-3?arch=s390x"


def test_spdx3_noassertion_licences_count_as_unknown() -> None:
    raw = (DATA / "spdx3" / "examplemaven-0.0.1.spdx3.json").read_bytes()
    facts = parse("spdx", raw, "examplemaven.spdx3.json").facts
    by_name = {p["name"]: p["licences"] for p in facts["packages"]}
    assert by_name["examplemaven"] == ["Apache-2.0"]
    assert by_name["JUnit"] == ["CPL-1.0"]  # concluded NOASSERTION, so the declared licence
    assert by_name["Apache Log4j API"] == []  # NOASSERTION both ways
    assert facts["without_licence"] == 4


def test_spdx3_without_creation_info_names_the_field() -> None:
    doc = {"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": [{"type": "Person"}]}
    with pytest.raises(FieldError) as err:
        parse("spdx", json.dumps(doc).encode(), "x.spdx3.json")
    assert "@graph" in str(err.value) and "CreationInfo" in str(err.value)


def test_cyclonedx_xml_gives_the_facts_json_would() -> None:
    raw = (DATA / "cyclonedx-xml" / "cern-lhc-vdm-editor-bom.xml").read_bytes()
    facts = parse("cyclonedx", raw, "bom.xml").facts
    assert facts["spec_version"] == "1.2" and facts["artifact"] == "lhc-vdm-editor@0.0.1"
    assert facts["components"] == 43 and facts["without_licence"] == 0
    assert facts["licences"]["MIT"] == 33
    assert facts["packages"][0] == {
        "name": "puppeteer",
        "version": "1.19.0",
        "purl": "pkg:npm/puppeteer@1.19.0",
        "licences": ["Apache-2.0"],
    }


def test_cyclonedx_xml_1_1_with_cdata() -> None:
    raw = (DATA / "cyclonedx-xml" / "laravel-7.12.0-bom.1.1.xml").read_bytes()
    facts = parse("cyclonedx", raw, "bom.1.1.xml").facts
    assert facts["spec_version"] == "1.1" and facts["components"] == 62
    assert facts["packages"][0]["name"] == "stack-cors" and facts["packages"][0]["licences"] == ["MIT"]


def test_cyclonedx_xml_that_is_not_a_bom_names_the_root() -> None:
    with pytest.raises(InputError) as err:
        parse("cyclonedx", b'<?xml version="1.0"?><project xmlns="urn:x"/>', "pom.xml")
    assert (
        "pom.xml" in str(err.value) and "<project>" in str(err.value) and "CycloneDX <bom>" in str(err.value)
    )
    with pytest.raises(InputError) as bad:
        parse("cyclonedx", b'<bom xmlns="http://cyclonedx.org/schema/bom/1.4">\n<components>', "b.xml")
    assert str(bad.value).startswith("b.xml:") and "not well-formed XML" in str(bad.value)


def test_sarif_results_naming_their_rule_by_index_only() -> None:
    raw = (DATA / "sarif" / "FortifyTest.fpr.sarif").read_bytes()
    facts = parse("sarif", raw, "FortifyTest.fpr.sarif").facts
    rules = json.loads(raw)["runs"][0]["tool"]["driver"]["rules"]
    assert [f["rule"] for f in facts["findings"]] == [r["id"] for r in rules]
    assert facts["by_severity"]["medium"] == 3 and facts["findings_total"] == 3


def test_a_rule_index_out_of_range_names_the_result() -> None:
    doc = json.loads((DATA / "sarif" / "FortifyTest.fpr.sarif").read_bytes())
    doc["runs"][0]["results"][1]["ruleIndex"] = 7
    with pytest.raises(FieldError) as err:
        parse("sarif", json.dumps(doc).encode(), "f.sarif")
    assert "runs[0].results[1].ruleIndex" in str(err.value) and "0 to 2" in str(err.value)


def _many_findings(count: int) -> bytes:
    doc: dict[str, Any] = json.loads(samples.sarif())
    run = doc["runs"][0]
    run["results"] = [
        {
            "ruleId": f"r{i}",
            "level": "error" if i % 100 == 0 else "note",
            "message": {"text": "x"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": f"f{i}.py"}}}],
        }
        for i in range(count)
    ]
    return json.dumps(doc).encode()


def test_stored_facts_keep_the_worst_findings_and_count_them_all() -> None:
    facts = parse("sarif", _many_findings(2500), "big.sarif").facts
    assert facts["findings_total"] == 2500
    assert sum(facts["by_severity"].values()) == 2500 and facts["by_severity"]["high"] == 25
    assert len(facts["findings"]) == evidence.MAX_FINDINGS
    assert [f["severity"] for f in facts["findings"][:25]] == ["high"] * 25


def test_an_evidence_file_over_the_size_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISSIONOS_EVIDENCE_MAX_MB", "0.1")
    with pytest.raises(TooLargeError) as err:
        parse("sarif", _many_findings(2500), "big.sarif")
    assert "big.sarif" in str(err.value) and "at most 0.1 MB" in str(err.value)
    monkeypatch.setenv("MISSIONOS_EVIDENCE_MAX_MB", "lots")
    with pytest.raises(FieldError) as bad:
        parse("junit", samples.junit(), "r.xml")
    assert "MISSIONOS_EVIDENCE_MAX_MB" in str(bad.value)


def test_the_default_limit_is_50_mb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MISSIONOS_EVIDENCE_MAX_MB", raising=False)
    assert evidence.max_bytes() == 50_000_000


def test_the_cli_refuses_a_file_over_the_limit_without_reading_it(
    cli: Cli, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MISSIONOS_EVIDENCE_MAX_MB", "0.1")
    big = tmp_path / "big.sarif"
    big.write_bytes(_many_findings(2500))
    out = cli("compliance", "evidence", "add", str(big), "--kind", "sarif", "--subject", "web")
    assert out.exit_code == 2 and "Traceback" not in out.stderr
    assert f"{big}: the file is" in out.stderr and "MISSIONOS_EVIDENCE_MAX_MB" in out.stderr


def test_the_api_answers_413_for_a_body_over_the_limit(
    client: httpx.Client, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MISSIONOS_EVIDENCE_MAX_MB", "0.1")
    url = "/api/v1/compliance/evidence"
    refused = client.post(
        url, params={"kind": "sarif", "subject": "web", "name": "big.sarif"}, content=_many_findings(2500)
    )
    assert refused.status_code == 413 and refused.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert "big.sarif" in refused.json()["detail"]
    small = client.post(url, params={"kind": "junit", "subject": "web"}, content=samples.junit())
    assert small.status_code == 201


def test_the_new_inputs_are_stored_through_the_cli(cli: Cli, db: Database) -> None:
    for kind, path in (
        ("spdx", DATA / "spdx3" / "sbom.spdx3.json"),
        ("cyclonedx", DATA / "cyclonedx-xml" / "cern-lhc-vdm-editor-bom.xml"),
        ("sarif", DATA / "sarif" / "FortifyTest.fpr.sarif"),
    ):
        out = cli(
            "compliance", "evidence", "add", str(path), "--kind", kind, "--subject", "web", "--format", "json"
        )
        assert out.exit_code == 0, out.stderr
        assert json.loads(out.stdout)[0]["new"] is True
