"""An incident names the deployment that remediated it: that deployment is rework (a hotfix), and it
remediates the deployment the incident is attributed to (metrics.md §1, items 3-6)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from missionos.delivery import metrics
from missionos.delivery.models import Deployment
from missionos.delivery.records import DeploymentRecord, IncidentRecord, PullRequestRecord
from missionos.delivery.service import (
    delivery_metrics,
    deployments,
    ensure_service,
    import_git,
    incidents,
    scope_of,
    upsert_deployments,
    upsert_incidents,
    upsert_pull_requests,
)
from missionos.errors import InputError
from missionos.measures import Window
from missionos.store import Database
from tests.conftest import Cli
from tests.delivery.gitrepo import GitRepo
from tests.delivery.test_import_files import _jsonl
from tests.delivery.test_incremental_attribution import full_attribution, snapshot

WINDOW = Window(dt.datetime(2026, 3, 1, tzinfo=dt.UTC), dt.datetime(2026, 4, 1, tzinfo=dt.UTC))


def t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def dep(did: str, finished: str, *, kind: str = "planned", service: str = "svc") -> DeploymentRecord:
    return DeploymentRecord(did, service, "production", "success", None, t(finished), f"rev-{did}", kind)


def incident(
    iid: str, started: str, resolved: str | None, *, remediation: str | None = None, cause: str | None = None
) -> IncidentRecord:
    return IncidentRecord(
        iid, "svc", t(started), t(resolved) if resolved else None, "sev2", cause, remediation=remediation
    )


# Four planned deployments a day apart; an incident starts two hours after D2 (the heuristic attributes it to
# D2) and is resolved 49 hours after D2 finished, after D4 went out.
FOUR = [
    dep("D1", "2026-03-02T10:00:00+00:00"),
    dep("D2", "2026-03-03T10:00:00+00:00"),
    dep("D3", "2026-03-04T10:00:00+00:00"),
    dep("D4", "2026-03-05T10:00:00+00:00"),
]


def _figures(db: Database) -> dict[str, Any]:
    with db.session() as s:
        doc = delivery_metrics(s, scope_of(s, services=["svc"]), WINDOW)
        listed = {d["id"]: d for d in deployments(s, scope_of(s, services=["svc"]), WINDOW)}
    return {
        "cfr": (doc["change_failure_rate"]["failed"], doc["change_failure_rate"]["total"]),
        "recovery": (doc["recovery_time"]["median_hours"], doc["recovery_time"]["count"]),
        "rework": (doc["rework_rate"]["count"], doc["rework_rate"]["total"]),
        "incidents": doc["incidents"],
        "failed": sorted(k for k, d in listed.items() if d["failed"]),
        "kinds": {k: d["kind"] for k, d in listed.items()},
        "remediated_by": {k: d["remediated_by"] for k, d in listed.items() if d["remediated_by"]},
    }


def _kinds(db: Database) -> dict[str, str]:
    with db.session() as s:
        return {d.external_id: d.effective_kind for d in s.scalars(select(Deployment))}


def test_kind_from_texts_takes_the_remediation_last() -> None:
    assert metrics.kind_from_texts("planned", ["Add cache"], remediation=True) == "hotfix"
    assert metrics.kind_from_texts("planned", ["Revert cache"], remediation=True) == "rollback"
    assert metrics.kind_from_texts("rollback", [], remediation=True) == "rollback", "the record's kind stays"
    assert metrics.kind_from_texts("planned", [], remediation=False) == "planned"


def test_a_named_remediation_remediates_the_incidents_deployment_not_the_one_before_it() -> None:
    production = [*FOUR[:3], dep("D4", "2026-03-05T10:00:00+00:00", kind="hotfix")]
    named = [incident("I1", "2026-03-03T12:00:00+00:00", "2026-03-05T11:00:00+00:00", remediation="D4")]
    found = metrics.failures(production, named)
    assert found.failed == {("svc", "D2")}
    assert found.remediated_by[("svc", "D2")].id == "D4"
    unnamed = metrics.failures(production, [incident("I1", "2026-03-03T12:00:00+00:00", None)])
    assert unnamed.failed == {("svc", "D2"), ("svc", "D3")}, "a hotfix naming nothing remediates D3"


def test_rework_cfr_and_recovery_with_and_without_the_remediation_link(db: Database) -> None:
    with db.session() as s:
        ensure_service(s, "svc")
        upsert_deployments(s, FOUR, source="test")
        upsert_incidents(
            s, [incident("I1", "2026-03-03T12:00:00+00:00", "2026-03-05T11:00:00+00:00")], source="test"
        )
    without = _figures(db)
    # D2 failed (its incident), recovered when the incident was resolved: 49 hours. Nothing is rework.
    assert without["cfr"] == (1, 4)
    assert without["recovery"] == (49.0, 1)
    assert without["rework"] == (0, 4)
    assert without["failed"] == ["D2"]
    assert set(without["kinds"].values()) == {"planned"}
    with db.session() as s:
        summary = upsert_incidents(
            s,
            [incident("I1", "2026-03-03T12:00:00+00:00", "2026-03-05T11:00:00+00:00", remediation="D4")],
            source="test",
        )
    assert summary.updated == 1
    linked = _figures(db)
    # D4 becomes a hotfix (rework 1/4) that remediates D2, the incident's deployment, and not D3: still one
    # failed deployment, recovered when its incident was resolved.
    assert linked["kinds"] == {"D1": "planned", "D2": "planned", "D3": "planned", "D4": "hotfix"}
    assert linked["rework"] == (1, 4)
    assert linked["cfr"] == (1, 4)
    assert linked["recovery"] == (49.0, 1)
    assert linked["failed"] == ["D2"]
    assert linked["remediated_by"] == {"D2": "D4"}
    with db.session() as s:
        rows = incidents(s, scope_of(s, services=["svc"]), WINDOW)
    assert [(r["id"], r["remediation"], r["deployment"], r["how"]) for r in rows] == [
        ("I1", "D4", "D2", "heuristic")
    ]


def test_an_unattributed_incident_makes_its_remediation_remediate_the_deployment_before_it(
    db: Database,
) -> None:
    # The incident starts 7 days 22 hours after D1: too late for the heuristic, so it is unattributed.
    two = [dep("D1", "2026-03-02T10:00:00+00:00"), dep("D2", "2026-03-10T10:00:00+00:00")]
    late = ("I1", "2026-03-10T08:00:00+00:00", "2026-03-10T11:00:00+00:00")
    with db.session() as s:
        ensure_service(s, "svc")
        upsert_deployments(s, two, source="test")
        upsert_incidents(s, [incident(*late)], source="test")
    without = _figures(db)
    assert without["cfr"] == (0, 2) and without["rework"] == (0, 2) and without["recovery"] == (None, 0)
    assert without["incidents"] == {"attributed": 0, "unattributed": 1}
    with db.session() as s:
        upsert_incidents(s, [incident(*late, remediation="D2")], source="test")
    linked = _figures(db)
    # D2 is a hotfix naming nothing and no attributed incident names it: it remediates D1, which recovers
    # when D2 finished, 8 days (192 hours) later.
    assert linked["rework"] == (1, 2)
    assert linked["cfr"] == (1, 2)
    assert linked["recovery"] == (192.0, 1)
    assert linked["failed"] == ["D1"]
    assert linked["incidents"] == {"attributed": 0, "unattributed": 1}


def test_the_records_own_kind_stays_and_other_deployments_keep_theirs(db: Database) -> None:
    with db.session() as s:
        ensure_service(s, "svc")
        upsert_deployments(
            s,
            [
                dep("D1", "2026-03-02T10:00:00+00:00"),
                dep("D2", "2026-03-03T10:00:00+00:00", kind="rollback"),
                DeploymentRecord("S1", "svc", "staging", "success", None, t("2026-03-03T11:00Z"), "r"),
            ],
            source="test",
        )
        upsert_incidents(
            s,
            [
                incident("I1", "2026-03-02T12:00:00+00:00", None, remediation="D2"),
                incident("I2", "2026-03-03T12:00:00+00:00", None, remediation="S1"),
            ],
            source="test",
        )
    assert _kinds(db) == {"D1": "planned", "D2": "rollback", "S1": "planned"}


def test_a_remediation_naming_no_recorded_deployment_is_refused_whole(db: Database) -> None:
    with db.session() as s:
        ensure_service(s, "svc")
        ensure_service(s, "other")
        upsert_deployments(s, [*FOUR, dep("O1", "2026-03-03T10:00:00+00:00", service="other")], source="test")
    with pytest.raises(InputError) as raised, db.session() as s:
        upsert_incidents(
            s,
            [
                incident("I1", "2026-03-03T12:00:00+00:00", None, remediation="D4"),
                incident("I2", "2026-03-03T13:00:00+00:00", None, remediation="O1"),  # another service's
            ],
            source="incidents.jsonl",
            lines=[1, 3],
        )
    assert str(raised.value).startswith("incidents.jsonl:3: remediation: no deployment 'O1' of svc")
    with db.session() as s:
        assert incidents(s, scope_of(s, services=["svc"]), WINDOW) == []
    assert _kinds(db)["D4"] == "planned"


def test_incremental_kinds_equal_a_full_recomputation(db: Database, tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    messages = ("initial", "second", "third", "fourth", 'Revert "fourth"')
    c1, c2, c3, c4, c5 = (
        repo.commit(m, f"2026-03-0{day}T09:00:00+00:00") for day, m in enumerate(messages, 1)
    )
    with db.session() as s:
        import_git(s, repo.path, service="svc", branch="main")

    def prod(did: str, revision: str, finished: str, status: str = "success") -> DeploymentRecord:
        return DeploymentRecord(did, "svc", "production", status, None, t(finished), revision)

    i1 = ("I1", "2026-03-02T12:00:00+00:00", "2026-03-03T12:00:00+00:00")
    d3 = ("D3", c3, "2026-03-03T10:00:00+00:00")
    pr = PullRequestRecord(9, "svc", "Third", "ann", t("2026-03-03T08:00:00+00:00"), merge_commit_sha=c3)
    steps: list[Any] = [
        [prod("D2", c2, "2026-03-02T10:00:00+00:00"), prod("D4", c4, "2026-03-04T10:00:00+00:00")],
        [incident(*i1, remediation="D4")],  # D4 becomes a hotfix
        [prod(*d3)],  # re-attributes D3 and D4 from D3: D4 stays a hotfix
        [prod("D5", c5, "2026-03-05T10:00:00+00:00")],  # a revert: a rollback
        [incident("I2", "2026-03-04T11:00:00+00:00", None, remediation="D5")],  # stays a rollback
        [incident(*i1, remediation="D3")],  # moves: D4 planned again, D3 a hotfix
        [prod("D1", c1, "2026-03-01T10:00:00+00:00")],  # re-attributes everything from D1
        [prod(*d3, status="failure")],  # D3 leaves production: its record's kind
        [prod(*d3)],  # and comes back
        [pr],  # re-links c3 and re-derives D3's kind
        [incident(*i1)],  # cleared: D3 planned again
    ]
    before = {"D2": "planned", "D4": "planned"}
    expected_kinds = [
        before,
        {**before, "D4": "hotfix"},
        {**before, "D3": "planned", "D4": "hotfix"},
        {**before, "D3": "planned", "D4": "hotfix", "D5": "rollback"},
        {**before, "D3": "planned", "D4": "hotfix", "D5": "rollback"},
        {**before, "D3": "hotfix", "D5": "rollback"},
        {**before, "D1": "planned", "D3": "hotfix", "D5": "rollback"},
        {**before, "D1": "planned", "D3": "planned", "D5": "rollback"},
        {**before, "D1": "planned", "D3": "hotfix", "D5": "rollback"},
        {**before, "D1": "planned", "D3": "hotfix", "D5": "rollback"},
        {**before, "D1": "planned", "D3": "planned", "D5": "rollback"},
    ]
    for step, kinds in zip(steps, expected_kinds, strict=True):
        with db.session() as s:
            if isinstance(step[0], DeploymentRecord):
                upsert_deployments(s, step, source="test")
            elif isinstance(step[0], IncidentRecord):
                upsert_incidents(s, step, source="test")
            else:
                upsert_pull_requests(s, step, source="test")
        incremental = snapshot(db)
        assert incremental["kinds"] == kinds
        assert full_attribution(db) == incremental


def _seed(db: Database) -> None:
    with db.session() as s:
        ensure_service(s, "svc")
        upsert_deployments(s, FOUR, source="test")


def test_jsonl_and_csv_imports_carry_the_remediation(db: Database, cli: Cli, tmp_path: Path) -> None:
    _seed(db)
    jsonl = _jsonl(
        tmp_path / "i.jsonl",
        [{"id": "I1", "service": "svc", "started_at": "2026-03-03T12:00:00Z", "remediation": "D4"}],
    )
    csv = tmp_path / "i.csv"
    csv.write_text(
        "id,service,started_at,resolved_at,severity,cause,remediation\n"
        "I1,svc,2026-03-03T12:00:00Z,,sev2,,D3\n"
        "I2,svc,2026-03-04T12:00:00Z,,sev3,,\n"
    )
    for path, kind in ((jsonl, "D4"), (csv, "D3")):
        result = cli("delivery", "import", "incidents", str(path))
        assert result.exit_code == 0, result.stderr
        assert _kinds(db)[kind] == "hotfix"
    assert _kinds(db) == {"D1": "planned", "D2": "planned", "D3": "hotfix", "D4": "planned"}
    window = ["--since", "2026-03-01T00:00:00+00:00", "--until", "2026-04-01T00:00:00+00:00"]
    listed = cli("delivery", "incidents", "--service", "svc", *window, "--format", "json")
    assert [(r["id"], r["remediation"]) for r in json.loads(listed.stdout)] == [("I2", None), ("I1", "D3")]


def test_a_bad_remediation_in_a_file_is_refused_naming_the_line(
    db: Database, cli: Cli, tmp_path: Path
) -> None:
    _seed(db)
    bad = _jsonl(
        tmp_path / "bad.jsonl",
        [
            {"id": "I1", "service": "svc", "started_at": "2026-03-03T12:00:00Z", "remediation": "D4"},
            {"id": "I2", "service": "svc", "started_at": "2026-03-04T12:00:00Z", "remediation": "D9"},
        ],
    )
    result = cli("delivery", "import", "incidents", str(bad))
    assert result.exit_code == 2
    assert "bad.jsonl:2: remediation: no deployment 'D9' of svc" in result.stderr
    typed = _jsonl(
        tmp_path / "typed.jsonl",
        [{"id": "I1", "service": "svc", "started_at": "2026-03-03T12:00:00Z", "remediation": ["D4"]}],
    )
    result = cli("delivery", "import", "incidents", str(typed))
    assert result.exit_code == 2
    assert "typed.jsonl:1: remediation: expected text" in result.stderr
    assert set(_kinds(db).values()) == {"planned"}
    with db.session() as s:
        assert incidents(s, scope_of(s, services=["svc"]), WINDOW) == []


def test_the_api_takes_the_remediation_and_refuses_an_unknown_one(db: Database, client: httpx.Client) -> None:
    _seed(db)
    good = {"id": "I1", "service": "svc", "started_at": "2026-03-03T12:00:00Z", "remediation": "D4"}
    bad = {"id": "I2", "service": "svc", "started_at": "2026-03-04T12:00:00Z", "remediation": "D9"}
    refused = client.post("/api/v1/delivery/incidents", json=[good, bad])
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["detail"] == "request body:2: remediation: no deployment 'D9' of svc"
    assert _kinds(db)["D4"] == "planned"
    answer = client.post("/api/v1/delivery/incidents", json=good)
    assert answer.status_code == 200, answer.text
    assert _kinds(db)["D4"] == "hotfix"
    with db.session() as s:
        listed = incidents(s, scope_of(s, services=["svc"]), WINDOW)
    assert [(i["id"], i["remediation"]) for i in listed] == [("I1", "D4")]
    page = client.get("/delivery/services/svc?days=3650", headers={"accept": "text/html"}).text
    assert "<th>Remediated by</th>" in page
    assert re.search(r'<td><a href="#deployment-D4">D4</a></td>\s*</tr>', page), "the incident's remediation"
