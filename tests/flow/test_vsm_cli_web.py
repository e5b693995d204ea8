"""The value-stream map (golden SVG), the CLI's metrics document, the pages and the demo's streams."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import httpx
import pytest

from missionos.demo.org import DemoOrg
from missionos.flow import demo, metrics, service, vsm
from missionos.measures import Scope, Window, query
from missionos.store import Database
from tests.conftest import Cli
from tests.flow.test_metrics import STREAM, WINDOW, flows

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") or not path.exists():
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs; UPDATE_GOLDEN=1 to accept"


def test_vsm_svg_matches_golden_file() -> None:
    fig = metrics.stream_figures(list(flows().values()), STREAM, WINDOW)
    svg = vsm.render(fig)
    check_golden("abc.svg", svg)
    assert 'class="step constraint" data-step="A"' in svg
    assert "P/T 4.0 h" in svg and "W/T 1.0 h" in svg and "%C&amp;A 75%" in svg
    assert "Rolled %C&amp;A" in svg and "56%" in svg


def test_vsm_what_if_golden_file() -> None:
    fig = metrics.stream_figures(list(flows().values()), STREAM, WINDOW)
    steps = metrics.what_if(fig.steps, metrics.parse_what_if("C.wait=0", [s.name for s in fig.steps]))
    check_golden("abc-what-if.svg", vsm.render(fig, steps=steps, subtitle="what-if C.wait=0"))


def load_demo(db: Database, tmp_path: Path) -> DemoOrg:
    org = DemoOrg(db=db, seed=7, home=tmp_path, today=dt.date(2026, 11, 24))
    demo.load(org)
    demo.load(org)  # idempotent
    return org


LAST_90 = Window(dt.datetime(2026, 8, 26, tzinfo=dt.UTC), dt.datetime(2026, 11, 24, tzinfo=dt.UTC))


def test_demo_cab_is_the_constraint_and_claims_has_rework(db: Database, tmp_path: Path) -> None:
    load_demo(db, tmp_path)
    with db.session() as s:
        ca = service.stream_metrics(s, "change-approval", LAST_90)
        claims = service.stream_metrics(s, "claims", LAST_90)
    assert ca.constraint[0][0] == "CAB approval" and ca.constraint[0][1] > 0.5
    build = next(st for st in claims.steps if st.name == "Build")
    assert build.backward_moves > 0 and build.pct_complete_accurate is not None
    assert 0.6 < build.pct_complete_accurate < 0.95
    series = query(db, "flow.flow_time", Scope("stream", "claims"), LAST_90)
    assert series.unit == "days" and series.latest is not None
    team = query(db, "flow.flow_velocity", Scope("team", "Platform"), LAST_90)
    assert sum(p.value or 0 for p in team.points) == ca.items_done


def test_cli_metrics_json_and_vsm(cli: Cli, db: Database, tmp_path: Path) -> None:
    load_demo(db, tmp_path)
    args = ("--since", "2026-08-26", "--until", "2026-11-24")
    result = cli("flow", "metrics", "--stream", "change-approval", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) >= {
        "window", "stream", "items_done", "flow_time", "flow_efficiency", "velocity_per_week",
        "distribution", "load", "aging_wip", "steps", "activity_ratio", "rolled_pct_complete_accurate",
        "constraint",
    }  # fmt: skip
    assert set(doc["steps"][0]) >= {
        "name", "process_time_hours", "wait_before_hours", "lead_time_hours", "pct_complete_accurate"
    }  # fmt: skip
    assert doc["constraint"][0]["step"] == "CAB approval"
    out = tmp_path / "map.svg"
    result = cli("flow", "vsm", "--stream", "change-approval", *args, "--out", str(out),
                 "--what-if", "CAB approval.wait=0.1")  # fmt: skip
    assert result.exit_code == 0 and "lead time" in result.stdout
    assert out.read_text().startswith("<svg")
    bad = cli("flow", "vsm", "--stream", "change-approval", "--out", str(out), "--what-if", "CAB.wait=x")
    assert bad.exit_code == 2 and "--what-if" in bad.stderr
    missing = cli("flow", "metrics", "--stream", "nope")
    assert missing.exit_code == 2 and "nope" in missing.stderr


def test_cli_stream_apply(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "stream.yaml"
    path.write_text(
        "name: claims-intake\nteam: intake\ndone: [Done, Released]\nsteps:\n"
        "  - {name: Analysis, statuses: [Ready for Analysis], kind: wait}\n"
        "  - {name: Analysis, statuses: [In Analysis], kind: active}\n"
        "  - {name: Release, statuses: [Ready to Release], kind: wait}\n"
    )
    assert "created" in cli("flow", "stream", "apply", str(path)).stdout
    assert "unchanged" in cli("flow", "stream", "apply", str(path)).stdout
    listed = json.loads(cli("flow", "stream", "list", "--format", "json").stdout)
    assert listed[0]["steps"] == "Analysis, Release"


def test_pages_and_api(client: httpx.Client, db: Database, tmp_path: Path) -> None:
    load_demo(db, tmp_path)
    html = {"accept": "text/html"}
    assert "change-approval" in client.get("/flow", headers=html).text
    page = client.get("/flow/streams/change-approval?since=2026-08-26&until=2026-11-24", headers=html)
    assert page.status_code == 200
    assert "The constraint is CAB approval" in page.text and "<svg" in page.text
    items = client.get("/flow/streams/claims/items?state=done&step=Build", headers=html)
    assert items.status_code == 200 and "/flow/items/demo/CLM-" in items.text
    item = client.get("/flow/items/demo/CLM-1", headers=html)
    assert item.status_code == 200 and "Status changes" in item.text
    api = client.get(
        "/api/v1/flow/streams/claims/metrics", params={"since": "2026-08-26", "until": "2026-11-24"}
    )
    assert api.json()["stream"] == "claims"
    missing = client.get("/api/v1/flow/streams/nope/metrics")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith(
        "application/problem+json"
    )


@pytest.mark.parametrize("text", ["Release.wait=0.5", "release.process=2"])
def test_what_if_parses(text: str) -> None:
    assert metrics.parse_what_if(text, ["Release"])[0][0] == "Release"
