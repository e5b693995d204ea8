"""The web app in process: health, OpenAPI, problem bodies and the pages."""

from __future__ import annotations

import httpx

from missionos.delivery.service import ensure_service
from missionos.store import Database


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


def test_bad_query_parameter_is_a_422_problem(client: httpx.Client) -> None:
    response = client.get("/api/v1/openapi.json/x")
    assert response.status_code == 404
    assert response.json()["status"] == 404


def test_home_page_lists_services_and_a_chart(client: httpx.Client, db: Database) -> None:
    with db.session() as session:
        ensure_service(session, "intake-web", team="Intake", description="Claim form")
    html = client.get("/").text
    assert "intake-web" in html and "Intake" in html
    assert "data-vega-spec=" in html and 'src="/assets/vega.js"' in html


def test_navigation_reaches_every_section(client: httpx.Client) -> None:
    for path in ("/", "/delivery", "/flow", "/experiments", "/compliance"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert 'aria-current="page"' in response.text, path


def test_page_text_is_escaped(client: httpx.Client, db: Database) -> None:
    with db.session() as session:
        ensure_service(session, "evil", team="<script>alert(1)</script>")
    html = client.get("/").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_no_page_asset_comes_from_another_host(client: httpx.Client) -> None:
    html = client.get("/").text
    assert 'src="http' not in html and 'href="http' not in html
