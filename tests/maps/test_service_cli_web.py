"""Maps saved as versions on both databases, from the CLI and the API, and shown on the pages."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from missionos.accounts import audit
from missionos.errors import FieldError, InputError
from missionos.maps import service
from missionos.store import Database
from tests.conftest import Cli
from tests.maps.samples import DOMAINS, KITCHEN


def test_each_change_is_a_new_version_and_an_unchanged_text_adds_none(db: Database) -> None:
    with db.session() as s:
        assert service.save(s, "kitchen", "wardley", KITCHEN, actor="ana", plan="kitchen-2027") == (1, True)
        assert service.save(s, "kitchen", "wardley", KITCHEN, actor="ana") == (1, False)
        moved = KITCHEN.replace("evolve Oven 0.75", "evolve Oven 0.85")
        assert service.save(s, "kitchen", "wardley", moved, actor="ben", rationale="ovens commoditise") == (
            2,
            True,
        )
    with db.session() as s:
        latest, first = service.get(s, "kitchen"), service.get(s, "kitchen", version=1)
        (summary,) = service.list_maps(s, plan="kitchen-2027")
        entries = [e for e in audit.entries(s) if e.action == "maps.save"]
    assert latest.summary.version == 2 and latest.summary.rationale == "ovens commoditise"
    assert first.source == KITCHEN and summary.version == 2
    assert [h["version"] for h in latest.history] == [2, 1] and len(entries) == 2


def test_a_bad_map_or_a_changed_kind_stores_nothing(db: Database) -> None:
    with db.session() as s:
        service.save(s, "kitchen", "wardley", KITCHEN, actor="ana")
    with db.session() as s, pytest.raises(InputError):
        service.save(s, "kitchen", "wardley", KITCHEN + "A->Ghost\n", actor="ana")
    with db.session() as s, pytest.raises(FieldError, match="wardley, the kind of the map"):
        service.save(s, "kitchen", "domain", DOMAINS, actor="ana")
    with db.session() as s:
        assert service.get(s, "kitchen").summary.version == 1


def test_cli_apply_show_and_history(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "kitchen.owm"
    path.write_text(KITCHEN, encoding="utf-8")
    assert cli("maps", "apply", str(path), "--key", "kitchen", "--why", "first cut").exit_code == 0
    again = cli("maps", "apply", str(path), "--key", "kitchen")
    assert "version 1 (unchanged)" in again.stdout
    svg = cli("maps", "show", "kitchen", "--as", "svg").stdout
    assert svg.startswith("<svg") and 'data-name="Meal"' in svg
    mermaid = cli("maps", "show", "kitchen", "--as", "mermaid").stdout
    assert mermaid.count("subgraph") == 3  # no component is Novel
    text = cli("maps", "show", "kitchen").stdout
    assert "Community kitchen (version 1)" in text and "Meal (Good) needs" in text
    history = json.loads(cli("maps", "history", "kitchen", "--format", "json").stdout)
    assert history[0]["rationale"] == "first cut"
    domains = tmp_path / "domains.yaml"
    domains.write_text(DOMAINS, encoding="utf-8")
    assert cli("maps", "apply", str(domains), "--key", "kitchen-domains").exit_code == 0
    assert {m["kind"] for m in json.loads(cli("maps", "list", "--format", "json").stdout)} == {
        "wardley",
        "domain",
    }


def test_cli_bad_map_exits_2_naming_the_file_and_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.owm"
    path.write_text("component A [0.5, 0.5]\nA->B\nwhat is this\n", encoding="utf-8")
    result = cli("maps", "apply", str(path), "--key", "bad")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    flat = " ".join(result.stderr.split())
    assert f"{path}: line 3: expected a statement" in flat and "not 'B'" in flat
    assert json.loads(cli("maps", "list", "--format", "json").stdout) == []
    odd = tmp_path / "map.docx"
    odd.write_text("x", encoding="utf-8")
    assert cli("maps", "apply", str(odd), "--key", "odd").exit_code == 2
    assert cli("maps", "apply", str(tmp_path), "--key", "dir", "--kind", "wardley").exit_code == 2


def test_api_saves_with_an_editor_and_pages_draw_the_map(
    client: httpx.Client, make_token: Callable[..., str]
) -> None:
    read, write = make_token("read"), make_token("write")
    body = {"key": "kitchen", "kind": "wardley", "source": KITCHEN, "plan": "kitchen-2027"}
    assert (
        client.post("/api/v1/maps", json=body, headers={"authorization": f"Bearer {read}"}).status_code == 403
    )
    auth = {"authorization": f"Bearer {write}"}
    assert client.post("/api/v1/maps", json=body, headers=auth).json() == {
        "key": "kitchen",
        "version": 1,
        "changed": True,
    }
    bad = client.post("/api/v1/maps", json={**body, "source": "nonsense here"}, headers=auth)
    assert bad.status_code == 422 and "line 1" in bad.json()["detail"]
    assert client.get("/api/v1/maps/kitchen", headers=auth).json()["map"]["title"] == "Community kitchen"
    html = client.get("/maps/kitchen", headers={**auth, "accept": "text/html"}).text
    assert (
        '<svg xmlns="http://www.w3.org/2000/svg"' in html
        and "/strategy/plans/kitchen-2027#strategy-S1" in html
    )
    svg = client.get("/maps/kitchen/map.svg", headers=auth)
    assert svg.headers["content-type"] == "image/svg+xml" and svg.text.startswith("<svg")
    assert client.get("/maps/kitchen/map.mmd", headers=auth).text.startswith("---\ntitle: Community kitchen")
