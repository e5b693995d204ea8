"""Helpers for the accounts tests: users and tokens made through the real services, signed-in clients."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest

from missionos.accounts import settings, tokens, users
from missionos.delivery import service as delivery
from missionos.store import Database
from tests.accounts import hookdata as h

PASSWORD = "correct horse battery staple"
ORIGIN = {"origin": "http://testserver"}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@pytest.fixture
def make_user(db: Database) -> Callable[..., str]:
    def make(name: str, role: str, teams: list[str] | None = None, password: str | None = PASSWORD) -> str:
        with db.session() as session:
            users.create_user(session, name, role=role, actor="test", password=password, teams=teams)
        return name

    return make


@pytest.fixture
def make_token(db: Database) -> Callable[..., str]:
    def make(scope: str, team: str | None = None, name: str = "t") -> str:
        with db.session() as session:
            _, secret = tokens.create_token(session, name=name, scope=scope, team=team, actor="test")
        return secret

    return make


def sign_in(client: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    token = csrf_of(client.get("/accounts/sign-in").text)
    return client.post(
        "/accounts/sign-in",
        data={"name": name, "password": password, "csrf_token": token, "next": "/"},
        headers=ORIGIN,
        follow_redirects=False,
    )


@pytest.fixture
def hooks_ready(db: Database) -> Database:
    """`db` with a webhook secret for every source and the service intake-web."""
    with db.session() as session:
        for source in settings.HOOK_SOURCES:
            settings.set_hook_secret(session, source, h.SECRET, actor="test")
        delivery.ensure_service(session, "intake-web", team="Intake")
    return db
