"""The compliance pages and API in process."""

from __future__ import annotations

import datetime as dt

import httpx

from missionos.accounts import audit
from missionos.compliance import service
from missionos.measures import Scope, Window, query
from missionos.store import Database, utcnow


def seed(db: Database) -> None:
    with db.session() as session:
        service.define_system(session, "portal", services=["web"], provider="factory-pipeline", actor="test")
        service.assess_system(session, "portal")


def test_system_page_shows_grid_checklist_and_downloads(client: httpx.Client, db: Database) -> None:
    seed(db)
    page = client.get("/compliance/portal", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert 'href="#control-cm-3"' in page.text and "Secure software supply chain" in page.text
    assert 'name="csrf_token"' in page.text
    ar = client.get("/compliance/portal/oscal/assessment-results.json")
    assert ar.status_code == 200 and "assessment-results" in ar.json()
    report = client.get("/compliance/portal/report", headers={"accept": "text/html"})
    assert "where its authorization stands today" in report.text


def test_system_page_shows_drift_since_the_previous_assessment(client: httpx.Client, db: Database) -> None:
    seed(db)
    first = client.get("/compliance/portal", headers={"accept": "text/html"})
    assert "drift shows from the second on" in first.text
    now = utcnow()
    with db.session() as session:
        service.attest(
            session,
            system="portal",
            controls=["ps-3"],
            by="Ann Lee",
            statement="Screened.",
            expires_in_days=30,
            at=now,
            recorded_by="test",
        )
        service.assess_system(session, "portal", now=now)
        service.set_threshold(session, "portal", min_share=0.99, actor="test")
    better = client.get("/compliance/portal", headers={"accept": "text/html"}).text
    assert "No control regressed" in better and "below the floor" in better
    assert '<a href="#control-ps-3">PS-3</a></td><td>' in better and "</td><td>better</td>" in better
    with db.session() as session:  # the attestation has expired by then: PS-3 falls back
        service.assess_system(session, "portal", now=now + dt.timedelta(days=40))
        share = service.latest(session, "portal").satisfied_share  # type: ignore[union-attr]
    worse = client.get("/compliance/portal", headers={"accept": "text/html"}).text
    assert "1 control(s) regressed" in worse and "</td><td>worse</td>" in worse
    assert f"<strong>{share * 100:.1f}%</strong>" in worse


def test_attestation_form_records_audits_and_reassesses(client: httpx.Client, db: Database) -> None:
    seed(db)
    resp = client.post(
        "/compliance/portal/attestations",
        data={
            "controls": "ps-3 ps-4",
            "by": "Ann Lee",
            "statement": "Screened at hire.",
            "expires_days": "90",
        },
        follow_redirects=False,
    )
    assert resp.status_code == 303
    with db.session() as session:
        assert audit.entries(session, kind="compliance.attestation")[0].key == "portal:ps-3,ps-4"
        assert service.latest(session, "portal").statuses()["ps-3"] == "satisfied"  # type: ignore[union-attr]


def test_api_rejects_unknown_controls_with_problem_json(client: httpx.Client, db: Database) -> None:
    seed(db)
    resp = client.post(
        "/api/v1/compliance/systems/portal/attestations",
        json={"controls": ["zz-1"], "by": "A", "statement": "s"},
    )
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("application/problem+json")
    missing = client.get("/api/v1/compliance/systems/nope/assessment")
    assert missing.status_code == 404


def test_measures_read_the_stored_assessments(db: Database) -> None:
    seed(db)
    window = Window(utcnow() - dt.timedelta(days=14), utcnow() + dt.timedelta(minutes=1))
    share = query(db, "compliance.controls_satisfied", Scope("system", "portal"), window).latest
    findings = query(db, "compliance.open_findings", Scope("system", "portal"), window).latest
    with db.session() as session:
        current = service.latest(session, "portal")
    assert current is not None and share is not None and findings is not None
    assert share.value == (current.counts["satisfied"] + current.counts["inherited"]) / 287
    assert findings.value == current.open_findings


def test_a_pipeline_posts_evidence_and_the_assessment_reads_it(client: httpx.Client, db: Database) -> None:
    from tests.compliance import samples

    with db.session() as session:
        service.define_system(session, "portal", services=["web"], actor="test")
    report = samples.junit(12, 0, at=utcnow())
    url = "/api/v1/compliance/evidence"
    added = client.post(
        url, params={"kind": "junit", "subject": "web", "expires": "30d", "name": "r.xml"}, content=report
    )
    assert added.status_code == 201, added.text
    body = added.json()
    assert body["new"] and body["kind"] == "junit" and body["subject"] == "web" and body["expires_at"]
    again = client.post(url, params={"kind": "junit", "subject": "web"}, content=report)
    assert again.status_code == 200 and not again.json()["new"], "the same file again changes nothing"
    with db.session() as session:
        assert [e.sha256 for e in service.list_evidence(session, subject="web")] == [body["sha256"]]
        result = service.assess_system(session, "portal").result
        assert next(c for c in result.controls if c.control == "sa-11").status == "satisfied"
        entries = audit.entries(session, kind="compliance.evidence")
    assert [(e.actor, e.action) for e in entries] == [("local", "add")]


def test_bad_evidence_over_the_api_names_the_line_and_stores_nothing(
    client: httpx.Client, db: Database
) -> None:
    url = "/api/v1/compliance/evidence"
    broken = client.post(
        url, params={"kind": "sarif", "subject": "web", "name": "scan.sarif"}, content=b'{"runs": ['
    )
    assert broken.status_code == 422 and broken.headers["content-type"].startswith("application/problem+json")
    assert "scan.sarif" in broken.json()["detail"] + str(broken.json().get("location"))
    assert client.post(url, params={"kind": "pdf", "subject": "web"}, content=b"x").json()["status"] == 422
    assert (
        client.post(
            url, params={"kind": "junit", "subject": "web", "expires": "soon"}, content=b"x"
        ).status_code
        == 422
    )
    with db.session() as session:
        assert service.list_evidence(session) == []


def test_system_page_reads_satisfied_with_open_items_and_their_deadline(
    client: httpx.Client, db: Database
) -> None:
    from tests.compliance import samples

    now = utcnow().replace(microsecond=0)
    first = now - dt.timedelta(days=10)
    with db.session() as session:
        service.define_system(session, "portal", services=["web"], provider="factory-pipeline", actor="test")
        raw = samples.sarif([("py/sql-injection", 7.5, first)], at=now - dt.timedelta(hours=1))
        service.add_evidence(session, raw, kind="sarif", subject="web", source="codeql.sarif")
        service.assess_system(session, "portal", now=now)
    page = client.get("/compliance/portal", headers={"accept": "text/html"}).text
    due = (first + dt.timedelta(days=30)).date().isoformat()
    assert f"satisfied, with 1 open item, next deadline {due}" in page
    assert "High py/sql-injection in web at app/main.py:7" in page  # its POA&M row
    assert "No baseline accepted yet" in page
    with db.session() as session:
        service.accept_baseline(session, "portal", actor="Ann Lee (ISSO)")
    page = client.get("/compliance/portal", headers={"accept": "text/html"}).text
    assert "compares against the baseline Ann Lee (ISSO) accepted on" in page
