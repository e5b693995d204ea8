"""Every status path of the assessment, on plain records (metrics.md §5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from missionos.compliance.assess import EvidenceRecord, LeveragedAuthorization, SystemSpec, assess
from missionos.compliance.catalog import baseline
from missionos.compliance.evidence import parse
from missionos.compliance.pack import default_pack, parse_pack
from missionos.errors import FieldError
from tests.compliance import samples

NOW = samples.NOW
AUTHORIZATION = LeveragedAuthorization("Agency ATO of factory-pipeline", dt.date(2026, 1, 15))
SYSTEM = SystemSpec("portal", ("web",), provider="factory-pipeline", authorization=AUTHORIZATION)


def record(
    kind: str,
    raw: bytes,
    *,
    subject: str = "web",
    at: dt.datetime = NOW,
    expires: dt.datetime | None = None,
    i: int = 1,
) -> EvidenceRecord:
    return EvidenceRecord(i, kind, subject, at, expires, parse(kind, raw, "f").facts)


def attestation(controls: list[str], at: dt.datetime, expires: dt.datetime) -> EvidenceRecord:
    facts: dict[str, Any] = {"by": "Ann Lee", "controls": controls, "statement": "Screened at hire."}
    return EvidenceRecord(9, "attestation", "portal", at, expires, facts)


def status(evidence: list[EvidenceRecord], control: str, **kw: Any) -> Any:
    result = assess(
        SYSTEM, "moderate", baseline("moderate").controls, default_pack(), evidence, kw.get("now", NOW)
    )
    return next(c for c in result.controls if c.control == control)


def test_missing_evidence_fails_closed() -> None:
    sa11 = status([], "sa-11")
    assert sa11.status == "not-satisfied"
    assert sa11.findings[0].description == "There is no junit evidence for web."


def test_passing_tests_satisfy_sa_11() -> None:
    assert status([record("junit", samples.junit(3, 0))], "sa-11").status == "satisfied"


def test_failing_tests_name_the_fact() -> None:
    sa11 = status([record("junit", samples.junit(3, 1))], "sa-11")
    assert sa11.status == "not-satisfied"
    assert "failed is 1, required failed eq 0" in sa11.findings[0].description


def test_expired_evidence_fails_closed() -> None:
    ev = record(
        "junit", samples.junit(3, 0), at=NOW - dt.timedelta(days=2), expires=NOW - dt.timedelta(hours=1)
    )
    sa11 = status([ev], "sa-11")
    assert sa11.status == "not-satisfied"
    assert "expired" in sa11.findings[0].title


def test_stale_scan_fails_ra_5_with_its_age() -> None:
    ev = record("sarif", samples.sarif(at=NOW - dt.timedelta(days=10)), at=NOW - dt.timedelta(days=10))
    ra5 = status([ev], "ra-5")
    assert ra5.status == "not-satisfied"
    assert "10 days old; the limit is 7 days" in ra5.findings[0].description
    # It became a finding when the evidence went stale: 7 days after the scan.
    assert ra5.findings[0].first_seen == NOW - dt.timedelta(days=3)


def test_high_finding_older_than_its_limit_fails_si_2_from_its_first_detection() -> None:
    first = NOW - dt.timedelta(days=31)
    old_scan = record("sarif", samples.sarif([("r1", 7.5, None)], at=first), at=first, i=1)
    new_scan = record("sarif", samples.sarif([("r1", 7.5, None)]), i=2)
    si2 = status([old_scan, new_scan], "si-2")
    assert si2.status == "not-satisfied"
    assert si2.findings[0].severity == "high"
    assert si2.findings[0].first_seen == first
    # The same finding, first seen 29 days ago, is still within the 30-day limit.
    recent = NOW - dt.timedelta(days=29)
    old_scan = record("sarif", samples.sarif([("r1", 7.5, None)], at=recent), at=recent, i=1)
    assert status([old_scan, new_scan], "si-2").status == "satisfied"


def test_inherited_from_the_named_provider_only() -> None:
    assert status([], "sc-7").status == "inherited"
    alone = assess(
        SystemSpec("portal", ("web",)), "moderate", baseline("moderate").controls, default_pack(), [], NOW
    )
    assert next(c for c in alone.controls if c.control == "sc-7").status == "needs-attestation"


def test_inherited_only_under_the_providers_leveraged_authorization() -> None:
    spec = SystemSpec("portal", ("web",), provider="factory-pipeline")  # no authorization recorded
    found = assess(spec, "moderate", baseline("moderate").controls, default_pack(), [], NOW)
    sc7 = next(c for c in found.controls if c.control == "sc-7")
    assert sc7.status == "needs-attestation"
    assert "no leveraged authorization of factory-pipeline" in sc7.reason
    assert "Agency ATO of factory-pipeline" in status([], "sc-7").reason


def test_not_applicable_carries_its_reason() -> None:
    ac18 = status([], "ac-18")
    assert ac18.status == "not-applicable"
    assert "wireless" in ac18.reason


def test_attestation_satisfies_until_it_expires() -> None:
    att = attestation(["ps-3"], NOW - dt.timedelta(days=10), NOW + dt.timedelta(days=5))
    assert status([], "ps-3").status == "needs-attestation"
    assert status([att], "ps-3").status == "satisfied"
    lapsed = status([att], "ps-3", now=NOW + dt.timedelta(days=6))
    assert lapsed.status == "not-satisfied"
    assert lapsed.findings[0].title == "Attestation expired"
    assert lapsed.findings[0].first_seen == NOW + dt.timedelta(days=5)


def test_counts_cover_every_control_once() -> None:
    result = assess(SYSTEM, "moderate", baseline("moderate").controls, default_pack(), [], NOW)
    assert sum(result.counts().values()) == 287
    assert result.satisfied_share() == (result.counts()["inherited"]) / 287


def test_default_pack_maps_at_least_40_moderate_controls_across_the_families() -> None:
    moderate = {c.id for c in baseline("moderate").controls}
    mapped = default_pack().mapped_controls() & moderate
    assert len(mapped) >= 40
    assert {c.split("-")[0] for c in mapped} >= {"cm", "sa", "ra", "si", "sr", "ca", "au", "ia"}


def test_organization_pack_overrides_a_check() -> None:
    from missionos.compliance.pack import overlay

    mine = parse_pack(
        {
            "pack": "agency",
            "version": "1",
            "checks": [
                {
                    "id": "tests-pass",
                    "evidence": "junit",
                    "max_age": "60d",
                    "require": [{"fact": "tests", "op": "ge", "value": 1}],
                    "controls": {"sa-11": "Our statement."},
                }
            ],
        },
        source="agency.yaml",
    )
    pack = overlay(default_pack(), mine)
    ev = record("junit", samples.junit(3, 1), at=NOW - dt.timedelta(days=40))
    result = assess(SYSTEM, "moderate", baseline("moderate").controls, pack, [ev], NOW)
    assert next(c for c in result.controls if c.control == "sa-11").status == "satisfied"
    assert pack.statement("sa-11") == "Our statement."


def test_a_partial_mapping_needs_an_attestation_besides_the_passing_check() -> None:
    passing = record("junit", samples.junit(3, 0))
    assert status([passing], "sa-11").status == "satisfied"
    si10 = status([passing], "si-10")
    assert si10.status == "needs-attestation" and si10.findings == []
    assert "only in part" in si10.reason and "does not show that every input is validated" in si10.reason
    att = attestation(["si-10"], NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=30))
    done = status([passing, att], "si-10")
    assert done.status == "satisfied" and "attested by Ann Lee" in done.reason
    assert status([record("junit", samples.junit(3, 1)), att], "si-10").status == "not-satisfied"


def test_the_debatable_mappings_of_the_default_pack_are_partial() -> None:
    pack = default_pack()
    partial = {(c.id, ctl) for c in pack.checks for ctl in c.partial}
    assert partial == {
        ("changes-reviewed", "ia-2"),
        ("deployments-gated", "au-2"),
        ("deployments-gated", "au-3"),
        ("deployments-gated", "au-12"),
        ("tests-pass", "si-10"),
        ("tests-pass", "si-11"),
    }
    missing = [(c.id, ctl) for c in pack.checks for ctl in c.controls if ctl not in c.why]
    assert missing == [], "every control a check maps says why its evidence counts"


def test_a_bad_partial_flag_names_its_path() -> None:
    doc = {
        "pack": "p",
        "version": "1",
        "checks": [
            {"id": "c", "evidence": "junit", "controls": {"sa-11": {"statement": "s", "partial": "yes"}}}
        ],
    }
    with pytest.raises(FieldError) as err:
        parse_pack(doc, source="p.yaml")
    assert "checks[0].controls.sa-11.partial" in str(err.value)
