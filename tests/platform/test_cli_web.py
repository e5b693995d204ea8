"""The platform from the command line and over HTTP: apply, reports, roles, bad input, the page."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import yaml

from missionos.store import Database
from tests.conftest import Cli
from tests.platform import scenario


def test_cli_apply_then_offers_teams_and_one_team(cli: Cli, db: Database, tmp_path: Path) -> None:
    scenario.load(db)
    path = tmp_path / "platform.yaml"
    path.write_text(scenario.DOCUMENT, encoding="utf-8")
    applied = cli("platform", "apply", str(path))
    assert applied.exit_code == 0, applied.stderr
    assert "9 offers, 2 teams and 2 bindings written; 0 unchanged" in applied.stdout
    assert "13 unchanged" in cli("platform", "apply", str(path)).stdout
    offers = json.loads(cli("platform", "offers", "--format", "json").stdout)
    assert [o["name"] for o in offers if not o["verified"]] == ["go", "message-queue", "sast"]
    js = next(o for o in offers if o["name"] == "javascript")
    assert js["verified_by"]["deployment"] == "web-1" and "pkg:npm" in js["verified_by"]["evidence"]
    table = cli("platform", "offers").stdout
    assert "advertised, never deployed with: language go, service message-queue, stage sast" in table
    teams = json.loads(cli("platform", "teams", "--format", "json").stdout)
    assert [(t["team"], t["state"]) for t in teams] == [("Newcomers", "blocked"), ("Web", "shipping")]
    assert teams[0]["blocked_by"] == ["language go", "service message-queue", "stage sast"]
    assert teams[1]["days_to_first_deploy"] == 20.4
    shown = cli("platform", "team", "Newcomers")
    assert shown.exit_code == 0 and "Newcomers: blocked" in shown.stdout and "not offered" in shown.stdout
    assert cli("platform", "team", "Nobody").exit_code == 2


def test_cli_single_writes_advertise_need_and_bind(cli: Cli, db: Database) -> None:
    scenario.load(db)
    assert cli("platform", "advertise", "service", "postgres").exit_code == 0
    assert cli("platform", "advertise", "language", "zig", "--purl", "zig").exit_code == 0
    bad = cli("platform", "advertise", "stage", "dast")
    assert bad.exit_code == 2 and "offers.stages[0].evidence: expected the kind of evidence" in bad.stderr
    assert (
        cli("platform", "need", "Newcomers", "--service", "postgres", "--created", "2026-04-01").exit_code
        == 0
    )
    assert cli("platform", "bind", "shop-api", "api-1", "--service", "postgres").exit_code == 0
    refused = cli("platform", "bind", "storefront", "web-0", "--zone", "public")
    assert refused.exit_code == 2 and "successful production deployment of storefront" in refused.stderr
    offers = json.loads(cli("platform", "offers", "--format", "json").stdout)
    assert [(o["name"], o["verified"]) for o in offers] == [("zig", False), ("postgres", True)]
    new = json.loads(cli("platform", "team", "Newcomers", "--format", "json").stdout)
    assert new["needs"][0]["state"] == "verified" and new["state"] == "not yet shipped"


def test_a_bad_file_exits_2_naming_file_line_and_field_and_stores_nothing(
    cli: Cli, db: Database, tmp_path: Path
) -> None:
    scenario.load(db)
    path = tmp_path / "platform.yaml"
    path.write_text(scenario.DOCUMENT.replace("evidence: sarif", "evidence: zap"), encoding="utf-8")
    result = cli("platform", "apply", str(path))
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert f"{path}:17: offers.stages[1].evidence: expected" in " ".join(result.stderr.split())
    assert json.loads(cli("platform", "offers", "--format", "json").stdout) == []
    broken = tmp_path / "broken.yaml"
    broken.write_text("offers:\n  languages: [python\n  zones: x\n", encoding="utf-8")
    result = cli("platform", "apply", str(broken))
    assert (
        result.exit_code == 2 and f"{broken}:3" in result.stderr and "expected YAML or JSON" in result.stderr
    )
    assert cli("platform", "apply", str(tmp_path)).exit_code == 2  # a directory
    assert cli("platform", "apply", str(tmp_path / "missing.yaml")).exit_code == 2


def test_api_reads_writes_need_an_editor_and_bad_input_gets_a_problem(
    client: httpx.Client, db: Database, make_token: Callable[..., str]
) -> None:
    scenario.load(db)
    read, write = make_token("read"), make_token("write")
    offer = {"kind": "language", "name": "javascript"}
    refused = client.post("/api/v1/platform/offers", json=offer, headers={"authorization": f"Bearer {read}"})
    assert refused.status_code == 403
    auth = {"authorization": f"Bearer {write}"}
    created = client.post("/api/v1/platform/offers", json=offer, headers=auth)
    assert created.status_code == 201 and created.json()["verified_by"]["deployment"] == "web-1"
    bad = client.post("/api/v1/platform/offers", json={"kind": "stage", "name": "dast"}, headers=auth)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert "offers.stages[0].evidence" in bad.json()["detail"]
    kind = client.post("/api/v1/platform/offers", json={"kind": "database", "name": "x"}, headers=auth)
    assert kind.status_code == 422 and "kind" in kind.json()["detail"]
    needs = {"created": "2026-04-01", "needs": {"languages": ["javascript", "go"]}}
    team = client.put("/api/v1/platform/teams/Newcomers", json=needs, headers=auth)
    assert team.status_code == 200 and team.json()["not_offered"] == ["language go"]
    bound = client.post(
        "/api/v1/platform/bindings", json={"service": "shop-api", "deployment": "api-9"}, headers=auth
    )
    assert bound.status_code == 422 and "bindings[0].deployment" in bound.json()["detail"]
    doc = yaml.safe_load(scenario.DOCUMENT)
    applied = client.post(
        "/api/v1/platform/apply", json=json.loads(json.dumps(doc, default=str)), headers=auth
    )
    assert applied.status_code == 200 and applied.json()["bindings"] == 2
    overview = client.get("/api/v1/platform", headers=auth).json()
    assert overview["never_deployed_with"] == ["language go", "service message-queue", "stage sast"]
    assert client.get("/api/v1/platform/teams/Nobody", headers=auth).status_code == 404


def test_the_page_says_who_cannot_ship_and_what_no_one_has_deployed_with(
    client: httpx.Client, db: Database
) -> None:
    scenario.load(db)
    doc = json.loads(json.dumps(yaml.safe_load(scenario.DOCUMENT), default=str))
    assert client.post("/api/v1/platform/apply", json=doc).status_code == 200
    html = client.get("/platform", headers={"accept": "text/html"}).text
    text = " ".join(html.replace("<strong>", "").replace("</strong>", "").split())
    assert "6 of 9 advertised offers are verified by a production deployment" in text
    assert "No one has ever deployed with language go, service message-queue and stage sast." in text
    assert "Newcomers cannot ship yet" in text and "which the platform does not offer" in text
    assert 'href="/platform" aria-current="page"' in html or 'aria-current="page" href="/platform"' in html


def test_the_page_form_declares_a_team_s_needs_and_bad_input_stores_nothing(
    client: httpx.Client, db: Database
) -> None:
    from tests.accounts.conftest import ORIGIN, csrf_of

    scenario.load(db)
    token = csrf_of(client.get("/platform", headers={"accept": "text/html"}).text)
    form = {"team": "Records", "created": "2026-05-01", "languages": "go, cobol", "csrf_token": token}
    done = client.post("/platform/needs", data=form, headers=ORIGIN, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/platform#team-records"
    team = client.get("/api/v1/platform/teams/Records").json()
    assert team["not_offered"] == ["language go", "language cobol"]  # as declared; nothing is offered yet
    bad = client.post(
        "/platform/needs",
        data={**form, "team": "Ledger", "created": "May 1st"},
        headers={**ORIGIN, "accept": "text/html"},
        follow_redirects=False,
    )
    assert bad.status_code == 422 and "teams[0].created" in bad.text
    assert client.get("/api/v1/platform/teams/Ledger").status_code == 404


def test_cli_check_and_withdraw_and_the_api_s_counterparts(
    cli: Cli, client: httpx.Client, db: Database, tmp_path: Path
) -> None:
    scenario.load(db)
    path = tmp_path / "platform.yaml"
    path.write_text(scenario.DOCUMENT, encoding="utf-8")
    checked = cli("platform", "check", str(path))
    assert checked.exit_code == 0 and "valid; 9 offers, 2 teams, 2 bindings" in checked.stdout
    assert json.loads(cli("platform", "offers", "--format", "json").stdout) == []
    bad = tmp_path / "bad.yaml"
    bad.write_text(scenario.DOCUMENT.replace("probe: storefront", "probe: [x]"), encoding="utf-8")
    assert cli("platform", "check", str(bad)).exit_code == 2
    assert cli("platform", "apply", str(path)).exit_code == 0
    assert cli("platform", "withdraw", "zone", "internal").exit_code == 0
    assert cli("platform", "withdraw", "zone", "internal").exit_code == 2
    doc = json.loads(json.dumps(yaml.safe_load(scenario.DOCUMENT), default=str))
    assert client.post("/api/v1/platform/check", json=doc).json() == {"offers": 9, "teams": 2, "bindings": 2}
    assert client.post("/api/v1/platform/check", json={"teams": "x"}).status_code == 422
    assert client.delete("/api/v1/platform/offers/language/go").status_code == 204
    names = [o["name"] for o in client.get("/api/v1/platform/offers").json()]
    assert "go" not in names and "internal" not in names and "php" in names
