"""Open vulnerabilities as findings: read from real SARIF and CycloneDX VEX files, identified across scans,
first seen when stored evidence first reported them, and carried with FedRAMP deadlines onto the POA&M,
into control status (page, JSON, OSCAL) and the gate."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from missionos.compliance import evidence, oscal, service
from missionos.compliance.assess import ControlResult, EvidenceRecord, Result, SystemSpec, assess
from missionos.compliance.catalog import baseline
from missionos.compliance.pack import default_pack
from missionos.errors import FieldError, InputError
from missionos.store import Database
from tests.compliance import samples
from tests.conftest import Cli

DATA = Path(__file__).resolve().parents[1] / "data" / "compliance"
NOW = samples.NOW
SYSTEM = SystemSpec("portal", ("web",), provider="factory-pipeline")
TRACKING = ("ra-5", "si-2", "ca-5")


def real(name: str) -> bytes:
    return (DATA / name).read_bytes()


def record(
    kind: str, raw: bytes, *, at: dt.datetime = NOW, i: int = 1, subject: str = "web"
) -> EvidenceRecord:
    return EvidenceRecord(i, kind, subject, at, None, evidence.parse(kind, raw, "f").facts)


def run(records: list[EvidenceRecord], system: SystemSpec = SYSTEM, **kw: Any) -> Result:
    return assess(system, "moderate", baseline("moderate").controls, default_pack(), records, NOW, **kw)


def control(result: Result, cid: str) -> ControlResult:
    return next(c for c in result.controls if c.control == cid)


def vulns(result: Result) -> list[Any]:
    """The open vulnerabilities among the result's findings (the rest are failed checks)."""
    return [f for f in result.findings() if f.kind == "vulnerability"]


def sbom_with(vulns: list[dict[str, Any]], at: dt.datetime = NOW) -> bytes:
    doc = json.loads(samples.cyclonedx(at=at))
    doc["vulnerabilities"] = vulns
    return json.dumps(doc).encode()


def vuln(
    vid: str, severity: str, state: str | None = None, justification: str | None = None
) -> dict[str, Any]:
    """A CycloneDX vulnerability shaped like those in CycloneDX/bom-examples, affecting requests."""
    out: dict[str, Any] = {
        "id": vid,
        "source": {"name": "NVD", "url": f"https://nvd.nist.gov/vuln/detail/{vid}"},
        "ratings": [{"source": {"name": "NVD"}, "severity": severity, "method": "CVSSv31"}],
        "affects": [{"ref": "pkg:pypi/requests@2.32.3"}],
    }
    if state:
        out["analysis"] = {"state": state, **({"justification": justification} if justification else {})}
    return out


def test_the_vendored_files_match_their_provenance() -> None:
    import hashlib
    import re

    listed = re.findall(
        r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", (DATA / "PROVENANCE.md").read_text(), re.M
    )
    used = {p.name for p in DATA.iterdir() if p.name.startswith(("vex-", "sarif-"))}
    assert used <= {name for name, _sha in listed}
    for name, sha in listed:
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == sha, name


# -- reading the files ---------------------------------------------------------------------------------------


def test_a_sarif_result_of_kind_pass_is_not_a_finding() -> None:
    parsed = evidence.parse("sarif", real("sarif-sdv-pass.sarif"), "sdv.sarif")
    assert parsed.facts["tools"] == ["StaticDriverVerifier"]
    assert parsed.facts["findings"] == []


def test_a_security_severity_that_is_not_a_number_is_an_error_naming_the_result() -> None:
    doc = json.loads(samples.sarif([("py/sql-injection", 9.8, None), ("py/xss", 7.5, None)]))
    doc["runs"][0]["results"][1]["properties"]["security-severity"] = "high"
    with pytest.raises(FieldError) as caught:
        evidence.parse("sarif", json.dumps(doc).encode(), "scan.sarif")
    message = str(caught.value)
    assert "runs[0].results[1] (rule py/xss).properties.security-severity" in message
    assert "a number from 0.0 to 10.0 (not 'high')" in message


