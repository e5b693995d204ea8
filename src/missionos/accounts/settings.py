"""Server-wide secrets kept in the database, so that every worker and host shares them.

The session-signing key is created on first use (or taken from `MISSIONOS_SECRET_KEY`). Webhook secrets are
set with `missionos hooks secret set SOURCE` (or taken from `MISSIONOS_HOOK_SECRET_<SOURCE>`), and stored
sealed when `MISSIONOS_SECRET_KEY` is set. No secret is ever shown back or logged.
"""

from __future__ import annotations

import base64
import os
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from missionos.accounts import audit
from missionos.accounts.models import Setting
from missionos.errors import ConflictError, FieldError
from missionos.store import utcnow

HOOK_SOURCES = ("github", "gitlab", "events")
_keys: dict[str, bytes] = {}


def secret_key(session: Session) -> bytes:
    """The key that signs session cookies and CSRF tokens, created once and shared through the database."""
    from_env = os.environ.get("MISSIONOS_SECRET_KEY")
    if from_env:
        return from_env.encode()
    where = session.get_bind().engine.url.render_as_string(hide_password=False)
    if where not in _keys:
        stored = session.get(Setting, "secret_key")
        if stored is None:
            candidate = Setting(name="secret_key", value=secrets.token_urlsafe(48), updated_at=utcnow())
            try:
                with session.begin_nested():
                    session.add(candidate)
            except IntegrityError:  # another worker created it first: use theirs
                pass
            stored = session.get(Setting, "secret_key", populate_existing=True)
            assert stored is not None
        _keys[where] = stored.value.encode()
    return _keys[where]


def forget_cached_keys() -> None:
    """Drop the per-process cache of session keys (tests that recreate databases use this)."""
    _keys.clear()


def _check_source(source: str) -> str:
    if source not in HOOK_SOURCES:
        raise FieldError("source", f"one of {', '.join(HOOK_SOURCES)}")
    return source


# Webhook secrets are HMAC keys, so they must be kept readable; with MISSIONOS_SECRET_KEY (kept outside the
# database) they are stored sealed with AES-256-GCM under a key derived from it, and a copy of the database
# alone does not give them away.
SEALED = "sealed:v1:"


def _sealing_key() -> bytes | None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    master = os.environ.get("MISSIONOS_SECRET_KEY")
    if not master:
        return None
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"missionos webhook secrets").derive(master.encode())


def seal(name: str, value: str) -> str:
    """`value` as stored under setting `name`: sealed when MISSIONOS_SECRET_KEY is set, else as it is."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = _sealing_key()
    if key is None:
        return value
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(key).encrypt(nonce, value.encode(), name.encode())
    return SEALED + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(name: str, stored: str) -> str:
    """The value of setting `name` as `seal` stored it."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not stored.startswith(SEALED):
        return stored
    key = _sealing_key()
    if key is None:
        raise ConflictError(
            f"the stored {name} is sealed: set MISSIONOS_SECRET_KEY to the key that sealed it"
        )
    raw = base64.urlsafe_b64decode(stored.removeprefix(SEALED))
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], name.encode()).decode()
    except InvalidTag:
        raise ConflictError(
            f"the stored {name} was sealed with another MISSIONOS_SECRET_KEY; set that key, or set the "
            "secret again"
        ) from None


def hook_secret(session: Session, source: str) -> str | None:
    """The shared secret for webhooks from `source`, or None when none is configured."""
    from_env = os.environ.get(f"MISSIONOS_HOOK_SECRET_{_check_source(source).upper()}")
    if from_env:
        return from_env
    name = f"hook_secret:{source}"
    stored = session.get(Setting, name)
    return unseal(name, stored.value) if stored else None


def set_hook_secret(session: Session, source: str, secret: str, *, actor: str) -> None:
    """Store the webhook secret for `source` (recorded in the audit log without its value)."""
    _check_source(source)
    if len(secret) < 16:
        raise FieldError("secret", "at least 16 characters")
    name = f"hook_secret:{source}"
    stored = session.get(Setting, name)
    action = "update" if stored else "create"
    value = seal(name, secret)
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
