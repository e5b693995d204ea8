"""The accounts fixtures (tokens made through the real service) for the platform API tests."""

from tests.accounts.conftest import make_token

__all__ = ["make_token"]
