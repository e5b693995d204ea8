"""`delivery import devlake` over Apache DevLake's own DORA fixtures (tests/data/devlake, Apache-2.0), on
SQLite and PostgreSQL: the figures Mission OS computes from the import are compared with what DevLake
computes from the same tables. Which figures match, and why the others differ, is written in docs/org.md."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import shutil
from pathlib import Path

from sqlalchemy import func, select

from missionos.delivery.models import Deployment, Incident, PullRequest
from missionos.delivery.service import delivery_metrics, incidents, scope_of
from missionos.flow.models import Transition, WorkItem
from missionos.measures import Window
from missionos.store import Database
from tests.conftest import Cli
from tests.datafiles import DEVLAKE

LEAD_TIME = DEVLAKE / "lead-time"
INCIDENTS = DEVLAKE / "incidents"
ISSUES = DEVLAKE / "issues"
ISSUE_TRACE = DEVLAKE / "issue-trace"
WINDOW_2022 = Window(dt.datetime(2022, 1, 1, tzinfo=dt.UTC), dt.datetime(2024, 1, 1, tzinfo=dt.UTC))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _devlake_deployment_count(folder: Path, project: str) -> int:
    """DevLake's own rule (grafana/dashboards/DORA.json, `_deployments`): distinct `cicd_deployment_id`s of
    the project's CI/CD scopes with a SUCCESS row to PRODUCTION."""
    scopes = {
        r["row_id"]
        for r in _rows(folder / "project_mapping.csv")
        if r["project_name"] == project and r["table"] == "cicd_scopes"
    }
    return len(
        {
            r["cicd_deployment_id"]
            for r in _rows(folder / "cicd_deployment_commits.csv")
            if r["cicd_scope_id"] in scopes and r["result"] == "SUCCESS" and r["environment"] == "PRODUCTION"
        }
    )


def _import(cli: Cli, folder: Path, *extra: str) -> str:
    out = cli("delivery", "import", "devlake", str(folder), "--create-services", *extra)
    assert out.exit_code == 0, out.stderr
    return out.stdout


def test_deployment_counts_match_devlake(db: Database, cli: Cli) -> None:
    counts: dict[tuple[str, str], int] = {}
    for folder in (LEAD_TIME, INCIDENTS):
        _import(cli, folder)
        with db.session() as s:
            for project in ("project1", "project2"):
                doc = delivery_metrics(s, scope_of(s, services=[project]), WINDOW_2022)
                expected = _devlake_deployment_count(folder, project)
                assert doc["deployment_frequency"]["count"] == expected, (folder.name, project)
                counts[(folder.name, project)] = expected
        with db.session() as s:
            s.execute(Incident.__table__.delete())
            s.execute(Deployment.__table__.delete())
    assert counts == {
        ("lead-time", "project1"): 5,
        ("lead-time", "project2"): 1,
        ("incidents", "project1"): 5,
        ("incidents", "project2"): 1,
    }


