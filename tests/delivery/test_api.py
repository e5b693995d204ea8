"""The delivery API in process: posting records (the webhook-ready event model) and reading the figures."""

from __future__ import annotations

from pathlib import Path

import httpx

from missionos.delivery.service import import_git
from missionos.store import Database
from tests.delivery.gitrepo import GitRepo


def _setup(db: Database, tmp_path: Path) -> tuple[str, str]:
    repo = GitRepo(tmp_path / "r")
    c1 = repo.commit("one", "2026-05-01T09:00:00+00:00")
    c2 = repo.commit("two", "2026-05-02T09:00:00+00:00")
    with db.session() as s:
        import_git(s, repo.path, service="svc", branch="main")
    return c1, c2


def test_posted_deployments_and_incidents_feed_the_metrics(
    db: Database, client: httpx.Client, tmp_path: Path
) -> None:
    c1, c2 = _setup(db, tmp_path)
    deployments = [
        {
            "id": "D1",
            "service": "svc",
            "environment": "production",
            "status": "success",
            "finished_at": "2026-05-01T10:00:00+00:00",
            "revision": c1,
        },
        {
            "id": "D2",
            "service": "svc",
            "environment": "production",
            "status": "success",
            "finished_at": "2026-05-02T12:00:00+00:00",
            "revision": c2,
        },
    ]
    answer = client.post("/api/v1/delivery/deployments", json=deployments)
    assert answer.status_code == 200, answer.text
    assert answer.json()["inserted"] == 2
    assert client.post("/api/v1/delivery/deployments", json=deployments).json()["unchanged"] == 2
    incident = {
        "id": "I1",
        "service": "svc",
        "started_at": "2026-05-02T13:00:00+00:00",
        "resolved_at": "2026-05-02T15:30:00+00:00",
        "severity": "sev2",
    }
    assert client.post("/api/v1/delivery/incidents", json=incident).status_code == 200
    doc = client.get(
        "/api/v1/delivery/metrics",
        params={"service": "svc", "since": "2026-05-01T00:00:00+00:00", "until": "2026-06-01T00:00:00+00:00"},
    ).json()
    assert doc["deployment_frequency"]["count"] == 2
    assert doc["lead_time"]["median_hours"] == 3.0
    assert doc["change_failure_rate"] == {"rate": 0.5, "failed": 1, "total": 2, "level": "low"}
    assert doc["recovery_time"]["median_hours"] == 3.5
    assert doc["incidents"] == {"attributed": 1, "unattributed": 0}


def test_a_bad_item_rejects_the_batch_with_a_problem(
    db: Database, client: httpx.Client, tmp_path: Path
) -> None:
    c1, _ = _setup(db, tmp_path)
    batch = [
        {
            "id": "D1",
            "service": "svc",
            "environment": "prod",
            "status": "success",
            "finished_at": "2026-05-01T10:00:00+00:00",
            "revision": c1,
        },
        {
            "id": "D2",
            "service": "svc",
            "environment": "prod",
            "status": "success",
            "finished_at": "2026-05-01T11:00:00",
            "revision": c1,
        },
    ]
    answer = client.post("/api/v1/delivery/deployments", json=batch)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "request body:2" in answer.json()["detail"] and "offset" in answer.json()["detail"]
    assert client.get("/api/v1/delivery/deployments", params={"days": 3650}).json() == []


def test_unknown_service_is_a_404_problem(db: Database, client: httpx.Client) -> None:
    answer = client.get("/api/v1/delivery/metrics", params={"service": "nope"})
    assert answer.status_code == 404
    assert "nope" in answer.json()["detail"]


def test_pages_render_for_an_empty_organization(db: Database, client: httpx.Client) -> None:
    assert "No services yet" in client.get("/delivery", headers={"accept": "text/html"}).text
    assert client.get("/delivery/services/nope", headers={"accept": "text/html"}).status_code == 404


def test_a_window_that_ends_before_it_starts_is_a_problem_naming_since(client: httpx.Client) -> None:
    backwards = client.get(
        "/api/v1/delivery/metrics",
        params={"since": "2026-03-01T00:00:00+00:00", "until": "2026-01-01T00:00:00+00:00"},
    )
    assert backwards.status_code == 422, backwards.text
    assert backwards.headers["content-type"].startswith("application/problem+json")
    assert "since" in backwards.text
    future = client.get("/api/v1/delivery/metrics", params={"since": "2999-01-01T00:00:00+00:00"})
    assert future.status_code == 422, future.text