def test_an_unknown_result_kind_is_refused() -> None:
    doc = json.loads(samples.sarif([("r1", 5.0, None)]))
    doc["runs"][0]["results"][0]["kind"] = "passed"
    with pytest.raises(FieldError, match=r"runs\[0\]\.results\[0\]\.kind: expected one of fail, open"):
        evidence.parse("sarif", json.dumps(doc).encode(), "scan.sarif")


def test_partial_fingerprints_identify_a_finding_when_its_line_moves() -> None:
    raw = real("sarif-grouping-partial-fingerprints.sarif")
    before = evidence.parse("sarif", raw, "a.sarif").facts["findings"]
    assert [f["severity"] for f in before] == ["critical", "critical", "critical"]
    assert before[0]["fingerprint"] == (
        "GroupingSamplerScanner:CWE-306:primaryLocationLineHash=c490513b1c31ba45:1"
    )
    doc = json.loads(raw.decode("utf-8-sig"))
    region = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    region["startLine"] += 40  # code was added above it
    after = evidence.parse("sarif", json.dumps(doc).encode(), "b.sarif").facts["findings"]
    assert after[0]["location"] != before[0]["location"]
    assert after[0]["fingerprint"] == before[0]["fingerprint"]


@pytest.mark.parametrize(
    ("name", "open_", "closed"),
    [
        ("vex-cisa-case-1-vex-affected.json", 1, 0),  # exploitable
        ("vex-cisa-case-1-vex-under_investigation.json", 1, 0),  # in_triage
        ("vex-cisa-case-1-vex-not_affected.json", 0, 1),  # not_affected, code_not_present
        ("vex-cisa-case-1-vex-fixed.json", 0, 1),  # resolved
        ("vex-cisa-case-3-vex.json", 10, 9),
        ("vex-usecase-case-12-vex.json", 1, 2),
        ("vex-cisa-case-7-vex.json", 2, 3),  # one CVE: exploitable in two products, not in others
    ],
)
def test_vex_states_open_or_close_findings(name: str, open_: int, closed: int) -> None:
    facts = evidence.parse("vex", real(name), name).facts
    assert len(facts["findings"]) == open_ and len(facts["closed"]) == closed


def test_vex_severities_come_from_the_ratings_and_an_unrated_one_counts_as_high() -> None:
    case3 = evidence.parse("vex", real("vex-cisa-case-3-vex.json"), "v").facts
    assert case3["by_severity"] == {"critical": 2, "high": 2, "medium": 6, "low": 0}
    case12 = evidence.parse("vex", real("vex-usecase-case-12-vex.json"), "v").facts
    (unrated,) = case12["findings"]
    assert unrated["rule"] == "CVE-2020-35491" and unrated["severity"] == "high"
    assert unrated["state"] == "exploitable"


def test_not_affected_without_a_justification_stays_open() -> None:
    facts = evidence.parse("cyclonedx", sbom_with([vuln("CVE-2024-1", "high", "not_affected")]), "s").facts
    assert [f["rule"] for f in facts["findings"]] == ["CVE-2024-1"]
    closed = sbom_with([vuln("CVE-2024-1", "high", "not_affected", "code_not_reachable")])
    assert evidence.parse("cyclonedx", closed, "s").facts["findings"] == []


def test_sbom_vulnerabilities_are_findings_and_a_vex_only_file_is_sent_to_its_kind() -> None:
    facts = evidence.parse("cyclonedx", sbom_with([vuln("CVE-2024-1", "critical", "exploitable")]), "s").facts
    assert facts["components"] == 2
    assert facts["findings"][0]["fingerprint"] == "CVE-2024-1:pkg:pypi/requests@2.32.3"
    with pytest.raises(InputError, match=r"VEX document; add it as kind vex \(--kind vex\)"):
        evidence.parse("cyclonedx", real("vex-cisa-case-3-vex.json"), "v.json")


