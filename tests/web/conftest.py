"""The accounts fixtures (users and tokens made through the real services) for the web tests."""

from tests.accounts.conftest import make_token, make_user

__all__ = ["make_token", "make_user"]
