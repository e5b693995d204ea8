"""Local user accounts: argon2id password hashes, roles per team, and who may sign in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from missionos.accounts import audit, limits
from missionos.accounts.identity import Principal, check_role
from missionos.accounts.models import ApiToken, User
from missionos.errors import ConflictError, FieldError, NotFoundError
from missionos.store import utcnow

_hasher = PasswordHasher()
# Verified against when the user does not exist, so that a wrong name costs as much time as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")
MIN_PASSWORD = 12


@dataclass(frozen=True)
class UserInfo:
    name: str
    role: str
    teams: tuple[str, ...] | None
    disabled: bool
    has_password: bool
    created_at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "teams": list(self.teams) if self.teams is not None else None,
            "disabled": self.disabled,
            "has_password": self.has_password,
            "created_at": self.created_at.isoformat(),
        }


def _info(user: User) -> UserInfo:
    created = user.created_at if user.created_at.tzinfo else user.created_at.replace(tzinfo=dt.UTC)
    teams = tuple(user.teams) if user.teams is not None else None
    return UserInfo(user.name, user.role, teams, user.disabled, user.password_hash is not None, created)


def _snapshot(user: User) -> dict[str, Any]:
    return {"role": user.role, "teams": user.teams, "disabled": user.disabled}


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200 or any(c.isspace() for c in name):
        raise FieldError("name", "a user name of 1 to 200 characters without spaces")
    return name


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise FieldError("password", f"a password of at least {MIN_PASSWORD} characters")
    return password


def _teams(teams: list[str] | tuple[str, ...] | None) -> list[str] | None:
    if teams is None:
        return None
    cleaned = sorted({t.strip() for t in teams if t.strip()})
    return cleaned or None


def create_user(
    session: Session,
    name: str,
    *,
    role: str,
    actor: str,
    password: str | None = None,
    teams: list[str] | tuple[str, ...] | None = None,
    by: Principal | None = None,
) -> UserInfo:
    """Create a user; without a password the user can only arrive through a trusted proxy. `by` (None: the
    host) cannot create a user with more reach than its own."""
    name = _check_name(name)
    check_role(role)
    limits.check_reach(by, role=role, teams=_teams(teams))
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise ConflictError(f"a user named {name!r} already exists")
    user = User(
        name=name,
        role=role,
        teams=_teams(teams),
        password_hash=_hasher.hash(_check_password(password)) if password is not None else None,
        session_epoch=0,
        disabled=False,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action="create", kind="user", key=name, after=_snapshot(user))
    return _info(user)


def _get(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFoundError("user", name)
    return user


def update_user(
    session: Session,
    name: str,
    *,
    actor: str,
    role: str | None = None,
    teams: list[str] | tuple[str, ...] | None = None,
    all_teams: bool = False,
    disabled: bool | None = None,
    keep_one: bool = False,
    by: Principal | None = None,
) -> UserInfo:
    """Change a user's role, teams or disabled flag; disabling ends the user's sessions. With `keep_one`
    (a server not on loopback), disabling the last credential that can sign in is refused."""
    user = _get(session, name)
    # A limited principal may change only users within its reach, and only to within its reach.
    limits.check_reach(by, role=user.role, teams=user.teams)
    new_teams = None if all_teams else (_teams(teams) if teams is not None else user.teams)
    limits.check_reach(by, role=role or user.role, teams=new_teams)
    if keep_one and disabled and not user.disabled:
        refuse_last_credential(session, f"user {name}")
    before = _snapshot(user)
    if role is not None:
        user.role = check_role(role)
    if all_teams:
        user.teams = None
    elif teams is not None:
        user.teams = _teams(teams)
    if disabled is not None:
        if disabled and not user.disabled:
            user.session_epoch += 1
        user.disabled = disabled
    after = _snapshot(user)
    if after != before:
        audit.record(session, actor=actor, action="update", kind="user", key=name, before=before, after=after)
    return _info(user)


def set_password(session: Session, name: str, password: str, *, actor: str) -> None:
    """Set a user's password (ending their sessions); the audit entry records that it changed, not what to."""
    user = _get(session, name)
    user.password_hash = _hasher.hash(_check_password(password))
    user.session_epoch += 1
    audit.record(session, actor=actor, action="set-password", kind="user", key=name)


def list_users(session: Session, *, by: Principal | None = None) -> list[UserInfo]:
    """Every user; for a principal limited to some teams (`by`), only the users within its reach: limited to
    some of those teams (a user of every team, or of another team, is beyond it)."""
    found = [_info(u) for u in session.scalars(select(User).order_by(User.name))]
    return [u for u in found if limits.within_reach(by, u.teams)]


def principal_for(user: User, *, via: str) -> Principal:
    teams = tuple(user.teams) if user.teams is not None else None
    return Principal(name=user.name, role=user.role, teams=teams, via=via)


def find_user(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name))


def check_password(session: Session, name: str, password: str) -> User | None:
    """The active user `name` if `password` is theirs, else None (in the same time either way)."""
    user = find_user(session, name)
    stored = user.password_hash if user is not None and not user.disabled else None
    try:
        _hasher.verify(stored or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or stored is None:
        return None
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    return user


def end_sessions(session: Session, name: str) -> None:
    """End every session of `name` (sign-out signs out everywhere)."""
    user = find_user(session, name)
    if user is not None:
        user.session_epoch += 1


def sign_in_configured(session: Session) -> bool:
    """Whether sign-in is required: once any user or token has been created, even one since disabled or
    revoked. Without it, the server runs open on loopback only, with the local user as admin. Read from the
    database on every request, so revoking the last credential never opens the server again."""
    return bool(session.scalar(select(exists().where(User.id.is_not(None)) | exists().select_from(ApiToken))))


RECOVERY = (
    "create a new admin on the host with `missionos auth user create NAME --role admin` "
    "(or `missionos auth token create --name NAME --scope admin`)"
)


def active_credentials(session: Session) -> int:
    """How many credentials can still sign in: active users plus unrevoked tokens."""
    from sqlalchemy import func

    active_users = session.scalar(select(func.count()).select_from(User).where(User.disabled.is_(False)))
    active_tokens = session.scalar(
        select(func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_(None))
    )
    return int(active_users or 0) + int(active_tokens or 0)


def refuse_last_credential(session: Session, what: str) -> None:
    """Refuse to disable or revoke `what` when it is the last credential that can sign in (a server not on
    loopback would then lock everyone out); says how to recover on the host."""
    if active_credentials(session) <= 1:
        raise ConflictError(
            f"{what} is the last credential that can sign in, and this server does not listen on loopback "
            f"only; first {RECOVERY}"
        )
