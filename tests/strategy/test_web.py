"""Strategy pages and API in process: the one-page plan, editing with validation and audit, the JSON API."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from missionos.accounts.audit import entries
from missionos.store import Database
from missionos.strategy import models, service
from tests.strategy.plans import VALID, child


def _versions(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(models.PlanVersion)) or 0


def test_plan_page_shows_objective_goals_bets_findings_and_cascade(
    client: httpx.Client, db: Database
) -> None:
    service.apply_plan(db, VALID, actor="ann")
    service.apply_plan(db, child(), actor="ann")
    html = client.get("/strategy/plans/benefits-2027").text
    assert "Residents get a decision in days, not months." in html
    assert 'id="goal-G1"' in html and 'id="bet-B1"' in html and "toy-guided-intake" in html
    assert 'data-rule="unmeasured"' in html  # findings beside their item
    assert 'href="/strategy/plans/intake-2027"' in html  # the cascade, down
    assert '<p class="rollup small" data-plan="intake-2027">' in html  # and how that plan stands
    child_html = client.get("/strategy/plans/intake-2027").text
    assert 'href="/strategy/plans/benefits-2027"' in child_html and "Cascaded from" in child_html
    goal = client.get("/strategy/plans/benefits-2027/goals/G1")
    assert goal.status_code == 200 and "toy.lead_time" in goal.text
    assert client.get("/strategy/plans/benefits-2027/goals/G9").status_code == 404
    assert client.get("/strategy/plans/nope", headers={"accept": "text/html"}).status_code == 404


def test_editing_writes_a_version_with_audit(client: httpx.Client, db: Database) -> None:
    service.apply_plan(db, VALID, actor="ann")
    form = client.get("/strategy/plans/benefits-2027/edit").text
    assert 'name="csrf_token"' in form and "Benefits Modernization 2027" in form
    edited = VALID.replace("Benefits Modernization 2027", "Benefits Modernization 2027 (revised)")
    response = client.post(
        "/strategy/plans/benefits-2027/edit",
        data={"source": edited, "csrf_token": ""},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"].endswith("?saved=2")
    assert _versions(db) == 2
    with db.session() as s:
        assert entries(s, kind="plan", key="benefits-2027")[0].action == "update"
    history = client.get("/strategy/plans/benefits-2027/history").text
    assert "title moved from Benefits Modernization 2027 to Benefits Modernization 2027 (revised)" in history


def test_bad_edit_shows_the_field_path_and_stores_nothing(client: httpx.Client, db: Database) -> None:
    service.apply_plan(db, VALID, actor="ann")
    bad = VALID.replace("direction: increase", "direction: sideways")
    response = client.post("/strategy/plans/benefits-2027/edit", data={"source": bad})
    assert response.status_code == 422
    assert "strategies[0].bets[0].primary_metric.direction: expected increase|decrease" in response.text
    assert "sideways" in response.text  # the user's text is kept for fixing
    other = client.post("/strategy/plans/benefits-2027/edit", data={"source": child()})
    assert other.status_code == 422 and "this page edits that plan" in other.text
    assert _versions(db) == 1


def test_hand_verdict_and_manual_value_forms(client: httpx.Client, db: Database) -> None:
    service.apply_plan(
        db, VALID.replace("{name: toy.throughput, scope: {org: null}}", "{manual: calls}"), actor="a"
    )
    response = client.post(
        "/strategy/plans/benefits-2027/bets/B2/verdict",
        data={"status": "invalidated", "evidence": "https://e/2"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    html = client.get("/strategy/plans/benefits-2027").text
    assert "re-plan" in html and 'href="https://e/2"' in html
    response = client.post(
        "/strategy/series/calls", data={"value": "17", "back": "/"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert "17" in client.get("/strategy/plans/benefits-2027/goals/G2").text


def test_api_apply_check_plan_versions_diff(client: httpx.Client, db: Database) -> None:
    yaml_headers = {"content-type": "application/yaml"}
    created = client.post("/api/v1/strategy/plans", content=VALID, headers=yaml_headers).json()
    assert created == {"plan": "benefits-2027", "version": 1, "changed": True, "changes": [], "cites": []}
    again = client.post("/api/v1/strategy/plans", content=VALID, headers=yaml_headers).json()
    assert again["changed"] is False
    bad = client.post(
        "/api/v1/strategy/plans",
        content=VALID.replace("direction: increase", "direction: up"),
        headers=yaml_headers,
    )
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert "strategies[0].bets[0].primary_metric.direction" in bad.json()["detail"]
    check = client.post("/api/v1/strategy/check?as_of=2026-11-24", content=VALID, headers=yaml_headers).json()
    assert check["plan"] == "benefits-2027" and {f["rule"] for f in check["findings"]} >= {"unmeasured"}
    plan = client.get("/api/v1/strategy/plans/benefits-2027").json()
    assert plan["objective"].startswith("Residents") and [g["id"] for g in plan["goals"]] == ["G1", "G2"]
    assert client.get("/api/v1/strategy/plans").json()[0]["plan"] == "benefits-2027"
    assert client.get("/api/v1/strategy/plans/benefits-2027/versions").json()[0]["changes"] == ["created"]
    assert client.get("/api/v1/strategy/plans/benefits-2027/diff?from=1&to=1").json()["changes"] == []
    verdict = client.post("/api/v1/strategy/verdicts", json={"bet": "B1", "status": "validated"})
    assert verdict.json() == {"plan": "benefits-2027", "bet": "B1", "status": "validated"}
    value = client.post("/api/v1/strategy/series/calls", json={"value": 3, "at": "2026-11-20T09:00:00+00:00"})
    assert value.json()["changed"] is True
    assert "/api/v1/strategy/plans" in client.get("/api/v1/openapi.json").json()["paths"]
