"""Signed, stateless session cookies and CSRF tokens.

A session cookie carries the user's name, their session epoch and when it was issued, signed with HMAC-SHA256
under the server's key (kept in the database, shared by every worker). Bumping the user's epoch (sign-out,
password change, disabling) ends every session issued before it. A CSRF token is an HMAC of the value it is
bound to: the session cookie when signed in, else a random per-browser cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from sqlalchemy.orm import Session

from missionos.accounts.identity import Principal
from missionos.accounts.models import User
from missionos.accounts.settings import secret_key
from missionos.accounts.users import find_user, principal_for

MAX_AGE = 12 * 3600


def _sign(key: bytes, data: str, purpose: str) -> str:
    return hmac.new(key, f"{purpose}|{data}".encode(), hashlib.sha256).hexdigest()


def issue(session: Session, user: User) -> str:
    """A session cookie value for `user`."""
    body = json.dumps({"u": user.name, "e": user.session_epoch, "t": int(time.time())}, separators=(",", ":"))
    data = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
    return f"{data}.{_sign(secret_key(session), data, 'session')}"


def resolve(session: Session, cookie: str) -> Principal | None:
    """The principal of a session cookie, or None when it is forged, expired, signed out or disabled."""
    data, _, signature = cookie.partition(".")
    if not data or not hmac.compare_digest(signature, _sign(secret_key(session), data, "session")):
        return None
    try:
        body = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
        name, epoch, issued = str(body["u"]), int(body["e"]), int(body["t"])
    except (ValueError, KeyError, TypeError):
        return None
    if time.time() - issued > MAX_AGE:
        return None
    user = find_user(session, name)
    if user is None or user.disabled or user.session_epoch != epoch:
        return None
    return principal_for(user, via="session")


def csrf_token(key: bytes, binding: str) -> str:
    """The CSRF token for a session cookie or per-browser cookie value."""
    return _sign(key, binding, "csrf")


def csrf_valid(key: bytes, binding: str, presented: str) -> bool:
    return bool(binding) and hmac.compare_digest(presented, csrf_token(key, binding))
