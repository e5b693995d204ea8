"""The accounts helpers (users and tokens made through the real services) for the attack tests."""

from tests.accounts.conftest import hooks_ready, make_token, make_user

__all__ = ["hooks_ready", "make_token", "make_user"]