def test_cicd_deployments_table_decides_result_and_times(db: Database, cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(INCIDENTS / "cicd_deployment_commits.csv", folder)
    (folder / "cicd_deployments.csv").write_text(
        "id,cicd_scope_id,name,result,status,environment,started_date,finished_date\n"
        "pipeline1,cicd1,deploy,SUCCESS,DONE,PRODUCTION,2022-09-10 06:51:47,2022-09-12 06:51:47\n"
        "pipeline7,cicd2,deploy,FAILURE,DONE,PRODUCTION,2022-09-13 07:54:39,2022-09-24 06:51:47\n"
    )
    assert cli("delivery", "import", "devlake", str(folder), "-s", "one", "--create-services").exit_code == 0
    with db.session() as s:
        rows = {d.external_id: d for d in s.scalars(select(Deployment))}
    assert sorted(rows) == ["pipeline1", "pipeline7"]
    assert (rows["pipeline1"].status, rows["pipeline1"].revision, rows["pipeline1"].is_production) == (
        "success",
        "2",
        True,
    )
    assert (rows["pipeline7"].status, rows["pipeline7"].revision) == ("failure", "13")


def test_pull_request_stages_match_devlake_project_pr_metrics(db: Database, cli: Cli) -> None:
    """Coding, pickup and review time per merged PR, computed as metrics.md §1 defines the stages from the
    imported pull requests, equal DevLake's `project_pr_metrics` (whole minutes, rounded up; a negative span
    is empty there)."""
    _import(cli, LEAD_TIME)
    expected = {r["id"]: r for r in _rows(LEAD_TIME / "project_pr_metrics.csv")}

    def minutes(later: dt.datetime | None, earlier: dt.datetime | None) -> str:
        if later is None or earlier is None:
            return ""
        span = (later - earlier).total_seconds() / 60
        return str(math.ceil(span)) if span >= 0 else ""

    with db.session() as s:
        prs = {p.number: p for p in s.scalars(select(PullRequest).where(PullRequest.merged_at.is_not(None)))}
        assert sorted(prs) == [0, 1, 2, 3, 4, 5]  # pr6 is not merged: DevLake has no figures for it either
        compared = 0
        for number, pr in prs.items():
            want = expected[f"pr{number}"]
            assert minutes(pr.created_at, pr.first_commit_at) == want["pr_coding_time"], (number, "coding")
            assert minutes(pr.first_review_at, pr.created_at) == want["pr_pickup_time"], (number, "pickup")
            assert minutes(pr.merged_at, pr.first_review_at) == want["pr_review_time"], (number, "review")
            compared += 3
    assert compared == 18


def test_incident_attribution_against_devlake(db: Database, cli: Cli) -> None:
    """DevLake ties every incident to the project's last deployment row finished before it, however long
    before; Mission OS only within the 7-day attribution window (metrics.md §1), and dates a deployment of
    several rows by its last row, as DevLake's own dashboards do."""
    _import(cli, INCIDENTS)
    devlake = {
        r["id"]: r["deployment_id"]
        for r in _rows(INCIDENTS / "project_incident_deployment_relationships.csv")
    }
    with db.session() as s:
        ours = {r["id"]: r for r in incidents(s, scope_of(s, services=["project1"]), WINDOW_2022)}
        doc = delivery_metrics(s, scope_of(s, services=["project1"]), WINDOW_2022)
    assert set(ours) == set(devlake)  # the same six incidents belong to project1
    late = {i for i, r in ours.items() if r["how"] == "unattributed"}
    # the five November incidents came two months after DevLake's pipeline7: past the attribution window
    assert late == {i for i, d in devlake.items() if d == "pipeline7"}
    board = "github:GithubIssue:1:1373792478"
    assert devlake[board] == "pipeline2"
    # pipeline2's first row finished 2022-09-14, its last 2022-09-15 06:51, after the incident (01:56):
    # DevLake picks it by its first row, Mission OS the deployment before, pipeline1
    assert ours[board]["deployment"] == "pipeline1"
    # DevLake's change failure rate for project1 is 2 of 5 deployments; Mission OS's is 1 of 5
    assert (doc["change_failure_rate"]["failed"], doc["change_failure_rate"]["total"]) == (1, 5)
    assert len(set(devlake.values())) == 2


def test_incident_issues_by_board(db: Database, cli: Cli) -> None:
    out = _import(cli, ISSUES)
    incident_ids = {r["id"] for r in _rows(ISSUES / "issues.csv") if r["type"] == "INCIDENT"}
    boards = {r["issue_id"]: r["board_id"] for r in _rows(ISSUES / "board_issues.csv")}
    mapped = {r["row_id"] for r in _rows(ISSUES / "project_mapping.csv") if r["table"] == "boards"}
    expected = {i for i in incident_ids if boards.get(i) in mapped}
    with db.session() as s:
        stored = set(s.scalars(select(Incident.external_id)))
    assert stored == expected and len(expected) == 4
    assert f"{len(incident_ids) - len(expected)} incident issues left out" in out


def test_reimport_changes_nothing_and_unknown_services_need_org(db: Database, cli: Cli) -> None:
    refused = cli("delivery", "import", "devlake", str(LEAD_TIME))
    assert refused.exit_code == 2
    assert "'project1', 'project2'" in refused.stderr and "missionos org apply" in refused.stderr
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(PullRequest)) == 0
    first = _import(cli, LEAD_TIME)
    assert "7 pull requests read: 7 new" in first and "9 deployments read: 9 new" in first
    again = _import(cli, LEAD_TIME)
    assert "7 pull requests read: 0 new, 0 updated, 7 unchanged" in again
    assert "9 deployments read: 0 new, 0 updated, 9 unchanged" in again


