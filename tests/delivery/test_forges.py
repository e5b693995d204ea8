"""GitHub and GitLab importers replaying recorded, real-shaped REST responses through a mock transport."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
import pytest

from missionos.delivery.forges import ApiPages, SavedPages, read_github, read_gitlab
from missionos.delivery.service import (
    delivery_metrics,
    import_git,
    scope_of,
    upsert_deployments,
    upsert_pull_requests,
)
from missionos.errors import InputError
from missionos.measures import Window
from missionos.store import Database
from tests.conftest import Cli
from tests.delivery.gitrepo import GitRepo

API = "https://api.github.com"


def _user(login: str) -> dict[str, Any]:
    return {"login": login, "id": abs(hash(login)) % 10_000, "type": "User", "site_admin": False}


def github_routes(c1: str, head: str, f1: str) -> dict[str, list[tuple[Any, dict[str, str]]]]:
    """Responses in GitHub's REST v3 shapes (trimmed to the fields read, plus some that are not)."""
    pulls_page_2 = f"{API}/repositories/1/pulls?state=closed&per_page=100&page=2"
    return {
        "/repos/acme/web/pulls": [
            (
                [
                    {
                        "number": 12,
                        "state": "closed",
                        "title": "Add search",
                        "user": _user("ann"),
                        "created_at": "2026-06-02T09:00:00Z",
                        "merged_at": "2026-06-02T15:00:00Z",
                        "merge_commit_sha": head,
                        "labels": [{"id": 1, "name": "feature", "color": "0e8a16"}],
                        "head": {"ref": "search"},
                        "base": {"ref": "main"},
                    },
                ],
                {"link": f'<{pulls_page_2}>; rel="next", <{pulls_page_2}>; rel="last"'},
            ),
        ],
        "/repositories/1/pulls": [
            (
                [
                    {
                        "number": 11,
                        "state": "closed",
                        "title": "Abandoned",
                        "user": _user("bob"),
                        "created_at": "2026-06-01T09:00:00Z",
                        "merged_at": None,
                        "merge_commit_sha": None,
                        "labels": [],
                    }
                ],
                {},
            ),
        ],
        "/repos/acme/web/pulls/12/commits": [
            (
                [
                    {
                        "sha": f1,
                        "commit": {
                            "author": {
                                "name": "Ann",
                                "email": "ann@example.org",
                                "date": "2026-06-02T07:00:00+02:00",
                            },
                            "message": "Search box",
                        },
                        "parents": [{"sha": c1}],
                    }
                ],
                {},
            ),
        ],
        "/repos/acme/web/pulls/12/reviews": [
            (
                [
                    {
                        "id": 80,
                        "user": _user("ann"),
                        "state": "COMMENTED",
                        "submitted_at": "2026-06-02T10:00:00Z",
                    },
                    {
                        "id": 81,
                        "user": _user("cy"),
                        "state": "APPROVED",
                        "submitted_at": "2026-06-02T11:00:00Z",
                    },
                ],
                {},
            ),
        ],
        "/repos/acme/web/deployments": [
            (
                [
                    {
                        "id": 501,
                        "sha": head,
                        "ref": "main",
                        "task": "deploy",
                        "environment": "production",
                        "created_at": "2026-06-02T16:00:00Z",
                        "payload": {},
                        "creator": _user("ci"),
                    },
                    {
                        "id": 500,
                        "sha": c1,
                        "ref": "main",
                        "task": "deploy",
                        "environment": "production",
                        "created_at": "2026-06-01T10:00:00Z",
                        "payload": {},
                        "creator": _user("ci"),
                    },
                    {
                        "id": 502,
                        "sha": head,
                        "ref": "main",
                        "task": "deploy",
                        "environment": "staging",
                        "created_at": "2026-06-02T17:00:00Z",
                        "payload": {},
                        "creator": _user("ci"),
                    },
                ],
                {},
            ),
        ],
        "/repos/acme/web/deployments/501/statuses": [
            (
                [
                    {"id": 3, "state": "inactive", "created_at": "2026-06-03T09:00:00Z"},
                    {"id": 2, "state": "success", "created_at": "2026-06-02T16:30:00Z"},
                    {"id": 1, "state": "in_progress", "created_at": "2026-06-02T16:01:00Z"},
                ],
                {},
            ),
        ],
        "/repos/acme/web/deployments/500/statuses": [
            ([{"id": 4, "state": "success", "created_at": "2026-06-01T10:20:00Z"}], {}),
        ],
        "/repos/acme/web/deployments/502/statuses": [
            ([{"id": 5, "state": "queued", "created_at": "2026-06-02T17:00:00Z"}], {})
        ],
        "/repos/acme/web/issues": [
            (
                [
                    {
                        "number": 40,
                        "title": "Search returns 500",
                        "labels": [{"name": "incident"}, {"name": "sev2"}],
                        "created_at": "2026-06-02T18:00:00Z",
                        "closed_at": "2026-06-02T19:30:00Z",
                        "body": "Customers see errors.\nCause: 501\n",
                        "user": _user("ops"),
                    },
                    {
                        "number": 41,
                        "title": "PR mislabelled",
                        "labels": [{"name": "incident"}],
                        "pull_request": {"url": "x"},
                        "created_at": "2026-06-02T18:00:00Z",
                        "closed_at": None,
                        "body": None,
                    },
                ],
                {},
            ),
        ],
    }


