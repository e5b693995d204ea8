"""Deployment and incident files through the CLI: good files import, bad ones are rejected whole."""

from __future__ import annotations

import json
from pathlib import Path

from missionos.delivery.service import delivery_metrics, import_git, scope_of
from missionos.measures import Window
from missionos.store import Database
from tests.conftest import Cli
from tests.delivery.gitrepo import GitRepo
from tests.delivery.test_attribution import t


def _repo(db: Database, tmp_path: Path) -> tuple[str, str]:
    repo = GitRepo(tmp_path / "r")
    c1 = repo.commit("one", "2026-05-01T09:00:00+00:00")
    c2 = repo.commit("two", "2026-05-02T09:00:00+00:00")
    with db.session() as s:
        import_git(s, repo.path, service="svc", branch="main")
    return c1, c2


def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _dep(did: str, revision: str, finished: str, **kw: object) -> dict[str, object]:
    return {
        "id": did,
        "service": "svc",
        "environment": "production",
        "status": "success",
        "started_at": None,
        "finished_at": finished,
        "revision": revision,
        **kw,
    }


def _count(db: Database) -> int:
    with db.session() as s:
        doc = delivery_metrics(s, scope_of(s), Window(t("2026-01-01T00:00Z"), t("2027-01-01T00:00Z")))
    return int(doc["deployment_frequency"]["count"])


def test_jsonl_import_twice_changes_nothing(db: Database, cli: Cli, tmp_path: Path) -> None:
    c1, c2 = _repo(db, tmp_path)
    good = _jsonl(
        tmp_path / "d.jsonl",
        [
            _dep("D1", c1, "2026-05-01T10:00:00+02:00"),
            _dep("D2", c2[:12], "2026-05-02T12:00:00Z", kind="hotfix"),
        ],
    )
    first = cli("delivery", "import", "deployments", str(good))
    assert first.exit_code == 0, first.stderr
    assert "2 new" in first.stdout
    again = cli("delivery", "import", "deployments", str(good))
    assert "0 new, 0 updated, 2 unchanged" in again.stdout
    assert _count(db) == 2


def test_csv_with_semicolon_remediates(db: Database, cli: Cli, tmp_path: Path) -> None:
    c1, c2 = _repo(db, tmp_path)
    path = tmp_path / "d.csv"
    path.write_text(
        "id,service,environment,status,started_at,finished_at,revision,kind,remediates\n"
        f"D1,svc,prod,success,,2026-05-01T10:00:00+00:00,{c1},planned,\n"
        f"D2,svc,prod,success,,2026-05-01T11:00:00+00:00,{c1},planned,\n"
        f"D3,svc,prod,success,2026-05-02T11:00:00+00:00,2026-05-02T12:00:00+00:00,{c2},rollback,D1;D2\n"
    )
    result = cli("delivery", "import", "deployments", str(path))
    assert result.exit_code == 0, result.stderr
    out = cli("delivery", "metrics", "--since", "2026-05-01", "--until", "2026-06-01", "--format", "json")
    doc = json.loads(out.stdout)
    assert doc["change_failure_rate"]["failed"] == 2 and doc["change_failure_rate"]["total"] == 3
    assert doc["rework_rate"]["count"] == 1


def test_bad_lines_reject_the_whole_file_and_keep_earlier_data(
    db: Database, cli: Cli, tmp_path: Path
) -> None:
    c1, c2 = _repo(db, tmp_path)
    assert (
        cli(
            "delivery",
            "import",
            "deployments",
            str(_jsonl(tmp_path / "ok.jsonl", [_dep("D1", c1, "2026-05-01T10:00:00Z")])),
        ).exit_code
        == 0
    )
    cases = {
        "unknown service": (
            [
                _dep("D2", c2, "2026-05-02T10:00:00Z"),
                {**_dep("D3", c2, "2026-05-02T11:00:00Z"), "service": "nope"},
            ],
            2,
            "no service named 'nope'",
        ),
        "missing revision": (
            [_dep("D2", c2, "2026-05-02T10:00:00Z"), _dep("D3", "0" * 40, "2026-05-02T11:00:00Z")],
            2,
            "is not a commit of svc",
        ),
        "no offset": (
            [_dep("D2", c2, "2026-05-02T10:00:00Z"), _dep("D3", c2, "2026-05-02T11:00:00")],
            2,
            "UTC offset",
        ),
        "bad status": (
            [_dep("D2", c2, "2026-05-02T10:00:00Z", status="ok")],
            1,
            "status: expected one of success, failure",
        ),
        "bad remediates": (
            [_dep("D2", c2, "2026-05-02T10:00:00Z", kind="hotfix", remediates=["D9"])],
            1,
            "no deployment 'D9'",
        ),
    }
    for name, (rows, line, message) in cases.items():
        path = _jsonl(tmp_path / f"{name.replace(' ', '_')}.jsonl", rows)
        result = cli("delivery", "import", "deployments", str(path))
        assert result.exit_code == 2, name
        assert f"{path}:{line}" in result.stderr and message in result.stderr, (name, result.stderr)
        assert "Traceback" not in result.stderr
    assert _count(db) == 1, "earlier data stays as it was and nothing of the bad files was written"

    bad_json = tmp_path / "broken.jsonl"
    bad_json.write_text('{"id": "I1"}\n{not json\n')
    result = cli("delivery", "import", "incidents", str(bad_json))
    assert result.exit_code == 2 and f"{bad_json}:1" in result.stderr  # line 1 lacks service


def test_incident_file_needs_offsets_and_known_services(db: Database, cli: Cli, tmp_path: Path) -> None:
    _repo(db, tmp_path)
    path = tmp_path / "i.csv"
    path.write_text(
        "id,service,started_at,resolved_at,severity,cause\n"
        "I1,svc,2026-05-02T10:00:00+00:00,,sev2,\n"
        "I2,svc,2026-05-02T10:00:00+00:00,2026-05-02T09:00:00+00:00,sev2,\n"
    )
    result = cli("delivery", "import", "incidents", str(path))
    assert result.exit_code == 2 and f"{path}:3" in result.stderr and "after started_at" in result.stderr
