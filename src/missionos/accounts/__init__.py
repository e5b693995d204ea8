"""The `accounts` context: users, API tokens and the append-only audit log.

Every write to plans, flags, mappings, attestations, tokens or users calls `audit.record(...)` in the same
transaction as the write, so the log and the data never disagree.

Its public surface is `__all__`: the names below, each loaded from its subject module on first use (so
importing the package costs nothing), and the public submodules `__all__` lists. Other contexts and the
shells import only these (tests/test_public_surface.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from missionos.surface import lazy_surface

if TYPE_CHECKING:
    from missionos.accounts import audit as audit
    from missionos.accounts import limits as limits
    from missionos.accounts import sessions as sessions
    from missionos.accounts import settings as settings
    from missionos.accounts import throttle as throttle
    from missionos.accounts import tokens as tokens
    from missionos.accounts import users as users
    from missionos.accounts.identity import ANONYMOUS as ANONYMOUS
    from missionos.accounts.identity import LOCAL as LOCAL
    from missionos.accounts.identity import ROLES as ROLES
    from missionos.accounts.identity import Principal as Principal
    from missionos.accounts.models import Setting as Setting
    from missionos.accounts.users import sign_in_configured as sign_in_configured

__all__ = [
    "ANONYMOUS",
    "LOCAL",
    "ROLES",
    "Principal",
    "Setting",
    "audit",
    "limits",
    "sessions",
    "settings",
    "sign_in_configured",
    "throttle",
    "tokens",
    "users",
]

# Where each public name lives (the module, under this package).
_HOMES = {
    "ANONYMOUS": "identity",
    "LOCAL": "identity",
    "Principal": "identity",
    "ROLES": "identity",
    "Setting": "models",
    "sign_in_configured": "users",
}
_SUBMODULES: frozenset[str] = frozenset(
    ["audit", "limits", "sessions", "settings", "throttle", "tokens", "users"]
)

__getattr__, __dir__ = lazy_surface(__name__, _HOMES, _SUBMODULES)
