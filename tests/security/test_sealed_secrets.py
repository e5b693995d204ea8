"""Secrets at rest with no MISSIONOS_SECRET_KEY: a key is generated beside the SQLite database, or in the
host's MISSIONOS_HOME for PostgreSQL (owner-only), the session key and webhook secrets are stored sealed under
it, and a copy of the database alone cannot forge a session."""

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
from missionos.store import Database, utcnow
from tests.conftest import Cli


@pytest.fixture
def sqlite_only(db: Database) -> Database:
    if db.dialect != "sqlite":
        pytest.skip(
            "a SQLite database keeps its key file beside it; PostgreSQL's is in MISSIONOS_HOME (tests below)"
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


@pytest.fixture
def server_only(db: Database) -> Database:
    if db.dialect == "sqlite":
        pytest.skip("a SQLite database keeps its key file beside it (the tests above)")
    settings.forget_cached_keys()
    return db


def test_a_server_database_gets_a_key_file_in_the_home_and_stores_secrets_sealed(
    server_only: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "a-webhook-secret-of-some-length"
    with server_only.session() as session:
        settings.set_hook_secret(session, "github", secret, actor="test")
        key = settings.secret_key(session)
    path = tmp_path / "home" / "master.key"  # the test's MISSIONOS_HOME (tests/conftest.py)
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with server_only.session() as session:
        sealed_key = session.get(Setting, "secret_key")
        sealed_hook = session.get(Setting, "hook_secret:github")
        assert sealed_key is not None and sealed_key.value.startswith(settings.SEALED)
        assert sealed_hook is not None and sealed_hook.value.startswith(settings.SEALED)
        assert key.decode() not in sealed_key.value and secret not in sealed_hook.value
        assert settings.hook_secret(session, "github") == secret
    # Another host with a key of its own cannot read the sealed secret, and says which key is missing.
    other = tmp_path / "other-host"
    monkeypatch.setenv("MISSIONOS_HOME", str(other))
    settings.forget_cached_keys()
    with (
        server_only.session() as session,
        pytest.raises(ConflictError, match="sealed with another MISSIONOS_SECRET_KEY"),
    ):
        settings.hook_secret(session, "github")
    # Given the first host's key file, it can.
    monkeypatch.setenv("MISSIONOS_SECRET_KEY_FILE", str(path))
    settings.forget_cached_keys()
    with server_only.session() as session:
        assert settings.hook_secret(session, "github") == secret


def test_a_secret_stored_before_sealing_is_still_read_and_the_session_key_is_sealed_on_first_use(
    server_only: Database,
) -> None:
    """Upgrading a PostgreSQL server that stored its secrets as they were: nothing is lost."""
    with server_only.session() as session:
        for name, value in (
            ("hook_secret:gitlab", "stored-before-sealing-1234"),
            ("secret_key", "plain-session-key-from-before"),
        ):
            session.add(Setting(name=name, value=value, updated_at=utcnow()))
    with server_only.session() as session:
        assert settings.hook_secret(session, "gitlab") == "stored-before-sealing-1234"
        assert settings.secret_key(session) == b"plain-session-key-from-before"
    with server_only.session() as session:
        row = session.get(Setting, "secret_key")
        assert row is not None and row.value.startswith(settings.SEALED)


def test_serve_refuses_a_new_key_while_the_database_holds_secrets_sealed_under_one_that_is_not_here(
    db: Database, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started from another directory (another MISSIONOS_HOME), or with the key file lost, a server would
    generate a new key, sign everyone out and lose its webhook secrets: it refuses, naming the file."""
    settings.forget_cached_keys()
    secret = "a-webhook-secret-of-some-length"
    with db.session() as session:
        settings.set_hook_secret(session, "github", secret, actor="test")
        path = settings.key_file(session)
    assert path is not None and path.is_file()
    kept = tmp_path / "kept.key"
    path.rename(kept)  # the key is elsewhere now
    settings.forget_cached_keys()
    refused = cli("serve", "--port", "1")
    assert refused.exit_code == 2, refused.stdout + refused.stderr
    said = " ".join((refused.stdout + refused.stderr).split())
    assert path.name in said
    assert "--new-secret-key" in said and "Traceback" not in said
    assert not path.exists(), "no new key is generated when the start is refused"
    # Named with MISSIONOS_SECRET_KEY_FILE, the key that sealed them reads them again.
    monkeypatch.setenv("MISSIONOS_SECRET_KEY_FILE", str(kept))
    settings.forget_cached_keys()
    with db.session() as session:
        assert settings.missing_key_file(session) is None
        assert settings.hook_secret(session, "github") == secret
