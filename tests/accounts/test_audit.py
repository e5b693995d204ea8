"""The audit log records writes in the writer's transaction."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from missionos.accounts import audit
from missionos.store import Database
from tests.conftest import Cli


def test_record_and_list_newest_first(db: Database) -> None:
    with db.session() as session:
        audit.record(session, actor="cli:ana", action="create", kind="plan", key="p1", after={"v": 1})
        audit.record(
            session, actor="cli:ana", action="update", kind="plan", key="p1", before={"v": 1}, after={"v": 2}
        )
    with db.session() as session:
        found = audit.entries(session, kind="plan", key="p1")
    assert [(e.action, e.before, e.after) for e in found] == [
        ("update", {"v": 1}, {"v": 2}),
        ("create", None, {"v": 1}),
    ]
    assert found[0].at.tzinfo is not None


def test_entry_rolls_back_with_the_failed_write(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session() as session:
        audit.record(session, actor="x", action="create", kind="flag", key="f")
        raise RuntimeError("write failed")
    with db.session() as session:
        assert audit.entries(session) == []


def test_the_log_is_append_only_in_the_database(db: Database) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with db.session() as session:
        audit.record(session, actor="cli:ana", action="create", kind="plan", key="p1", after={"v": 1})
    for statement in (
        "UPDATE accounts_audit_event SET actor = 'mallory'",
        "DELETE FROM accounts_audit_event",
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    with db.session() as session:
        assert [e.actor for e in audit.entries(session)] == ["cli:ana"]


def test_user_and_token_writes_are_recorded_with_before_and_after(cli: Cli, db: Database) -> None:
    assert (
        cli(
            "auth",
            "user",
            "create",
            "ana",
            "--role",
            "editor",
            "--team",
            "Intake",
            "--password-stdin",
            input="a long enough password\n",
        ).exit_code
        == 0
    )
    assert cli("auth", "user", "update", "ana", "--role", "admin", "--all-teams").exit_code == 0
    assert (
        cli("auth", "user", "password", "ana", "--password-stdin", input="another long password\n").exit_code
        == 0
    )
    with db.session() as session:
        found = audit.entries(session, kind="user", key="ana")
    assert [(e.action, e.before, e.after) for e in found] == [
        ("set-password", None, None),
        (
            "update",
            {"role": "editor", "teams": ["Intake"], "disabled": False},
            {"role": "admin", "teams": None, "disabled": False},
        ),
        ("create", None, {"role": "editor", "teams": ["Intake"], "disabled": False}),
    ]
    assert all(e.actor.startswith("cli:") for e in found)
    assert "long enough password" not in str([e.as_dict() for e in found])


def test_export_is_json_lines_oldest_first_and_filters(cli: Cli, db: Database, tmp_path: Path) -> None:
    with db.session() as session:
        audit.record(session, actor="ana", action="create", kind="plan", key="p1", after={"v": 1})
        audit.record(
            session,
            actor="bo",
            action="update",
            kind="flag",
            key="f1",
            before={"on": False},
            after={"on": True},
        )
        audit.record(
            session, actor="ana", action="update", kind="plan", key="p1", before={"v": 1}, after={"v": 2}
        )
    out = tmp_path / "audit.jsonl"
    result = cli("audit", "export", "--output", str(out))
    assert result.exit_code == 0 and "Wrote 3 audit entries" in result.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(e["actor"], e["kind"], e["action"]) for e in lines] == [
        ("ana", "plan", "create"),
        ("bo", "flag", "update"),
        ("ana", "plan", "update"),
    ]
    assert lines[1]["before"] == {"on": False} and lines[1]["after"] == {"on": True}
    assert dt.datetime.fromisoformat(lines[0]["at"]).tzinfo is not None
    only_ana = cli("audit", "export", "--actor", "ana")
    assert [json.loads(x)["key"] for x in only_ana.stdout.splitlines()] == ["p1", "p1"]
    bad = cli("audit", "list", "--since", "yesterday")
    assert bad.exit_code == 2 and "--since" in bad.stderr


def test_audit_page_and_api_are_for_admins_only(
    client: httpx.Client, db: Database, make_token: Callable[..., str]
) -> None:
    with db.session() as session:
        audit.record(session, actor="ana", action="create", kind="plan", key="p1", after={"v": 1})
    editor = {"authorization": f"Bearer {make_token('write', name='ed')}"}
    admin = {"authorization": f"Bearer {make_token('admin', name='ad')}"}
    for path in ("/accounts/audit", "/api/v1/audit", "/api/v1/audit/export"):
        assert client.get(path, headers=editor).status_code == 403, path
        assert client.get(path, headers=admin).status_code == 200, path
    exported = client.get("/api/v1/audit/export", headers=admin)
    assert exported.headers["content-type"].startswith("application/jsonl")
    kinds = [json.loads(line)["kind"] for line in exported.text.splitlines()]
    assert kinds == ["plan", "token", "token"]  # oldest first; the two tokens made above are recorded too
    page = client.get("/accounts/audit?kind=plan", headers={**admin, "accept": "text/html"}).text
    assert "p1" in page and "ana" in page
