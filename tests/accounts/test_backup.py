"""`missionos db backup|restore` for SQLite (PostgreSQL is backed up with pg_dump)."""

from __future__ import annotations

from pathlib import Path

from missionos.accounts import audit
from missionos.store import open_database
from tests.conftest import Cli


def test_backup_then_restore_brings_the_data_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    db = open_database(url)
    with db.session() as session:
        audit.record(session, actor="ana", action="create", kind="plan", key="before-backup")
    cli = Cli(url)
    backup = tmp_path / "backup.db"
    made = cli("db", "backup", str(backup))
    assert made.exit_code == 0 and backup.exists()
    with db.session() as session:
        audit.record(session, actor="ana", action="create", kind="plan", key="after-backup")
    refused = cli("db", "restore", str(backup))
    assert refused.exit_code == 2 and "--force" in refused.stderr
    db.dispose()
    restored = cli("db", "restore", str(backup), "--force")
    assert restored.exit_code == 0, restored.stderr
    db = open_database(url)
    with db.session() as session:
        assert [e.key for e in audit.entries(session)] == ["before-backup"]
    db.dispose()
    assert cli("db", "backup", str(backup)).exit_code == 2  # never overwrites


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("hello")
    result = Cli(f"sqlite:///{tmp_path / 'live.db'}")("db", "restore", str(junk), "--force")
    assert result.exit_code == 2 and "not a Mission OS database backup" in result.stderr


def test_postgresql_is_pointed_at_pg_dump() -> None:
    result = Cli("postgresql+psycopg://postgres@127.0.0.1:5432/test")("db", "backup", "x.db")
    assert result.exit_code == 2 and "pg_dump" in result.stderr