# -- status, deadlines and items ----------------------------------------------------------------------------


def fresh_scan(findings: list[tuple[str, float, dt.datetime | None]], i: int = 5) -> EvidenceRecord:
    return record("sarif", samples.sarif(findings), i=i)


def test_an_open_high_finding_within_its_window_reads_satisfied_with_its_deadline() -> None:
    first = NOW - dt.timedelta(days=10)
    result = run([fresh_scan([("py/sql-injection", 7.5, first)])])
    due = (first + dt.timedelta(days=30)).date()
    for cid in TRACKING:
        c = control(result, cid)
        assert c.status == "satisfied"
        assert c.status_text() == f"satisfied, with 1 open item, next deadline {due}"
        row = c.as_dict()
        assert row["status_text"] == c.status_text() and row["open_items"] == 1
        assert row["next_deadline"] == due.isoformat()
    (item,) = vulns(result)  # one POA&M item, however many controls track it
    assert item.kind == "vulnerability" and item.deadline == first + dt.timedelta(days=30)
    assert not item.overdue and item.first_seen == first
    poam = {p["key"]: p for p in service.poam_items(result)}
    assert poam[item.key]["due"] == due.isoformat()


def test_past_its_window_the_tracking_controls_read_not_satisfied() -> None:
    first = NOW - dt.timedelta(days=95)
    result = run([fresh_scan([("py/weak-hash", 5.0, first)])])  # medium: 90 days
    for cid in TRACKING:
        c = control(result, cid)
        assert c.status == "not-satisfied"
        assert c.status_text() == "not satisfied: 1 open item, 1 past deadline"
    assert [f.overdue for f in vulns(result)] == [True]


def test_deadlines_follow_fedramp_critical_and_high_30_days() -> None:
    first = NOW - dt.timedelta(days=20)
    result = run([fresh_scan([("py/code-injection", 9.8, first)])])
    assert control(result, "si-2").status == "satisfied"  # 20 days is within 30 for a critical
    assert default_pack().remediation_days == {"critical": 30, "high": 30, "medium": 90, "low": 180}


def test_a_system_sets_its_own_deadlines() -> None:
    first = NOW - dt.timedelta(days=20)
    strict = SystemSpec("portal", ("web",), "factory-pipeline", remediation_days={"high": 15})
    result = run([fresh_scan([("py/xss", 7.5, first)])], strict)
    assert control(result, "si-2").status == "not-satisfied"
    assert vulns(result)[0].deadline == first + dt.timedelta(days=15)


def test_first_seen_is_the_earliest_stored_sighting_not_the_upload() -> None:
    fp = "Semgrep OSS:py/xss:app/main.py:7"
    seen = {("web", fp): NOW - dt.timedelta(days=45)}
    result = run([fresh_scan([("py/xss", 7.5, None)])], seen=seen)
    (item,) = vulns(result)
    assert item.first_seen == NOW - dt.timedelta(days=45) and item.overdue
    assert control(result, "ra-5").status == "not-satisfied"


def test_each_scanner_keeps_its_own_findings_open() -> None:
    semgrep = fresh_scan([("py/xss", 7.5, NOW - dt.timedelta(days=2))], i=5)
    codeql = json.loads(samples.sarif([("js/sql-injection", 8.8, NOW - dt.timedelta(days=3))]))
    codeql["runs"][0]["tool"]["driver"]["name"] = "CodeQL"
    later = record("sarif", json.dumps(codeql).encode(), at=NOW, i=6)
    rules = sorted(f.rule for f in vulns(run([semgrep, later])))
    assert rules == ["js/sql-injection", "py/xss"]


