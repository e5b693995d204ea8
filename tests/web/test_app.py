"""The web app in process: health, OpenAPI, problem bodies and the pages."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import text

from missionos.store import Database
from missionos.web.app import create_app


def test_health_reports_the_database(client: httpx.Client, db: Database) -> None:
    body = client.get("/api/v1/health").json()
    assert body["status"] == "ok"
    assert body["database"] == db.dialect


def test_openapi_document_lists_the_api(client: httpx.Client) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["info"]["title"] == "Mission OS"
    assert "/api/v1/health" in doc["paths"]
    assert "/api/v1/delivery/services" in doc["paths"]


def test_unknown_service_answers_problem_json(client: httpx.Client) -> None:
    response = client.get("/delivery/services/nope", headers={"accept": "application/json"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404 and "nope" in body["detail"]


def test_unknown_service_page_is_html_for_browsers(client: httpx.Client) -> None:
    response = client.get("/delivery/services/nope", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "no service named" in response.text and "<nav" in response.text


def test_bad_query_parameter_is_a_422_problem_naming_the_field(client: httpx.Client) -> None:
    response = client.get("/api/v1/audit", params={"limit": "many"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 422
    assert "limit" in body["detail"]


def test_unknown_api_path_is_a_404_problem(client: httpx.Client) -> None:
    response = client.get("/api/v1/openapi.json/x")
    assert response.status_code == 404
    assert response.json()["status"] == 404


HOME_PLAN = """\
plan: home-plan
title: Benefits Modernization
objective: Residents get a decision in days, not months.
goals:
  - id: G1
    statement: Callers wait under 10 minutes
    measure: {manual: call-wait}
    baseline: {value: 40, at: 2026-01-01}
    target: {value: 10, by: 2027-12-31}
strategies:
  - id: S1
    statement: A guided intake form
    serves: [G1]
"""


def _home_plan(db: Database, **replace: str) -> None:
    import datetime as dt

    from missionos.strategy import service

    text = HOME_PLAN
    for old, new in replace.items():
        text = text.replace(old, new)
    service.apply_plan(db, text, actor="test")
    service.record_value(db, "call-wait", 30, dt.datetime(2026, 6, 1, tzinfo=dt.UTC), actor="test")


def test_home_page_shows_the_one_page_plan_and_a_chart(client: httpx.Client, db: Database) -> None:
    assert "No plan yet" in client.get("/").text
    _home_plan(db)
    html = client.get("/").text
    assert "Residents get a decision in days, not months." in html and 'id="goal-G1"' in html
    assert "strategy-S1" in html and "wish" in html  # S1 has no bet: the litmus finding beside it
    assert "data-vega-spec=" in html and 'src="/assets/vega.js"' in html
    assert '<svg class="sparkline"' in html


def test_navigation_reaches_every_section(client: httpx.Client) -> None:
    for path in ("/", "/delivery", "/flow", "/experiments", "/compliance"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert 'aria-current="page"' in response.text, path


def test_page_text_is_escaped(client: httpx.Client, db: Database) -> None:
    _home_plan(db, **{"A guided intake form": "'<script>alert(1)</script>'"})
    html = client.get("/").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_no_page_asset_comes_from_another_host(client: httpx.Client, db: Database) -> None:
    _home_plan(db)
    html = client.get("/").text
    assert 'src="http' not in html and 'href="http' not in html


def test_a_write_is_committed_before_its_answer_leaves(db: Database) -> None:
    """A client that reads right after an acknowledged write, or a browser following a redirect, sees it."""
    app = create_app(db)
    body = json.dumps({"name": "ada", "role": "viewer"}).encode()
    seen_at_answer: list[int] = []
    answer: list[object] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, object]) -> None:
        answer.append(message.get("status") or message.get("body"))
        if message["type"] == "http.response.start":
            with db.engine.connect() as other:  # another connection sees only what is committed
                seen_at_answer.append(other.execute(text("select count(*) from accounts_user")).scalar_one())

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/accounts/users",
        "raw_path": b"/api/v1/accounts/users",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    # A thread of its own, so no event loop another test left running in this one is in the way.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    assert answer[0] == 201, answer
    assert seen_at_answer == [1]


def test_a_server_worker_freezes_what_start_up_loaded_and_a_test_app_does_not(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    from fastapi.testclient import TestClient

    from missionos.web import workers
    from missionos.web.app import create_server_app

    assert workers.APP == "missionos.web.app:create_server_app", "`serve` runs the freezing factory"
    monkeypatch.setenv("MISSIONOS_DATABASE_URL", db.url)
    gc.unfreeze()
    try:
        with TestClient(create_app(db)):
            assert gc.get_freeze_count() == 0
        with TestClient(create_server_app()) as server:
            assert gc.get_freeze_count() > 0
            assert server.get("/api/v1/health").json()["status"] == "ok"
    finally:
        gc.unfreeze()  # the test process's objects go back to the collector
