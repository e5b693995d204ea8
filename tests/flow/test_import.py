"""Importers and the work-item store on SQLite and PostgreSQL: CSV, the real Jira sample, the live Jira
connector over recorded responses, idempotency, and bad input rejected whole."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from missionos.errors import FieldError, InputError
from missionos.flow import service
from missionos.flow.importers import jira
from missionos.flow.importers.csvfiles import import_csv
from missionos.flow.models import Transition, WorkItem
from missionos.flow.records import TransitionRecord, WorkItemRecord
from missionos.flow.typemap import TypeMap
from missionos.measures import Window
from missionos.store import Database
from tests.conftest import Cli
from tests.datafiles import JIRA_REST

JIRA = JIRA_REST

ITEMS = """id,type,title,created_at,team
C-1,Story,Pay stub upload,2026-03-02T08:00:00+08:00,Intake
C-2,Bug,Fix address,2026-03-02T09:00:00+08:00,Intake
"""
MOVES = """item,from_status,to_status,at
C-1,,Todo,2026-03-02T08:00:00+08:00
C-1,Todo,In Progress,2026-03-02T10:00:00+08:00
C-1,In Progress,Done,2026-03-03T10:00:00+08:00
C-2,,Todo,2026-03-02T09:00:00+08:00
C-2,Todo,In Progress,2026-03-02T09:30:00+08:00
"""
STREAM = {
    "name": "intake",
    "team": "intake",
    "done": ["Done"],
    "steps": [{"name": "Build", "statuses": ["In Progress"], "kind": "active"}],
}


def write(tmp_path: Path, items: str = ITEMS, moves: str = MOVES) -> tuple[Path, Path]:
    (tmp_path / "items.csv").write_text(items, encoding="utf-8")
    (tmp_path / "moves.csv").write_text(moves, encoding="utf-8")
    return tmp_path / "items.csv", tmp_path / "moves.csv"


def counts(db: Database) -> tuple[int, int]:
    with db.session() as s:
        return (s.scalar(select(func.count()).select_from(WorkItem)) or 0), (
            s.scalar(select(func.count()).select_from(Transition)) or 0
        )


def test_csv_import_converts_offsets_to_utc_and_is_idempotent(db: Database, tmp_path: Path) -> None:
    items, moves = write(tmp_path)
    with db.session() as s:
        first = import_csv(s, items, moves)
    with db.session() as s:
        again = import_csv(s, items, moves)
    assert (first.items_created, first.transitions_added) == (2, 5)
    assert (again.items_created, again.items_unchanged, again.transitions_added) == (0, 2, 0)
    assert counts(db) == (2, 5)
    with db.session() as s:
        service.apply_stream(s, service.parse_stream(STREAM))
        fig = service.stream_metrics(
            s,
            "intake",
            Window(dt.datetime(2026, 3, 1, tzinfo=dt.UTC), dt.datetime(2026, 3, 8, tzinfo=dt.UTC)),
        )
        detail = service.item_detail(s, "csv", "C-1")
    assert detail.record.type == "feature"
    assert detail.transitions[1].at == dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
    assert fig.items_done == 1
    assert fig.flow_time_median_days == pytest.approx(1.0)
    assert fig.flow_efficiency == pytest.approx(1.0)


def test_csv_bad_line_rejects_the_whole_import_through_the_cli(
    cli: Cli, db: Database, tmp_path: Path
) -> None:
    items, moves = write(tmp_path)
    assert cli("flow", "import", "csv", str(items), str(moves)).exit_code == 0
    bad = MOVES + "C-2,In Progress,Done,2026-03-04 10:00:00\n"
    items2, moves2 = write(tmp_path, ITEMS.replace("Fix address", "Fix the address"), bad)
    result = cli("flow", "import", "csv", str(items2), str(moves2))
    assert result.exit_code == 2
    assert "moves.csv:7" in result.stderr and "no UTC offset" in result.stderr
    assert "Traceback" not in result.stderr
    with db.session() as s:
        assert service.item_detail(s, "csv", "C-2").record.title == "Fix address"  # the update rolled back
    assert counts(db) == (2, 5)
    # The same file imports once its zone is named.
    assert cli("flow", "import", "csv", str(items2), str(moves2), "--tz", "Asia/Shanghai").exit_code == 0
    assert counts(db) == (2, 6)


def test_csv_transition_of_an_unknown_item_names_the_line(db: Database, tmp_path: Path) -> None:
    items, moves = write(tmp_path, moves=MOVES + "C-9,Todo,Done,2026-03-04T10:00:00Z\n")
    with pytest.raises(InputError, match=r"moves.csv:7.*'C-9'"), db.session() as s:
        import_csv(s, items, moves)
    assert counts(db) == (0, 0)


def test_upsert_work_validates_before_writing(db: Database) -> None:
    good = WorkItemRecord("K-1", "feature", "ok", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "T")
    naive = TransitionRecord("K-1", None, "Todo", dt.datetime(2026, 1, 1))
    with pytest.raises(FieldError, match=r"transitions\[0\]\.at"), db.session() as s:
        service.upsert_work(s, [good], [naive], source="hook")
    with pytest.raises(FieldError, match=r"items\[0\]\.type"), db.session() as s:
        service.upsert_work(s, [WorkItemRecord("K-2", "story", "", good.created_at)], [], source="hook")
    assert counts(db) == (0, 0)
    # A later batch may carry transitions of items stored earlier (a webhook adapter does this).
    with db.session() as s:
        service.upsert_work(s, [good], [], source="hook")
    with db.session() as s:
        summary = service.upsert_work(
            s, [], [TransitionRecord("K-1", None, "Todo", good.created_at)], source="hook"
        )
    assert summary.transitions_added == 1


def test_stream_file_errors_name_the_field(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: x\ndone: [Done]\nsteps:\n  - {name: A, statuses: [Doing], kind: busy}\n")
    with pytest.raises(FieldError, match=r"s.yaml: steps\[0\]\.kind"):
        service.read_stream_file(path)
    path.write_text("name: x\ndone: [Done]\nsteps:\n  - {name: A, statuses: [Done], kind: active}\n")
    with pytest.raises(FieldError, match="repeated"):
        service.read_stream_file(path)


# --- the real Jira Cloud sample ---------------------------------------------------------------------------

EE_STREAM = {
    "name": "ee",
    "team": "EE",
    "done": ["Closed", "已完成"],
    "steps": [
        {"name": "Build", "statuses": ["Ready for Dev", "To Do"], "kind": "wait"},
        {"name": "Build", "statuses": ["In Development", "In Progress"], "kind": "active"},
        {"name": "Verify", "statuses": ["Resolved"], "kind": "wait"},
    ],
}
CN_STREAM = {
    "name": "研发",
    "done": ["已完成"],
    "steps": [
        {"name": "开发", "statuses": ["开发中"], "kind": "active"},
        {"name": "评审", "statuses": ["Code Review"], "kind": "active"},
        {"name": "测试", "statuses": ["待测试"], "kind": "wait"},
        {"name": "测试", "statuses": ["测试中"], "kind": "active"},
        {"name": "发布", "statuses": ["发布中"], "kind": "active"},
    ],
}


def import_sample(db: Database) -> None:
    items, moves, _notes = jira.to_records(jira.read_files([JIRA]), TypeMap())
    with db.session() as s:
        service.upsert_work(s, items, moves, source=jira.SOURCE)
        service.apply_stream(s, service.parse_stream(EE_STREAM))
        service.apply_stream(s, service.parse_stream(CN_STREAM))


def test_jira_sample_imports_every_issue_and_status_change(db: Database) -> None:
    batch = jira.read_files([JIRA])
    items, moves, notes = jira.to_records(batch, TypeMap())
    # 33 issues, plus 3 issues known only from the changelog endpoint's histories.
    assert len(items) == 36
    # 165 status changes in issues.jsonl + 10 in changelogs.jsonl + one initial status per item.
    assert len(moves) == 165 + 10 + 36
    assert any("13383" in n for n in notes)
    with db.session() as s:
        service.upsert_work(s, items, moves, source="jira")
    with db.session() as s:
        again = service.upsert_work(s, items, moves, source="jira")
    assert (again.items_created, again.transitions_added) == (0, 0)
    assert counts(db) == (36, 211)


def test_jira_issue_figures_checked_by_hand(db: Database) -> None:
    import_sample(db)
    with db.session() as s:
        ee1 = service.item_detail(s, "jira", "EE-1")
    assert ee1.record.type == "feature"  # 故事 (story)
    assert ee1.record.created_at == dt.datetime(2020, 6, 12, 0, 13, 13, 360000, tzinfo=dt.UTC)  # 08:13 +0800
    f = ee1.flows["ee"]
    # Inbox → Ready for Dev at 09:45:24.493 +0800 starts it; Open → Closed on 06-19 14:31:18.526 +0800 is done
    # (the later Closed → 已完成 workflow migration is a done-to-done move and does not move it).
    start = dt.datetime(2020, 6, 12, 1, 45, 24, 493000, tzinfo=dt.UTC)
    done = dt.datetime(2020, 6, 19, 6, 31, 18, 526000, tzinfo=dt.UTC)
    assert f.start == start.timestamp() and f.done == done.timestamp()
    assert f.flow_time == pytest.approx(7 * 86400 + 4 * 3600 + 45 * 60 + 54.033)
    assert f.wait == pytest.approx(1 * 3600 + 53 * 60 + 15.292)  # Ready for Dev until In Development
    assert f.active == pytest.approx(2 * 3600 + 44 * 60 + 9.567)  # In Development until Open


def test_jira_non_ascii_statuses_from_the_changelog_endpoint(db: Database) -> None:
    import_sample(db)
    with db.session() as s:
        item = service.item_detail(s, "jira", "13954")
        fig = service.stream_metrics(
            s, "研发", Window(dt.datetime(2021, 4, 1, tzinfo=dt.UTC), dt.datetime(2021, 5, 1, tzinfo=dt.UTC))
        )
    f = item.flows["研发"]
    # Open → 开发中 2021-03-05 10:14:45.316 +0800; 发布中 → 已完成 2021-04-07 13:15:32.935 +0800.
    assert f.flow_time == pytest.approx(33 * 86400 + 3 * 3600 + 47.619)
    assert f.step_active[0] == pytest.approx(12 * 86400 + 1 * 3600 + 7 * 60 + 9.703)  # 开发中 to Code Review
    assert f.step_wait[2] == pytest.approx(3 * 86400 + 1 * 3600 + 20 * 60 + 10.112)  # 待测试 to 测试中
    assert fig.items_done == 1
    assert [s.name for s in fig.steps] == ["开发", "评审", "测试", "发布"]
    assert fig.constraint[0][0] == "开发"


def test_jira_live_connector_paginates_retries_and_authenticates() -> None:
    sample = [json.loads(line) for line in (JIRA / "issues.jsonl").read_text(encoding="utf-8").splitlines()]
    first = {**sample[0], "changelog": {**sample[0]["changelog"], "total": 26}}
    extra = {
        "id": "99999",
        "items": [{"field": "status", "fromString": "已完成", "toString": "Open"}],
        "created": "2021-04-02T10:00:00.000+0800",
    }
    calls: list[str] = []
    throttled = {"done": False}

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        assert request.headers["Authorization"] == "Bearer s3cret"
        if request.url.path == "/rest/api/2/search":
            start = int(request.url.params["startAt"])
            if start == 2 and not throttled["done"]:
                throttled["done"] = True
                return httpx.Response(429, headers={"Retry-After": "3"})
            page = [first, *sample[1:5]][start : start + 2]
            return httpx.Response(200, json={"startAt": start, "maxResults": 2, "total": 5, "issues": page})
        assert request.url.path == f"/rest/api/2/issue/{first['key']}/changelog"
        return httpx.Response(200, json={"startAt": 0, "total": 1, "isLast": True, "values": [extra]})

    slept: list[float] = []
    client = jira.JiraClient(
        "https://jira.example",
        token="s3cret",
        transport=httpx.MockTransport(handler),
        page_size=2,
        sleep=slept.append,
    )
    batch = client.search("project = EE")
    assert len(batch.issues) == 5
    assert slept == [3.0]
    assert len(batch.histories[first["id"]]) == 26
    _items, moves, _ = jira.to_records(batch, TypeMap())
    assert [m.to_status for m in moves if m.item == "EE-1"][-1] == "Open"  # the fetched history counts


def test_jira_live_connector_reports_refused_credentials() -> None:
    transport = httpx.MockTransport(lambda _r: httpx.Response(401, json={"errorMessages": ["nope"]}))
    client = jira.JiraClient("https://jira.example", token="bad", email="a@b.c", transport=transport)
    with pytest.raises(InputError, match="refused the credentials"):
        client.search("project = EE")


def test_jira_bad_file_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "issues.jsonl"
    path.write_text('{"key": "A-1", "fields": {"created": "2020-01-01T00:00:00+0000"}}\n{oops\n')
    with pytest.raises(InputError, match=r"issues.jsonl:2"):
        jira.read_files([path])


def test_jira_title_with_a_nul_byte_is_stored_without_it(db: Database) -> None:
    import_sample(db)
    with db.session() as s:
        assert service.item_detail(s, "jira", "EE-4").record.title == "\u200b问题分布的帕累托图"


def test_csv_duplicates_across_chunks_of_one_file_are_stored_once(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from missionos.flow.importers import csvfiles

    monkeypatch.setattr(csvfiles, "CHUNK", 2)  # 5 moves + 3 repeats: chunks of two rows
    repeats = (
        "C-1,,Todo,2026-03-02T08:00:00+08:00\n"  # the first row again, three chunks later
        "C-1,In Progress,Done,2026-03-03T02:00:00Z\n"  # the same instant in UTC
        "C-2,Todo,In Progress,2026-03-02T09:30:00+08:00\n"
    )
    items, moves = write(tmp_path, moves=MOVES + repeats)
    with db.session() as s:
        summary = import_csv(s, items, moves)
    assert (summary.transitions_added, summary.transitions_present) == (5, 3)
    assert counts(db) == (2, 5)
    with db.session() as s:
        again = import_csv(s, items, moves)
    assert (again.transitions_added, again.transitions_present) == (0, 8)


def test_a_latin1_csv_names_its_line_and_column_through_the_cli(
    cli: Cli, db: Database, tmp_path: Path
) -> None:
    items, moves = write(tmp_path, ITEMS.replace("Fix address", "Fix the café address"))
    items.write_bytes(items.read_text(encoding="utf-8").encode("latin-1"))
    result = cli("flow", "import", "csv", str(items), str(moves))
    assert result.exit_code == 2, result.stdout
    assert "Traceback" not in result.stderr
    line = 1 + ITEMS.splitlines().index(next(x for x in ITEMS.splitlines() if "Fix address" in x))
    assert f"items.csv:{line}: title: expected UTF-8 text, found the byte 0xe9" in result.stderr
    assert counts(db) == (0, 0)
