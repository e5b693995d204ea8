"""Server-wide secrets kept in the database, so that every worker and host shares them.

The session-signing key is created on first use (or taken from `MISSIONOS_SECRET_KEY`). Webhook secrets are
set with `missionos hooks secret set SOURCE` (or taken from `MISSIONOS_HOOK_SECRET_<SOURCE>`). Both are
stored sealed under the master key, which is kept outside the database: `MISSIONOS_SECRET_KEY`, else a key
file generated on first use (mode 0600) beside a SQLite database (`<database>.key`), in MISSIONOS_HOME for
PostgreSQL (`master.key`), or named by `MISSIONOS_SECRET_KEY_FILE`. No secret is ever shown back or logged.
"""

from __future__ import annotations

import base64
import os
import secrets
import time
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from missionos.accounts import audit
from missionos.accounts.models import Setting
from missionos.errors import ConflictError, FieldError
from missionos.store import utcnow

HOOK_SOURCES = ("github", "gitlab", "events")
_keys: dict[str, bytes] = {}


def key_file(session: Session) -> Path | None:
    """Where the generated master key lives when `MISSIONOS_SECRET_KEY` is not set:
    `MISSIONOS_SECRET_KEY_FILE`, else beside a SQLite database (`<database>.key`), so that every process
    using that database finds the same key whatever its MISSIONOS_HOME. A server database (PostgreSQL) gets
    `master.key` in this host's MISSIONOS_HOME (default `.missionos`): every worker of the host shares it,
    and other hosts must be given the same key (`MISSIONOS_SECRET_KEY` or `MISSIONOS_SECRET_KEY_FILE`); a host
    with another key cannot read the sealed webhook secrets and says so. None for an in-memory database."""
    configured = os.environ.get("MISSIONOS_SECRET_KEY_FILE")
    if configured:
        return Path(configured)
    url = session.get_bind().engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return None
        database = Path(url.database)
        return database.with_name(database.name + ".key")
    # The same default as `missionos.config.home()`, which this room may not import.
    home = Path(os.environ.get("MISSIONOS_HOME", ".missionos"))
    home.mkdir(parents=True, exist_ok=True)
    return home / "master.key"


_files: dict[Path, bytes] = {}


def _read_or_create(path: Path) -> bytes:
    """The key in `path`, created (readable by the owner only) on first use; a concurrent creator wins."""
    path = path.resolve()
    if path in _files:
        return _files[path]
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
    for _ in range(50):  # another process may have created it an instant ago and not written it yet
        value = path.read_text(encoding="utf-8").strip()
        if value:
            _files[path] = value.encode()
            return _files[path]
        time.sleep(0.01)
    raise ConflictError(f"the key file {path} is empty: remove it, or set MISSIONOS_SECRET_KEY")


def missing_key_file(session: Session) -> Path | None:
    """The key file that would be generated although the database already holds secrets sealed under a key:
    that key is elsewhere (another MISSIONOS_HOME, another host, a lost file), and a new one would sign
    everyone out and leave the webhook secrets unreadable. None when the key is here or nothing is sealed."""
    if os.environ.get("MISSIONOS_SECRET_KEY"):
        return None
    path = key_file(session)
    if path is None or path.exists():
        return None
    sealed = session.scalar(select(func.count()).select_from(Setting).where(Setting.value.startswith(SEALED)))
    return path if sealed else None


def master_key(session: Session) -> bytes | None:
    """The key kept outside the database: `MISSIONOS_SECRET_KEY`, else the key file (generated on first use);
    None only for an in-memory database."""
    from_env = os.environ.get("MISSIONOS_SECRET_KEY")
    if from_env:
        return from_env.encode()
    path = key_file(session)
    return _read_or_create(path) if path is not None else None