def transport(routes: dict[str, list[tuple[Any, dict[str, str]]]], seen: list[str]) -> httpx.MockTransport:
    limited = {"done": False}

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if not limited["done"]:  # the first request meets an exhausted rate limit
            limited["done"] = True
            return httpx.Response(
                403,
                json={"message": "API rate limit exceeded"},
                headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000030"},
            )
        body, headers = routes[request.url.raw_path.decode().split("?")[0]][0]
        return httpx.Response(200, json=body, headers=headers)

    return httpx.MockTransport(handle)


def test_github_pull_requests_deployments_and_incidents(db: Database, tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    c1 = repo.commit("initial", "2026-06-01T09:00:00+00:00")
    f1 = repo.commit("Search box", "2026-06-02T07:00:00+02:00")
    head = f1
    seen: list[str] = []
    slept: list[float] = []
    with httpx.Client(base_url=API, transport=transport(github_routes(c1, head, f1), seen)) as client:
        pages = ApiPages(client, save_to=tmp_path / "saved", sleep=slept.append, now=lambda: 1_000_000.0)
        data = read_github(pages, "acme/web", "web")
    assert slept == [31.0], "waits until X-RateLimit-Reset (plus a second)"
    assert any("page=2" in url for url in seen), "follows Link: rel=next"
    (pr,) = data.pull_requests
    assert (pr.number, pr.author, pr.labels, pr.commit_shas) == (12, "ann", ("feature",), (f1,))
    assert pr.first_review_at == dt.datetime(2026, 6, 2, 11, tzinfo=dt.UTC), (
        "the author's own comment is not a review"
    )
    assert pr.first_commit_at == dt.datetime(2026, 6, 2, 5, tzinfo=dt.UTC)
    assert sorted((d.id, d.environment, d.status) for d in data.deployments) == [
        ("500", "production", "success"),
        ("501", "production", "success"),
    ], "a later 'inactive' status does not undo a success; a queued deployment is not finished"
    assert [(i.id, i.cause, i.severity) for i in data.incidents] == [("#40", "501", "sev2")]

    replay = read_github(SavedPages(tmp_path / "saved"), "acme/web", "web")
    assert replay == data, "saved pages read back with no network give the same records"

    with db.session() as s:
        import_git(s, repo.path, service="web", branch="main")
        upsert_pull_requests(s, data.pull_requests, source="github")
        upsert_deployments(s, data.deployments, source="github")
    with db.session() as s:
        doc = delivery_metrics(
            s,
            scope_of(s, services=["web"]),
            Window(dt.datetime(2026, 6, 1, tzinfo=dt.UTC), dt.datetime(2026, 7, 1, tzinfo=dt.UTC)),
        )
    # f1 deployed at 16:30 by 501; its PR's first commit was authored at 05:00: 11.5 h
    assert doc["lead_time"]["median_hours"] == pytest.approx(11.5)
    assert doc["lead_time"]["parts"]["pickup_hours"] == pytest.approx(2.0)


def test_saved_pages_missing_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no saved pages for /repos/acme/web/pulls"):
        read_github(SavedPages(tmp_path), "acme/web", "web")


def test_gitlab_merge_requests_deployments_and_incidents(tmp_path: Path) -> None:
    routes = {
        "/api/v4/projects/benefits%2Fintake/merge_requests": [
            (
                [
                    {
                        "id": 9001,
                        "iid": 7,
                        "title": "Reminders",
                        "state": "merged",
                        "author": {"username": "mei"},
                        "created_at": "2026-06-03T08:00:00.000Z",
                        "merged_at": "2026-06-03T12:00:00.000Z",
                        "merge_commit_sha": None,
                        "squash_commit_sha": "c" * 40,
                        "labels": ["hotfix"],
                    }
                ],
                {},
            ),
        ],
        "/api/v4/projects/benefits%2Fintake/merge_requests/7/commits": [
            (
                [{"id": "a" * 40, "authored_date": "2026-06-02T22:00:00.000-04:00", "title": "Reminder job"}],
                {},
            ),
        ],
        "/api/v4/projects/benefits%2Fintake/merge_requests/7/notes": [
            (
                [
                    {
                        "id": 1,
                        "body": "assigned to @luis",
                        "system": True,
                        "author": {"username": "mei"},
                        "created_at": "2026-06-03T08:05:00.000Z",
                    },
                    {
                        "id": 2,
                        "body": "Looks good",
                        "system": False,
                        "author": {"username": "luis"},
                        "created_at": "2026-06-03T09:00:00.000Z",
                    },
                ],
                {},
            ),
        ],
        "/api/v4/projects/benefits%2Fintake/deployments": [
            (
                [
                    {
                        "id": 41,
                        "iid": 3,
                        "sha": "c" * 40,
                        "status": "success",
                        "environment": {"name": "production"},
                        "created_at": "2026-06-03T12:10:00.000Z",
                        "updated_at": "2026-06-03T12:30:00.000Z",
                        "deployable": {"status": "success", "finished_at": "2026-06-03T12:25:00.000Z"},
                    },
                    {
                        "id": 42,
                        "iid": 4,
                        "sha": "c" * 40,
                        "status": "canceled",
                        "environment": {"name": "production"},
                        "created_at": "2026-06-03T13:00:00.000Z",
                        "updated_at": "2026-06-03T13:01:00.000Z",
                    },
                ],
                {},
            ),
        ],
        "/api/v4/projects/benefits%2Fintake/issues": [
            (
                [
                    {
                        "iid": 5,
                        "title": "Reminders sent twice",
                        "labels": ["incident", "severity::2"],
                        "created_at": "2026-06-03T14:00:00.000Z",
                        "closed_at": None,
                        "description": "cause: 41\nThe duplicate job was stopped.\n  Remediation: 44\n",
                    }
                ],
                {},
            ),
        ],
    }
    seen: list[str] = []
    with httpx.Client(base_url="https://gitlab.example/api/v4", transport=transport(routes, seen)) as client:
        data = read_gitlab(
            ApiPages(client, sleep=lambda s: None, now=lambda: 1_000_000.0), "benefits/intake", "intake-api"
        )
    (mr,) = data.pull_requests
    assert (mr.number, mr.merge_commit_sha, mr.labels) == (7, "c" * 40, ("hotfix",))
    assert mr.first_commit_at == dt.datetime(2026, 6, 3, 2, tzinfo=dt.UTC)
    assert mr.first_review_at == dt.datetime(2026, 6, 3, 9, tzinfo=dt.UTC), "system notes are not reviews"
    assert [(d.id, d.status, d.finished_at.hour, d.finished_at.minute) for d in data.deployments] == [
        ("41", "success", 12, 25)
    ]
    assert [(i.id, i.cause, i.remediation, i.resolved_at) for i in data.incidents] == [
        ("#5", "41", "44", None)
    ]


def test_since_is_for_live_imports_only(cli: Cli, tmp_path: Path) -> None:
    for forge, where in (("github", "--repo"), ("gitlab", "--project")):
        out = cli(
            "delivery",
            "import",
            forge,
            where,
            "acme/web",
            "-s",
            "web",
            "--from-dir",
            str(tmp_path),
            "--since",
            "2026-11-01",
        )
        assert out.exit_code == 2 and "--since" in out.stderr and "Traceback" not in out.stderr
        bad = cli("delivery", "import", forge, where, "acme/web", "-s", "web", "--since", "last tuesday")
        assert bad.exit_code == 2 and "ISO 8601" in bad.stderr
