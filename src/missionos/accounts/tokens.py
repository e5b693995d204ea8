"""API tokens: scoped read / write / admin, optionally for one team; stored hashed, shown once.

A token reads `mos_<prefix>_<secret>`. The prefix finds the row; only the SHA-256 of the secret is stored
(the secret is 256 random bits, so a slow hash adds nothing), and it is compared in constant time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos.accounts import audit, limits
from missionos.accounts.identity import SCOPES, Principal
from missionos.accounts.models import ApiToken
from missionos.accounts.users import refuse_last_credential
from missionos.errors import FieldError, NotFoundError
from missionos.store import utcnow

PREFIX = "mos_"
# last_used_at is written at most this often per token, so busy API clients do not write on every call.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    prefix: str
    scope: str
    team: str | None
    created_by: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "prefix": f"{PREFIX}{self.prefix}",
            "scope": self.scope,
            "team": self.team,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _info(token: ApiToken) -> TokenInfo:
    created = _aware(token.created_at)
    assert created is not None
    return TokenInfo(
        token.id,
        token.name,
        token.prefix,
        token.scope,
        token.team,
        token.created_by,
        created,
        _aware(token.last_used_at),
        _aware(token.revoked_at),
    )


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    session: Session,
    *,
    name: str,
    scope: str,
    actor: str,
    team: str | None = None,
    by: Principal | None = None,
) -> tuple[TokenInfo, str]:
    """Create a token; returns its record and the token itself, which is never available again. `by` (None:
    the host) cannot create a token with more reach than its own."""
    name = name.strip()
    if not name or len(name) > 200:
        raise FieldError("name", "a token name of 1 to 200 characters")
    if scope not in SCOPES:
        raise FieldError("scope", f"one of {', '.join(SCOPES)}")
    team = team.strip() if team and team.strip() else None
    limits.check_reach(by, role=SCOPES[scope], teams=[team] if team else None)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        prefix=prefix,
        secret_hash=_digest(secret),
        name=name,
        scope=scope,
        team=team,
        created_by=actor,
        created_at=utcnow(),
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        kind="token",
        key=f"{PREFIX}{prefix}",
        after={"name": name, "scope": scope, "team": team},
    )
    return _info(token), f"{PREFIX}{prefix}_{secret}"


def list_tokens(
    session: Session, *, include_revoked: bool = False, by: Principal | None = None
) -> list[TokenInfo]:
    """The tokens (never their secrets); for a principal limited to some teams (`by`), only the tokens of
    those teams."""
    query = select(ApiToken).order_by(ApiToken.id)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    found = [_info(t) for t in session.scalars(query)]
    return [t for t in found if limits.within_reach(by, (t.team,) if t.team else None)]


def _find(session: Session, ref: str) -> ApiToken:
    """A token by id or by its public prefix (`mos_abc123...` or `abc123...`)."""
    ref = ref.strip()
    # A prefix is 12 hex digits and may be all decimal digits, so a number is tried as a prefix first.
    token = session.scalar(select(ApiToken).where(ApiToken.prefix == ref.removeprefix(PREFIX).split("_")[0]))
    if token is None and ref.isdigit() and len(ref) < 19:
        token = session.get(ApiToken, int(ref))
    if token is None:
        raise NotFoundError("token", ref)
    return token


def revoke_token(
    session: Session, ref: str, *, actor: str, keep_one: bool = False, by: Principal | None = None
) -> TokenInfo:
    """Revoke a token (by id or prefix); revoking twice changes nothing. With `keep_one` (a server not on
    loopback), revoking the last credential that can sign in is refused."""
    token = _find(session, ref)
    limits.check_reach(by, role=SCOPES[token.scope], teams=[token.team] if token.team else None)
    if token.revoked_at is None:
        if keep_one:
            refuse_last_credential(session, f"token {PREFIX}{token.prefix}")
        token.revoked_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action="revoke",
            kind="token",
            key=f"{PREFIX}{token.prefix}",
            before={"revoked": False},
            after={"revoked": True},
        )
    return _info(token)


def authenticate(session: Session, presented: str) -> Principal | None:
    """The principal of a presented token, or None if it is malformed, unknown or revoked."""
    parts = presented.strip().split("_", 2)
    if len(parts) != 3 or f"{parts[0]}_" != PREFIX:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.prefix == parts[1]))
    if token is None or token.revoked_at is not None:
        _digest(parts[2])  # same work either way
        return None
    if not hmac.compare_digest(token.secret_hash, _digest(parts[2])):
        return None
    now = utcnow()
    last = _aware(token.last_used_at)
    if last is None or now - last >= LAST_USED_RESOLUTION:
        token.last_used_at = now
    teams = (token.team,) if token.team else None
    return Principal(name=f"token:{token.name}", role=SCOPES[token.scope], teams=teams, via="token")