def test_vex_opens_vulnerabilities_and_closes_them_in_the_sbom() -> None:
    sbom = record(
        "cyclonedx", sbom_with([vuln("CVE-2021-44228", "critical"), vuln("CVE-2024-2", "low")]), i=3
    )
    assert sorted(f.rule for f in vulns(run([sbom]))) == ["CVE-2021-44228", "CVE-2024-2"]
    not_affected = record("vex", real("vex-cisa-case-1-vex-not_affected.json"), i=4)
    assert [f.rule for f in vulns(run([sbom, not_affected]))] == ["CVE-2024-2"]
    affected = record("vex", real("vex-cisa-case-3-vex.json"), i=5)
    items = vulns(run([affected]))
    assert len(items) == 10 and sum(1 for f in items if f.severity == "critical") == 2


def test_vex_statements_add_up_the_newest_per_vulnerability_holding() -> None:
    sbom = record(
        "cyclonedx", sbom_with([vuln("CVE-2021-44228", "critical"), vuln("CVE-2024-2", "low")]), i=3
    )
    older = record("vex", real("vex-cisa-case-1-vex-not_affected.json"), at=NOW - dt.timedelta(days=90), i=4)
    about_another = json.loads(sbom_with([vuln("CVE-2024-2", "low", "false_positive")]))
    del about_another["components"]
    newer = record("vex", json.dumps(about_another).encode(), i=5)
    assert vulns(run([sbom, older, newer])) == []  # the older statement on Log4Shell still holds
    reopened = record("vex", real("vex-cisa-case-1-vex-under_investigation.json"), i=6)
    assert [f.rule for f in vulns(run([sbom, older, newer, reopened]))] == [
        "CVE-2021-44228",
        "CVE-2021-44228",
    ]


def test_oscal_carries_the_items_as_risks_and_the_wording_as_remarks() -> None:
    first = NOW - dt.timedelta(days=10)
    result = run([fresh_scan([("py/sql-injection", 7.5, first)])])
    ar = oscal.assessment_results(result, baseline("moderate"), default_pack(), ("web",))
    body = ar["assessment-results"]["results"][0]
    si2 = next(f for f in body["findings"] if f["target"]["target-id"] == "si-2_obj")
    due = (first + dt.timedelta(days=30)).date()
    assert si2["target"]["status"] == {
        "state": "satisfied",
        "remarks": f"Satisfied, with 1 open item, next deadline {due}.",
    }
    (risk,) = [r for r in body["risks"] if r["title"].startswith("High py/sql-injection")]
    assert si2["related-risks"] == [{"risk-uuid": risk["uuid"]}]
    assert risk["deadline"].startswith(due.isoformat()) and risk["status"] == "open"
    poam = oscal.poam(result, ("web",))["plan-of-action-and-milestones"]
    (item,) = [i for i in poam["poam-items"] if i["title"] == "High py/sql-injection in web at app/main.py:7"]
    assert {"name": "deadline", "ns": oscal.NS, "value": risk["deadline"]} in item["props"]
    assert oscal.dangling_references(ar) == [] and oscal.dangling_references({"x": poam}) == []


# -- stored evidence, first seen and the CLI ----------------------------------------------------------------


def test_an_old_vulnerability_never_looks_new_again(db: Database) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with db.session() as session:
        service.define_system(session, "portal", services=["web"], provider="factory-pipeline", actor="test")
        old = sbom_with([vuln("CVE-2021-44228", "critical", "exploitable")], at=now - dt.timedelta(days=60))
        service.add_evidence(session, old, kind="cyclonedx", subject="web@1.0", source="old.cdx.json")
        new = sbom_with([vuln("CVE-2021-44228", "critical", "exploitable")], at=now - dt.timedelta(hours=1))
        json_new = json.loads(new)
        json_new["metadata"]["component"]["version"] = "1.1"  # a new build, the same vulnerability
        service.add_evidence(
            session, json.dumps(json_new).encode(), kind="cyclonedx", subject="web@1.1", source="new.cdx.json"
        )
        done = service.assess_system(session, "portal", now=now)
    (item,) = vulns(done.result)
    assert item.first_seen == now - dt.timedelta(days=60)  # from the old SBOM, which is not re-read
    assert item.overdue and control(done.result, "si-2").status == "not-satisfied"