def test_one_service_and_json_lines(db: Database, cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    for row_file in ("incidents.csv",):
        shutil.copy(INCIDENTS / row_file, folder / row_file)
    rows = _rows(INCIDENTS / "cicd_deployment_commits.csv")
    (folder / "cicd_deployment_commits.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert (
        cli("delivery", "import", "devlake", str(folder), "-s", "everything", "--create-services").exit_code
        == 0
    )
    with db.session() as s:
        doc = delivery_metrics(s, scope_of(s, services=["everything"]), WINDOW_2022)
        assert s.scalar(select(func.count()).select_from(Incident)) == 7
    shipped = {
        r["cicd_deployment_id"] for r in rows if r["result"] == "SUCCESS" and r["environment"] == "PRODUCTION"
    }
    assert doc["deployment_frequency"]["count"] == len(shipped)


def test_a_bad_row_rejects_the_directory(db: Database, cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    shutil.copytree(LEAD_TIME, folder)
    path = folder / "cicd_deployment_commits.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[5] = lines[5].replace("2023-04-13T07:29:14.000+00:00", "13/04/2023")
    path.write_text("".join(lines))
    out = cli("delivery", "import", "devlake", str(folder), "--create-services")
    assert out.exit_code == 2 and "Traceback" not in out.stderr
    assert f"{path}:6" in out.stderr and "finished_date" in out.stderr and "13/04/2023" in out.stderr
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(PullRequest)) == 0
        assert s.scalar(select(func.count()).select_from(Deployment)) == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    out = cli("delivery", "import", "devlake", str(empty))
    assert out.exit_code == 2 and "no DevLake tables found" in out.stderr


def test_issue_status_changes_match_devlake_status_history(db: Database, cli: Cli) -> None:
    """Issues become flow work items; their status changes equal DevLake's own `issue_status_history`
    (issue_trace plugin) row for row, but for one TAPD story whose status is empty (no status, no change)."""
    out = _import(cli, ISSUE_TRACE, "--service", "tracker")
    issues = _rows(ISSUE_TRACE / "issues.csv")
    assert f"{len(issues)} issues read as work items: {len(issues)} new" in out

    def moment(text: str) -> str:
        return dt.datetime.fromisoformat(text).astimezone(dt.UTC).isoformat(timespec="milliseconds")

    with db.session() as s:
        rows = s.execute(
            select(WorkItem.key, Transition.to_status, Transition.at).join(
                WorkItem, WorkItem.id == Transition.item_id
            )
        ).all()
        types = {k: v for k, v in s.execute(select(WorkItem.key, WorkItem.type))}
    ours = {
        (key, status, moment(at.replace(tzinfo=at.tzinfo or dt.UTC).isoformat())) for key, status, at in rows
    }
    theirs = {
        (r["issue_id"], r["original_status"], moment(r["start_date"]))
        for r in _rows(ISSUE_TRACE / "issue_status_history.csv")
    }
    assert len(ours) == len(rows) == 199
    assert ours <= theirs
    assert {(k, s) for k, s, _ in theirs - ours} == {("tapd:TapdStory:2:1149308060001017333", "")}
    by_type = {r["id"]: r["type"] for r in issues}
    assert {types[k] for k, t in by_type.items() if t == "BUG"} == {"defect"}
    assert {types[k] for k, t in by_type.items() if t == "REQUIREMENT"} == {"feature"}


def test_nulls_and_repeated_pull_request_numbers(db: Database, cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    shutil.copytree(LEAD_TIME, folder)
    prs = folder / "pull_requests.csv"
    # a MySQL export writes a missing value as \N: pr6 is still open
    original = prs.read_text()
    nulled = original.replace(
        "pr6,repo1,,pr_merge_commit6,2023-4-13 7:55:01,,,,",
        "pr6,repo1,\\N,pr_merge_commit6,2023-4-13 7:55:01,\\N,\\N,\\N,\\N",
    )
    assert nulled != original
    prs.write_text(nulled)
    _import(cli, folder)
    with db.session() as s:
        open_pr = s.scalar(select(PullRequest).where(PullRequest.number == 6))
        assert open_pr is not None and open_pr.merged_at is None and open_pr.author == ""
    # two repositories of one project both have a pull request 3
    prs.write_text(prs.read_text() + "pr_b3,repo2,b,m,2023-4-11 6:53:51,2023-4-14 6:53:51,,,\n")
    out = cli("delivery", "import", "devlake", str(folder))
    assert out.exit_code == 2
    assert f"{prs}:9" in out.stderr and "already has pull request 3 (line 5)" in out.stderr
