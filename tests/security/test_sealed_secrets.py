"""Secrets at rest with no MISSIONOS_SECRET_KEY: a key is generated beside the SQLite database (owner-only),
the session key and webhook secrets are stored sealed under it, and a copy of the database alone cannot
forge a session."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from missionos.accounts import sessions, settings, users
from missionos.accounts.models import Setting
from missionos.errors import ConflictError
from missionos.store import Database


@pytest.fixture
def sqlite_only(db: Database) -> Database:
    if db.dialect != "sqlite":
        pytest.skip(
            "the generated key file sits beside a SQLite database; PostgreSQL needs MISSIONOS_SECRET_KEY"
        )
    settings.forget_cached_keys()
    return db


def _database_file(db: Database) -> Path:
    return Path(db.engine.url.database or "")


def test_a_key_file_is_generated_beside_the_database_for_the_owner_only(sqlite_only: Database) -> None:
    with sqlite_only.session() as session:
        key = settings.secret_key(session)
    path = _database_file(sqlite_only).with_name(_database_file(sqlite_only).name + ".key")
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with sqlite_only.session() as session:
        stored = session.get(Setting, "secret_key")
        assert stored is not None and stored.value.startswith(settings.SEALED)
        assert key.decode() not in stored.value
    settings.forget_cached_keys()  # another process, another MISSIONOS_HOME: the same key beside the database
    with sqlite_only.session() as session:
        assert settings.secret_key(session) == key


def test_webhook_secrets_are_sealed_without_the_environment_key(sqlite_only: Database) -> None:
    secret = "a-webhook-secret-of-some-length"
    with sqlite_only.session() as session:
        settings.set_hook_secret(session, "github", secret, actor="test")
    with sqlite_only.session() as session:
        stored = session.get(Setting, "hook_secret:github")
        assert stored is not None and stored.value.startswith(settings.SEALED) and secret not in stored.value
        assert settings.hook_secret(session, "github") == secret


def test_a_copy_of_the_database_alone_cannot_forge_a_session(
    sqlite_only: Database, make_user: Callable[..., str], tmp_path: Path
) -> None:
    make_user("ana", "admin")
    with sqlite_only.session() as session:
        settings.set_hook_secret(session, "github", "a-webhook-secret-of-some-length", actor="test")
        user = users.find_user(session, "ana")
        assert user is not None
        cookie = sessions.issue(session, user)
        stored = session.get(Setting, "secret_key")
        assert stored is not None
        # What an attacker holding the database would try: sign with what is stored.
        data = cookie.partition(".")[0]
        mac = hmac.new(stored.value.encode(), f"session|{data}".encode(), hashlib.sha256).hexdigest()
        forged = f"{data}.{mac}"
        assert sessions.resolve(session, forged) is None
        assert sessions.resolve(session, cookie) is not None
    copy = tmp_path / "stolen" / "copy.db"
    copy.parent.mkdir()
    with sqlite3.connect(_database_file(sqlite_only)) as source, sqlite3.connect(copy) as target:
        source.backup(target)  # the whole database, the part still in its write-ahead log too
    target.close()
    settings.forget_cached_keys()
    stolen = Database(f"sqlite:///{copy}")
    try:
        with stolen.session() as session:
            # The copy cannot open the sealed session key: it gets a key of its own, and the real cookie
            # (or any cookie it signs) means nothing to the original.
            assert sessions.resolve(session, cookie) is None
            with pytest.raises(ConflictError, match="sealed with another"):
                settings.hook_secret(session, "github")
    finally:
        stolen.dispose()