def test_evidence_added_out_of_order_moves_first_seen_earlier(db: Database) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with db.session() as session:
        service.define_system(session, "portal", services=["web"], actor="test")
        for days in (1, 50):  # the newer file first, then one found in an old pipeline run
            raw = sbom_with([vuln("CVE-2024-9", "high", "in_triage")], at=now - dt.timedelta(days=days))
            service.add_evidence(session, raw, kind="cyclonedx", subject="web", source=f"{days}.json")
        seen = service.first_seen_of(session, ["web"])
    assert seen == {("web", "CVE-2024-9:pkg:pypi/requests@2.32.3"): now - dt.timedelta(days=50)}


def test_cli_vex_kind_and_system_remediation(cli: Cli, tmp_path: Path) -> None:
    out = cli("compliance", "system", "add", "portal", "--service", "web", "--remediation", "high=15d")
    assert out.exit_code == 0, out.stderr
    listed = json.loads(cli("compliance", "system", "list", "--format", "json").stdout)
    assert listed[0]["name"] == "portal"
    bad = cli("compliance", "system", "add", "portal", "--service", "web", "--remediation", "urgent=5d")
    assert bad.exit_code == 2 and "--remediation: expected severity=span" in bad.stderr
    assert "Traceback" not in bad.stderr
    path = tmp_path / "vex.json"
    path.write_bytes(real("vex-cisa-case-3-vex.json"))
    added = cli("compliance", "evidence", "add", str(path), "--kind", "vex", "--subject", "web", "-f", "json")
    assert added.exit_code == 0, added.stderr
    assert json.loads(added.stdout)[0]["summary"].startswith("VEX: 10 open (2 critical, 2 high, 6 medium")


def test_the_migration_records_first_seen_from_the_evidence_already_stored(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import text

    from missionos.store.migrate import alembic_config

    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        config = alembic_config(db.engine)
        command.upgrade(config, "heads")
        command.downgrade(config, "compliance_0003")  # a database from before first sightings were kept
        scans = [
            (
                "2026-09-01 00:00:00",
                evidence.parse("sarif", samples.sarif([("py/xss", 7.5, None)]), "a").facts,
            ),
            (
                "2026-07-01 00:00:00",
                evidence.parse("sarif", samples.sarif([("py/xss", 7.5, None)]), "b").facts,
            ),
        ]
        with db.engine.begin() as conn:
            for n, (at, facts) in enumerate(scans):
                conn.execute(
                    text(
                        "insert into compliance_evidence (kind, source, subject, collected_at, sha256, "
                        "facts, raw_path, recorded_by, created_at) values ('sarif', 's', :subject, :at, "
                        ":sha, :facts, '', '', :at)"
                    ),
                    {"subject": f"web@run-{n}", "at": at, "sha": f"{n}" * 64, "facts": json.dumps(facts)},
                )
        command.upgrade(config, "heads")
        with db.session() as session:
            seen = service.first_seen_of(session, ["web"])
        assert seen == {("web", "Semgrep OSS:py/xss:app/main.py:7"): dt.datetime(2026, 7, 1, tzinfo=dt.UTC)}
    finally:
        db.dispose()


def test_pipelines_post_vex_documents_to_the_api(client: Any, db: Database) -> None:
    raw = real("vex-cisa-case-3-vex.json")
    added = client.post("/api/v1/compliance/evidence", params={"kind": "vex", "subject": "web"}, content=raw)
    assert added.status_code == 201 and added.json()["summary"].startswith("VEX: 10 open")
    wrong = client.post(
        "/api/v1/compliance/evidence", params={"kind": "cyclonedx", "subject": "web"}, content=raw
    )
    assert 400 <= wrong.status_code < 500
    assert wrong.headers["content-type"].startswith("application/problem+json")
    assert "VEX document" in wrong.text
    with db.session() as session:
        seen = service.first_seen_of(session, ["web"])
    assert len(seen) == 10
