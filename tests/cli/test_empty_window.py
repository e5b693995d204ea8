"""An empty window over data that exists elsewhere in time says so, and names the dates the data covers."""

from __future__ import annotations

import json
from pathlib import Path

from missionos.flow import service as flow
from missionos.store import Database
from tests.conftest import Cli
from tests.delivery.test_import_files import _dep, _jsonl, _repo
from tests.flow.test_import import STREAM, write


def _deployed(db: Database, cli: Cli, tmp_path: Path) -> None:
    c1, c2 = _repo(db, tmp_path)
    path = _jsonl(
        tmp_path / "d.jsonl",
        [_dep("D1", c1, "2026-05-01T10:00:00+02:00"), _dep("D2", c2, "2026-05-02T12:00:00Z")],
    )
    assert cli("delivery", "import", "deployments", str(path)).exit_code == 0


def test_delivery_commands_name_the_range_the_data_covers(db: Database, cli: Cli, tmp_path: Path) -> None:
    _deployed(db, cli, tmp_path)
    hint = "but the data covers 2026-05-01 to 2026-05-02; to see it: --since 2026-05-01 --until 2026-05-03"
    for command in ("metrics", "deployments"):
        result = cli("delivery", command, "--until", "2026-12-01")
        assert result.exit_code == 0, result.stderr
        assert "note: no " in result.stderr and "from 2026-09-02 to 2026-12-01" in result.stderr
        assert hint in result.stderr
    as_json = cli("delivery", "deployments", "--until", "2026-12-01", "--format", "json")
    assert json.loads(as_json.stdout) == []  # the note goes to stderr: the chosen format stays parseable
    assert hint in as_json.stderr
    shown = cli("delivery", "deployments", "--since", "2026-05-01", "--until", "2026-05-03")
    assert "D1" in shown.stdout and shown.stderr == ""


def test_no_note_when_there_is_no_data_at_all(cli: Cli) -> None:
    for command in ("metrics", "deployments", "incidents"):
        result = cli("delivery", command, "--until", "2026-12-01")
        assert result.exit_code == 0 and "note:" not in result.stderr


def test_incidents_are_covered_by_their_own_dates(db: Database, cli: Cli, tmp_path: Path) -> None:
    _deployed(db, cli, tmp_path)
    path = _jsonl(
        tmp_path / "i.jsonl",
        [{"id": "I1", "service": "svc", "started_at": "2026-06-10T08:00:00Z", "resolved_at": None}],
    )
    assert cli("delivery", "import", "incidents", str(path)).exit_code == 0
    result = cli("delivery", "incidents", "--until", "2026-12-01")
    assert "note: no incidents" in result.stderr and "covers 2026-06-10 to 2026-06-10" in result.stderr


def test_flow_metrics_name_the_range_of_the_streams_items(db: Database, cli: Cli, tmp_path: Path) -> None:
    items, moves = write(tmp_path)
    assert cli("flow", "import", "csv", str(items), str(moves)).exit_code == 0
    with db.session() as session:
        flow.apply_stream(session, flow.parse_stream(STREAM))
    result = cli("flow", "metrics", "--stream", "intake", "--until", "2026-12-01")
    assert result.exit_code == 0, result.stderr
    assert "note: no items done from 2026-09-02 to 2026-12-01" in result.stderr
    assert "covers 2026-03-02 to 2026-03-03" in result.stderr
    inside = cli("flow", "metrics", "--stream", "intake", "--since", "2026-03-01", "--until", "2026-03-08")
    assert "note: no items" not in inside.stderr
