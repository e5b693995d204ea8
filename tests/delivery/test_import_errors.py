"""Saved GitHub and GitLab pages and deployment files with a missing or unreadable field: the import stops
with the file, the item or line and the field, exits 2 and shows no traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from missionos.delivery.forges import _slug
from missionos.delivery.models import Deployment
from missionos.delivery.service import ensure_service
from missionos.store import Database
from tests.conftest import Cli

MERGED_PR = {
    "number": 12,
    "state": "closed",
    "title": "Add search",
    "user": {"login": "ann"},
    "created_at": "2026-06-02T09:00:00Z",
    "merged_at": "2026-06-02T15:00:00Z",
    "merge_commit_sha": "a" * 40,
}
PR_COMMIT = {
    "sha": "b" * 40,
    "commit": {
        "author": {"name": "Ann", "email": "ann@example.org", "date": "2026-06-02T07:00:00Z"},
        "committer": {"name": "Ann", "email": "ann@example.org", "date": "2026-06-02T07:00:00Z"},
        "message": "Search box",
    },
    "author": {"login": "ann"},
}
INCIDENT = {
    "number": 40,
    "title": "Search is down",
    "state": "closed",
    "labels": [{"name": "incident"}],
    "created_at": "2026-06-03T10:00:00Z",
    "closed_at": "2026-06-03T12:00:00Z",
    "body": "",
}


def save(root: Path, endpoint: str, params: dict[str, Any] | None, body: Any) -> Path:
    folder = root / _slug(endpoint, params)
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / "0001.json"
    page.write_text(json.dumps(body))
    return page


def github_pages(
    root: Path, *, pr: dict[str, Any], commit: dict[str, Any], issue: dict[str, Any]
) -> dict[str, Path]:
    base = "/repos/acme/web"
    return {
        "pulls": save(root, f"{base}/pulls", {"state": "closed"}, [pr]),
        "commits": save(root, f"{base}/pulls/12/commits", None, [commit]),
        "reviews": save(root, f"{base}/pulls/12/reviews", None, []),
        "deployments": save(root, f"{base}/deployments", None, []),
        "issues": save(root, f"{base}/issues", {"labels": "incident", "state": "all"}, [issue]),
    }


def refused(result: Any, *expected: str) -> None:
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr


def test_github_pages_as_they_should_be_import(cli: Cli, db: Database, tmp_path: Path) -> None:
    github_pages(tmp_path, pr=MERGED_PR, commit=PR_COMMIT, issue=INCIDENT)
    with db.session() as s:
        ensure_service(s, "web")
    result = cli(
        "delivery", "import", "github", "--repo", "acme/web", "--service", "web", "--from-dir", str(tmp_path)
    )
    assert result.exit_code == 0, result.stderr
    assert "1 pull requests read: 1 new" in result.stdout and "1 incidents read: 1 new" in result.stdout


@pytest.mark.parametrize(
    ("broken", "page", "field"),
    [
        ({"pr": {k: v for k, v in MERGED_PR.items() if k != "created_at"}}, "pulls", "created_at"),
        ({"pr": {**MERGED_PR, "created_at": "yesterday"}}, "pulls", "created_at"),
        (
            {"commit": {**PR_COMMIT, "commit": {"message": "x", "author": None}}},
            "commits",
            "commit.author.date",
        ),
        ({"issue": {k: v for k, v in INCIDENT.items() if k != "created_at"}}, "issues", "created_at"),
        ({"pr": {**MERGED_PR, "number": None}}, "pulls", "number"),
    ],
)
def test_a_bad_github_page_names_its_file_item_and_field(
    cli: Cli, tmp_path: Path, broken: dict[str, Any], page: str, field: str
) -> None:
    pages = github_pages(
        tmp_path,
        **{"pr": MERGED_PR, "commit": PR_COMMIT, "issue": INCIDENT, **broken},  # type: ignore[arg-type]
    )
    result = cli(
        "delivery", "import", "github", "--repo", "acme/web", "--service", "web", "--from-dir", str(tmp_path)
    )
    refused(result, pages[page].name, "item 1", f"{field}:")
    assert pages[page].parent.name in result.stderr


@pytest.mark.parametrize(
    ("merge_request", "deployment", "page", "field"),
    [
        ({"iid": 3, "title": "x", "merged_at": "2026-06-02T15:00:00Z"}, None, "merge_requests", "created_at"),
        (None, {"id": 9, "status": "success", "finished_at": "2026-06-02T15:00:00Z"}, "deployments", "sha"),
    ],
)
def test_a_bad_gitlab_page_names_its_file_item_and_field(
    cli: Cli,
    tmp_path: Path,
    merge_request: dict[str, Any] | None,
    deployment: dict[str, Any] | None,
    page: str,
    field: str,
) -> None:
    base = "/projects/benefits%2Fintake"
    pages = {
        "merge_requests": save(
            tmp_path, f"{base}/merge_requests", {"state": "merged"}, [merge_request] if merge_request else []
        ),
        "deployments": save(tmp_path, f"{base}/deployments", None, [deployment] if deployment else []),
    }
    save(tmp_path, f"{base}/merge_requests/3/commits", None, [])
    save(tmp_path, f"{base}/merge_requests/3/notes", None, [])
    save(tmp_path, f"{base}/issues", {"labels": "incident"}, [])
    result = cli(
        "delivery", "import", "gitlab", "--project", "benefits/intake", "--service", "intake",
        "--from-dir", str(tmp_path),
    )  # fmt: skip
    refused(result, pages[page].name, "item 1", f"{field}:")


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_latin1_deployment_file_names_its_line_and_field(cli: Cli, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"deployments{suffix}"
    if suffix == ".csv":
        text = (
            "id,service,environment,status,finished_at,revision\n"
            "D1,web,production,success,2026-06-02T15:00:00Z,abc1234\n"
            "D2,web,producción,success,2026-06-03T15:00:00Z,abc1234\n"
        )
    else:
        rows = [
            {"id": "D1", "service": "web", "environment": "production", "status": "success"},
            {"id": "D2", "service": "web", "environment": "producción", "status": "success"},
        ]
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    path.write_bytes(text.encode("latin-1"))
    result = cli("delivery", "import", "deployments", str(path))
    refused(result, f"{path}:3" if suffix == ".csv" else f"{path}:2", "environment: expected UTF-8", "0xf3")


def test_a_csv_row_with_more_values_than_its_header_refuses_the_file_and_stores_nothing(
    cli: Cli, db: Database, tmp_path: Path
) -> None:
    """A stray comma (an unquoted "Smith, J." in a free-text column) used to drop the values past the header
    silently; now the file is refused, naming the line, and no deployment of it is stored."""
    with db.session() as session:
        ensure_service(session, "web")
    path = tmp_path / "deployments.csv"
    path.write_text(
        "id,service,environment,status,finished_at,revision\n"
        "D1,web,production,success,2026-06-02T15:00:00Z,abc1234\n"
        "D2,web,production,success,2026-06-03T15:00:00Z,abc1234,Smith, J.\n"
    )
    result = cli("delivery", "import", "deployments", str(path))
    refused(result, f"{path}:3", "more values than the header has columns")
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Deployment)) == 0
    # The same file without the stray values imports both rows.
    path.write_text(path.read_text().replace(",Smith, J.", ""))
    assert cli("delivery", "import", "deployments", str(path)).exit_code == 0
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Deployment)) == 2