def secret_key(session: Session) -> bytes:
    """The key that signs session cookies and CSRF tokens, created once and shared through the database, where
    it is stored sealed under the master key (so a copy of the database alone cannot forge a session)."""
    from_env = os.environ.get("MISSIONOS_SECRET_KEY")
    if from_env:
        return from_env.encode()
    where = session.get_bind().engine.url.render_as_string(hide_password=False)
    if where not in _keys:
        stored = session.get(Setting, "secret_key")
        if stored is None:
            value = seal(session, "secret_key", secrets.token_urlsafe(48))
            candidate = Setting(name="secret_key", value=value, updated_at=utcnow())
            try:
                with session.begin_nested():
                    session.add(candidate)
            except IntegrityError:  # another worker created it first: use theirs
                pass
            stored = session.get(Setting, "secret_key", populate_existing=True)
            assert stored is not None
        try:
            plain = unseal(session, "secret_key", stored.value)
        except ConflictError:
            # Sealed under a master key that is gone (a copy of the database elsewhere, a lost key file): a
            # new session key ends every session, and nothing else depends on it. The first worker to
            # replace it wins; the others take its key.
            plain = secrets.token_urlsafe(48)
            replaced = session.execute(
                update(Setting)
                .where(Setting.name == "secret_key", Setting.value == stored.value)
                .values(value=seal(session, "secret_key", plain), updated_at=utcnow())
            )
            if not replaced.rowcount:  # type: ignore[attr-defined]
                stored = session.get(Setting, "secret_key", populate_existing=True)
                assert stored is not None
                plain = unseal(session, "secret_key", stored.value)
        else:
            if not stored.value.startswith(SEALED) and master_key(session) is not None:
                stored.value = seal(session, "secret_key", plain)  # stored before sealing: seal it now
        _keys[where] = plain.encode()
    return _keys[where]


def forget_cached_keys() -> None:
    """Drop the per-process cache of session keys (tests that recreate databases use this)."""
    _keys.clear()
    _files.clear()


def _check_source(source: str) -> str:
    if source not in HOOK_SOURCES:
        raise FieldError("source", f"one of {', '.join(HOOK_SOURCES)}")
    return source


# Webhook secrets are HMAC keys and the session key signs cookies, so both must be kept readable; they are
# stored sealed with AES-256-GCM under a key derived from the master key (kept outside the database), and a
# copy of the database alone does not give them away.
SEALED = "sealed:v1:"


def _sealing_key(session: Session) -> bytes | None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    master = master_key(session)
    if not master:
        return None
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"missionos webhook secrets").derive(master)


def seal(session: Session, name: str, value: str) -> str:
    """`value` as stored under setting `name`: sealed under the master key (kept as it is only for an
    in-memory database, which has no key file)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = _sealing_key(session)
    if key is None:
        return value
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(key).encrypt(nonce, value.encode(), name.encode())
    return SEALED + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(session: Session, name: str, stored: str) -> str:
    """The value of setting `name` as `seal` stored it."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not stored.startswith(SEALED):
        return stored
    key = _sealing_key(session)
    if key is None:
        raise ConflictError(
            f"the stored {name} is sealed: set MISSIONOS_SECRET_KEY to the key that sealed it"
        )
    raw = base64.urlsafe_b64decode(stored.removeprefix(SEALED))
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], name.encode()).decode()
    except InvalidTag:
        where = key_file(session)
        kept = f" (or the key file {where})" if where and not os.environ.get("MISSIONOS_SECRET_KEY") else ""
        raise ConflictError(
            f"the stored {name} was sealed with another MISSIONOS_SECRET_KEY{kept}; set that key, or set the "
            "secret again"
        ) from None


def hook_secret(session: Session, source: str) -> str | None:
    """The shared secret for webhooks from `source`, or None when none is configured."""
    from_env = os.environ.get(f"MISSIONOS_HOOK_SECRET_{_check_source(source).upper()}")
    if from_env:
        return from_env
    name = f"hook_secret:{source}"
    stored = session.get(Setting, name)
    return unseal(session, name, stored.value) if stored else None


def set_hook_secret(session: Session, source: str, secret: str, *, actor: str) -> None:
    """Store the webhook secret for `source` (recorded in the audit log without its value)."""
    _check_source(source)
    if len(secret) < 16:
        raise FieldError("secret", "at least 16 characters")
    name = f"hook_secret:{source}"
    stored = session.get(Setting, name)
    action = "update" if stored else "create"
    value = seal(session, name, secret)
    if stored is None:
        session.add(Setting(name=name, value=value, updated_at=utcnow()))
    else:
        stored.value, stored.updated_at = value, utcnow()
    audit.record(session, actor=actor, action=action, kind="hook-secret", key=source, after={"set": True})


def hook_secrets_configured(session: Session) -> dict[str, bool]:
    """For each webhook source, whether a secret is configured (never the secret itself)."""
    stored = {s.name for s in session.scalars(select(Setting).where(Setting.name.like("hook_secret:%")))}
    return {
        src: bool(os.environ.get(f"MISSIONOS_HOOK_SECRET_{src.upper()}")) or f"hook_secret:{src}" in stored
        for src in HOOK_SOURCES
    }
