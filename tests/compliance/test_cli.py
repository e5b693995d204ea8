"""The compliance commands end to end on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from missionos.accounts import audit
from missionos.compliance import service
from missionos.store import Database, utcnow
from tests.compliance import samples
from tests.compliance.test_oscal import problems
from tests.conftest import Cli
from tests.datafiles import OSCAL_EXAMPLES


def define(cli: Cli) -> None:
    out = cli("compliance", "system", "add", "portal", "--service", "web", "--provider", "factory-pipeline")
    assert out.exit_code == 0, out.stderr


def write(tmp_path: Path, name: str, raw: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(raw)
    return str(path)


def test_controls_lists_titles_and_objectives(cli: Cli) -> None:
    out = cli("compliance", "controls", "--baseline", "moderate", "--family", "CM", "--format", "json")
    rows = json.loads(out.stdout)
    assert len(rows) == 24  # CM-1..CM-12 and their MODERATE enhancements
    cm3 = next(r for r in rows if r["control"] == "cm-3")
    assert cm3["title"] == "Configuration Change Control" and cm3["objectives"]
    bad = cli("compliance", "controls", "--family", "XX")
    assert bad.exit_code == 2 and "--family: expected one of" in bad.stderr and "Traceback" not in bad.stderr


def test_evidence_add_is_idempotent_and_keeps_the_raw_file(cli: Cli, db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "r.xml", samples.junit())
    first = json.loads(
        cli(
            "compliance", "evidence", "add", path, "--kind", "junit", "--subject", "web", "--format", "json"
        ).stdout
    )
    again = json.loads(
        cli(
            "compliance", "evidence", "add", path, "--kind", "junit", "--subject", "web", "--format", "json"
        ).stdout
    )
    assert first[0]["new"] is True and again[0]["new"] is False and first[0]["id"] == again[0]["id"]
    assert Path(first[0]["raw_path"]).read_bytes() == samples.junit()
    with db.session() as session:
        assert len(service.list_evidence(session)) == 1


def test_one_malformed_file_rejects_the_whole_batch(cli: Cli, db: Database, tmp_path: Path) -> None:
    good = write(tmp_path, "good.sarif", samples.sarif())
    bad = write(tmp_path, "bad.sarif", b'{"version": "2.1.0", "runs": [{"tool": {}}]}')
    out = cli("compliance", "evidence", "add", good, bad, "--kind", "sarif", "--subject", "web")
    assert out.exit_code == 2
    assert f"{bad}: runs[0].tool.driver: expected an object" in out.stderr
    assert "Traceback" not in out.stderr
    with db.session() as session:
        assert service.list_evidence(session) == []


def test_assess_json_shape_and_oscal_out_validates(cli: Cli, tmp_path: Path) -> None:
    define(cli)
    cli(
        "compliance",
        "evidence",
        "add",
        write(tmp_path, "r.xml", samples.junit(at=utcnow())),
        "--kind",
        "junit",
        "--subject",
        "web",
    )
    out = cli(
        "compliance",
        "assess",
        "--system",
        "portal",
        "--format",
        "json",
        "--oscal-out",
        str(tmp_path / "oscal"),
    )
    assert out.exit_code == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["system"] == "portal" and doc["baseline"] == "moderate"
    assert set(doc["controls"]) == {
        "satisfied",
        "not_satisfied",
        "needs_attestation",
        "inherited",
        "not_applicable",
    }
    assert sum(doc["controls"].values()) == 287
    sa11 = next(r for r in doc["results"] if r["control"] == "sa-11")
    assert sa11["status"] == "satisfied" and sa11["evidence"][0]["kind"] == "junit"
    ar = json.loads((tmp_path / "oscal" / "assessment-results.json").read_text())
    poam = json.loads((tmp_path / "oscal" / "poam.json").read_text())
    assert problems("assessment-results", ar) == [] and problems("poam", poam) == []
    ssp = cli("compliance", "ssp", "--system", "portal", "--out", str(tmp_path / "ssp.json"))
    assert ssp.exit_code == 0
    assert problems("ssp", json.loads((tmp_path / "ssp.json").read_text())) == []


def test_gate_fails_when_a_control_regresses(cli: Cli, db: Database, tmp_path: Path) -> None:
    define(cli)
    cli(
        "compliance",
        "attest",
        "--system",
        "portal",
        "--control",
        "ps-3",
        "--by",
        "Ann Lee",
        "--statement",
        "Screened.",
        "--expires",
        "1d",
    )
    first = cli("compliance", "gate", "--system", "portal")
    assert first.exit_code == 0, first.stdout
    assert "against no accepted baseline" in first.stdout
    assert cli("compliance", "baseline", "accept", "--system", "portal").exit_code == 0
    assert cli("compliance", "gate", "--system", "portal").exit_code == 0
    saved = tmp_path / "before.json"
    saved.write_text(cli("compliance", "assess", "--system", "portal", "--format", "json").stdout)
    with db.session() as session:  # the attestation lapses: expire it now
        from sqlalchemy import update

        from missionos.compliance.models import Evidence

        session.execute(update(Evidence).values(expires_at=utcnow()))
    out = cli("compliance", "gate", "--system", "portal", "--format", "json")
    assert out.exit_code == 1
    verdict = json.loads(out.stdout)
    assert verdict["regressions"] == [
        {
            "control": "ps-3",
            "before": "satisfied",
            "after": "not-satisfied",
            "finding": None,
            "service": None,
            "why": "PS-3 was satisfied, now not-satisfied",
        }
    ]
    against_file = cli("compliance", "gate", "--system", "portal", "--against", str(saved))
    assert against_file.exit_code == 1 and "PS-3: satisfied -> not-satisfied" in against_file.stdout


def test_gate_remembers_a_regression_until_a_new_baseline_is_accepted(cli: Cli, db: Database) -> None:
    define(cli)
    cli("compliance", "attest", "--system", "portal", "-c", "ps-3", "--by", "Ann Lee", "--statement", "Ok.")
    assert cli("compliance", "assess", "--system", "portal").exit_code == 0
    assert cli("compliance", "baseline", "accept", "--system", "portal", "--note", "ATO").exit_code == 0
    with db.session() as session:
        from sqlalchemy import update

        from missionos.compliance.models import Evidence

        session.execute(update(Evidence).values(expires_at=utcnow()))
    # A CI retry runs the gate again with no change: it still compares against the accepted baseline.
    assert cli("compliance", "gate", "--system", "portal").exit_code == 1
    again = cli("compliance", "gate", "--system", "portal")
    assert again.exit_code == 1 and "PS-3: satisfied -> not-satisfied" in again.stdout
    # Accepting the current state is a decision someone makes, and it is audited.
    assert cli("compliance", "baseline", "accept", "--system", "portal").exit_code == 0
    assert cli("compliance", "gate", "--system", "portal").exit_code == 0
    with db.session() as session:
        entries = [e for e in audit.entries(session) if e.kind == "compliance.baseline"]
    assert len(entries) == 2 and entries[0].action == "accept" and entries[0].before is not None
    shown = json.loads(cli("compliance", "baseline", "show", "--system", "portal", "--format", "json").stdout)
    assert shown[0]["accepted_by"] and shown[0]["open_findings"] >= 1


def test_gate_refuses_previous_and_needs_an_assessment_to_accept(cli: Cli) -> None:
    define(cli)
    out = cli("compliance", "gate", "--system", "portal", "--against", "previous")
    assert out.exit_code == 2 and "accepted baseline" in out.stderr and "Traceback" not in out.stderr
    none = cli("compliance", "baseline", "accept", "--system", "portal")
    assert none.exit_code != 0 and "Traceback" not in none.stderr


def test_gate_fails_on_a_new_high_finding_under_an_already_failing_control(cli: Cli, tmp_path: Path) -> None:
    define(cli)
    at = utcnow().replace(microsecond=0)  # the gate assesses at the real time now: keep the scans fresh
    late = at - dt.timedelta(days=40)  # r1 was first detected 40 days ago: SI-2 already fails on it
    first = write(tmp_path, "a.sarif", samples.sarif([("r1", 7.5, late)], at=at - dt.timedelta(hours=1)))
    assert cli("compliance", "evidence", "add", first, "--kind", "sarif", "--subject", "web").exit_code == 0
    accepted = cli("compliance", "assess", "--system", "portal", "--format", "json")
    si2 = next(r for r in json.loads(accepted.stdout)["results"] if r["control"] == "si-2")
    assert (
        si2["status"] == "not-satisfied"
        and si2["status_text"] == "not satisfied: 1 open item, 1 past deadline"
    )
    assert cli("compliance", "baseline", "accept", "--system", "portal").exit_code == 0
    assert cli("compliance", "gate", "--system", "portal").exit_code == 0  # r1 was late when accepted
    # The next scan keeps r1 and adds a critical r2: no control changes status, yet the gate fails.
    both = [("r1", 7.5, late), ("r2", 9.1, None)]
    second = write(tmp_path, "b.sarif", samples.sarif(both, at=at))
    assert cli("compliance", "evidence", "add", second, "--kind", "sarif", "--subject", "web").exit_code == 0
    out = cli("compliance", "gate", "--system", "portal", "--format", "json")
    assert out.exit_code == 1, out.stdout
    verdict = json.loads(out.stdout)
    assert [r for r in verdict["regressions"] if r["finding"] is None] == []
    (new,) = verdict["regressions"]
    assert (
        new["service"] == "web"
        and new["why"] == "Critical r2 in web at app/main.py:7: a new open critical finding"
    )
    assert new["control"] in ("ca-5", "ra-5", "ra-7", "si-2", "si-2.2")
    assert new["before"] == new["after"] == "not-satisfied"
    assert new["finding"] == "vulnerability:web:Semgrep OSS:r2:app/main.py:7"
    assert verdict["open_findings"] >= 2
    text = cli("compliance", "gate", "--system", "portal")
    assert text.exit_code == 1 and "a new open critical finding" in text.stdout


def test_gate_enforces_a_stored_threshold(cli: Cli) -> None:
    define(cli)
    assert cli("compliance", "threshold", "set", "--system", "portal", "--min-share", "0.5").exit_code == 0
    out = cli("compliance", "gate", "--system", "portal")
    assert out.exit_code == 1 and "below the threshold 50.0%" in out.stdout


def test_attestation_is_audited(cli: Cli, db: Database) -> None:
    define(cli)
    out = cli(
        "compliance",
        "attest",
        "--system",
        "portal",
        "-c",
        "ps-3",
        "--by",
        "Ann Lee",
        "--statement",
        "Screened.",
    )
    assert out.exit_code == 0
    with db.session() as session:
        entries = audit.entries(session, kind="compliance.attestation")
    assert entries[0].key == "portal:ps-3" and entries[0].after["facts"]["by"] == "Ann Lee"
    bad = cli("compliance", "attest", "--system", "portal", "-c", "zz-99", "--by", "A", "--statement", "s")
    assert bad.exit_code == 2 and "zz-99" in bad.stderr


def test_import_reads_nist_examples(cli: Cli) -> None:
    path = OSCAL_EXAMPLES / "example-component-definition.json"
    out = cli("compliance", "import", str(path), "--format", "json")
    assert out.exit_code == 0 and json.loads(out.stdout)["model"] == "component-definition"
