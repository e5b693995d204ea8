"""The friction register from the command line and over HTTP: pages, API, roles and bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx

from missionos.store import Database
from tests.conftest import Cli
from tests.friction import scenario

REGISTER = """\
values:
  approvals: {{value_per_day: 120, currency: USD}}
blockers:
  - key: sign-off
    title: Every change waits for a director's signature
    owner: Director of operations
    teams: [Ops]
    stream: approvals
    step: Approval
    raised: {raised}
    effort_days: 4
  - key: paper-form
    title: A paper form before any build starts
    owner: Team lead
    stream: approvals
    step: Build
    raised: {raised}
    wait_days: 0.5
    effort_days: 1
"""


def test_cli_apply_list_show_and_clear(cli: Cli, db: Database, tmp_path: Path) -> None:
    scenario.load(db)
    path = tmp_path / "friction.yaml"
    path.write_text(REGISTER.format(raised=scenario.RAISED), encoding="utf-8")
    applied = cli("friction", "apply", str(path))
    assert applied.exit_code == 0 and "2 added" in applied.stdout
    again = cli("friction", "apply", str(path))
    assert "0 added, 0 updated, 2 unchanged" in again.stdout
    listed = json.loads(cli("friction", "list", "--format", "json").stdout)
    assert {b["key"] for b in listed} == {"sign-off", "paper-form"}
    cd3 = [b["price"]["cd3"] for b in listed]
    assert cd3 == sorted(cd3, reverse=True)
    shown = cli("friction", "show", "sign-off")
    assert shown.exit_code == 0 and "cost of delay" in shown.stdout and "removing it" in shown.stdout
    cleared = cli(
        "friction", "clear", "sign-off", "--note", "Delegated", "--at", scenario.CLEARED.date().isoformat()
    )
    assert cleared.exit_code == 0
    detail = json.loads(cli("friction", "show", "sign-off", "--format", "json").stdout)
    assert detail["status"] == "cleared" and detail["effect"]["before"]["items"] == 3


def test_cli_bad_register_exits_2_and_stores_nothing(cli: Cli, db: Database, tmp_path: Path) -> None:
    scenario.load(db)
    path = tmp_path / "friction.yaml"
    path.write_text(
        REGISTER.format(raised=scenario.RAISED).replace("step: Build", "step: Nowhere"), encoding="utf-8"
    )
    result = cli("friction", "apply", str(path))
    assert result.exit_code == 2
    assert f"{path}: blockers[1].step: expected a step of approvals" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert json.loads(cli("friction", "list", "--status", "all", "--format", "json").stdout) == []
    broken = tmp_path / "broken.yaml"
    broken.write_text("blockers: [\n  - key: x\n  oops", encoding="utf-8")
    result = cli("friction", "apply", str(broken))
    assert result.exit_code == 2 and "expected YAML or JSON" in result.stderr
    assert cli("friction", "apply", str(tmp_path)).exit_code == 2  # a directory


def test_api_writes_need_an_editor_and_bad_input_gets_a_problem(
    client: httpx.Client, db: Database, make_token: Callable[..., str]
) -> None:
    scenario.load(db)
    read, write = make_token("read"), make_token("write")
    body = {k: v for k, v in scenario.blocker().items()}
    refused = client.post("/api/v1/friction", json=body, headers={"authorization": f"Bearer {read}"})
    assert refused.status_code == 403
    auth = {"authorization": f"Bearer {write}"}
    created = client.post("/api/v1/friction", json=body, headers=auth)
    assert created.status_code == 201 and created.json()["key"] == "sign-off"
    bad = client.post("/api/v1/friction", json={**body, "key": "other", "step": "QA"}, headers=auth)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert "step" in bad.json()["detail"]
    value = client.put("/api/v1/friction/values/approvals", json={"value_per_day": 90}, headers=auth)
    assert value.status_code == 200
    listed = client.get("/api/v1/friction", headers=auth).json()
    assert listed[0]["price"]["value_per_day"] == 90
    cleared = client.post("/api/v1/friction/sign-off/clear", json={"note": "Delegated"}, headers=auth)
    assert cleared.status_code == 200 and cleared.json()["status"] == "cleared"
    again = client.post("/api/v1/friction/sign-off/clear", json={"note": "Again"}, headers=auth)
    assert again.status_code == 409


def test_pages_rank_the_register_and_show_a_blocker(client: httpx.Client, db: Database) -> None:
    scenario.load(db)
    client.post("/api/v1/friction/register", json=_register_json())
    html = client.get("/friction", headers={"accept": "text/html"}).text
    assert "Friction register" in html and html.index("paper-form") < html.index("sign-off")
    # The chart's bars are links, so it is a group (an image may hold no links) named by its title.
    assert '<svg role="group" aria-labelledby="cod-title"' in html and '<title id="cod-title">' in html
    page = client.get("/friction/sign-off", headers={"accept": "text/html"}).text
    assert "Director of operations" in page and "lead time goes from" in page
    assert client.get("/friction/nope", headers={"accept": "text/html"}).status_code == 404


def _register_json() -> dict[str, object]:
    import yaml

    doc = yaml.safe_load(REGISTER.format(raised=scenario.RAISED))
    for b in doc["blockers"]:
        b["raised"] = b["raised"].isoformat()
    return doc
