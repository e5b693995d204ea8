"""Evidence parsers: facts from real-shaped files, and clear rejections of malformed ones."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from missionos.compliance import evidence
from missionos.errors import FieldError, InputError, MissionOSError
from tests.compliance import samples


def test_junit_counts_tests_and_failures() -> None:
    parsed = evidence.parse("junit", samples.junit(tests=5, failures=2), "r.xml")
    assert parsed.facts["tests"] == 5
    assert parsed.facts["failed"] == 2
    assert parsed.facts["failed_cases"] == ["app.tests.test_0", "app.tests.test_1"]
    assert parsed.produced_at == samples.NOW


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 30), st.data())
def test_junit_failed_never_exceeds_tests(tests: int, data: st.DataObject) -> None:
    failures = data.draw(st.integers(0, tests))
    facts = evidence.parse("junit", samples.junit(tests=tests, failures=failures), "r.xml").facts
    assert (facts["tests"], facts["failed"]) == (tests, failures)


def test_junit_rejects_entity_expansion_and_names_the_line() -> None:
    bomb = b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaa">]>\n<testsuites>&a;</testsuites>'
    with pytest.raises(InputError, match="refused unsafe XML"):
        evidence.parse("junit", bomb, "bomb.xml")
    with pytest.raises(InputError) as err:
        evidence.parse("junit", b"<testsuites>\n<testsuite>\n</testsuites>", "broken.xml")
    assert str(err.value).startswith("broken.xml:3: not well-formed XML")


def test_sarif_severity_from_security_severity_and_first_seen() -> None:
    first = samples.NOW.replace(month=1)
    facts = evidence.parse(
        "sarif", samples.sarif([("r1", 9.8, first), ("r2", 7.0, None), ("r3", 5.0, None)]), "s"
    ).facts
    assert facts["by_severity"] == {"critical": 1, "high": 1, "medium": 1, "low": 0}
    assert facts["findings"][0]["first_seen"] == first.isoformat()
    assert facts["findings"][0]["location"] == "app/main.py:7"


def test_sarif_wrong_version_names_the_field() -> None:
    doc = json.loads(samples.sarif())
    doc["version"] = "2.0.0"
    with pytest.raises(FieldError) as err:
        evidence.parse("sarif", json.dumps(doc).encode(), "scan.sarif")
    assert str(err.value) == "scan.sarif: version: expected SARIF version '2.1.0'"


def test_sarif_result_without_rule_names_its_path() -> None:
    doc = json.loads(samples.sarif([("r1", 7.5, None)]))
    del doc["runs"][0]["results"][0]["ruleId"]
    with pytest.raises(FieldError, match=r"runs\[0\]\.results\[0\]\.ruleId"):
        evidence.parse("sarif", json.dumps(doc).encode(), "scan.sarif")


def test_cyclonedx_components_and_licences() -> None:
    facts = evidence.parse("cyclonedx", samples.cyclonedx(licensed=False), "bom.json").facts
    assert facts["components"] == 2
    assert facts["licences"] == {"BSD-3-Clause": 1}
    assert facts["without_licence"] == 1
    assert facts["artifact"] == "app@1.0.0"


def test_spdx_prefers_concluded_licence_and_reads_purls() -> None:
    facts = evidence.parse("spdx", samples.spdx(), "sbom.spdx.json").facts
    assert facts["packages"][0] == {
        "name": "flask",
        "version": "3.0.3",
        "purl": "pkg:pypi/flask@3.0.3",
        "licences": ["BSD-3-Clause"],
    }
    assert facts["without_licence"] == 1


def test_spdx_tag_value_gives_the_same_facts_as_json() -> None:
    from_json = evidence.parse("spdx", samples.spdx(), "sbom.spdx.json")
    from_tags = evidence.parse("spdx", samples.spdx_tag_value(), "sbom.spdx")
    assert from_tags == from_json
    assert from_tags.facts["packages"][0]["licences"] == ["BSD-3-Clause"]  # concluded, not declared


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SPDXVersion: SPDX-2.3\nCreated: 2026-11-20T10:00:00Z\nthis is not a tag\n", "sbom.spdx:3"),
        ("SPDXVersion: SPDX-2.3\nCreated: 2026-11-20T10:00:00Z\nPackageComment: <text>open\n", "sbom.spdx:3"),
        ("SPDXVersion: SPDX-3.0\nCreated: 2026-11-20T10:00:00Z\n", "SPDX 2.x"),
        ("SPDXVersion: SPDX-2.3\n", "Created"),
        ("SPDXVersion: SPDX-2.3\nCreated: 2026-11-20 10:00\n", "Created (line 2)"),
        ("DocumentName: x\n", "SPDXVersion"),
    ],
)
def test_bad_spdx_tag_value_names_the_line_or_tag(text: str, expected: str) -> None:
    with pytest.raises(MissionOSError) as caught:
        evidence.parse("spdx", text.encode(), "sbom.spdx")
    assert expected in str(caught.value) and "sbom.spdx" in str(caught.value)


def test_provenance_v1_bare_and_in_a_dsse_envelope() -> None:
    raw = samples.provenance(sha="c" * 40)
    bare = evidence.parse("slsa-provenance", raw, "p.json").facts
    envelope = json.dumps(
        {
            "payloadType": "application/vnd.in-toto+json",
            "payload": base64.b64encode(raw).decode(),
            "signatures": [],
        }
    ).encode()
    wrapped = evidence.parse("slsa-provenance", envelope, "p.dsse.json").facts
    assert bare == wrapped
    assert bare["builder"] == "https://factory.example/pipeline"
    assert bare["materials"][0]["digest"] == {"gitCommit": "c" * 40}


def test_provenance_with_another_predicate_is_refused() -> None:
    doc = json.loads(samples.provenance())
    doc["predicateType"] = "https://spdx.dev/Document"
    with pytest.raises(FieldError, match="predicateType: expected SLSA provenance"):
        evidence.parse("slsa-provenance", json.dumps(doc).encode(), "p.json")


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        ("sarif", b'{"version": "2.1.0",\n "runs": [}', "s:2: not valid JSON"),
        ("cyclonedx", b'{"bomFormat": "SPDX"}', "s: bomFormat: expected 'CycloneDX'"),
        ("spdx", b'{"spdxVersion": "SPDX-3.0"}', "s: spdxVersion: expected an SPDX 2.x version"),
        ("attestation", b"by: Ann\nstatement: ok\n", "s: controls: expected a control id"),
        ("junit", b"   ", "s: empty file"),
    ],
)
def test_malformed_files_are_rejected_with_where_and_what(kind: str, raw: bytes, message: str) -> None:
    with pytest.raises((InputError, FieldError)) as err:
        evidence.parse(kind, raw, "s")
    assert str(err.value).startswith(message)
