"""Attacks on sign-in: failing open after the last credential goes, DNS rebinding, minting more reach, and the
Secure cookie flag from an untrusted X-Forwarded-Proto."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi.testclient import TestClient

from missionos.accounts import users
from missionos.store import Database
from missionos.web.app import create_app
from missionos.web.security import SecurityConfig, _networks, default_allowed_hosts
from tests.accounts.conftest import ORIGIN, PASSWORD, csrf_of
from tests.conftest import Cli


@contextmanager
def served(db: Database, config: SecurityConfig, peer: str = "203.0.113.9") -> Iterator[httpx.Client]:
    with TestClient(create_app(db, config), client=(peer, 5000)) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


# ---- 1. never fail open ----


def test_revoking_the_last_token_on_an_open_address_is_refused_with_the_recovery(
    db: Database, make_token: Callable[..., str]
) -> None:
    admin = make_token("admin", name="only")
    with served(db, SecurityConfig(bind_host="0.0.0.0")) as client:
        prefix = admin.split("_")[1]
        refused = client.delete(f"/api/v1/accounts/tokens/{prefix}", headers=bearer(admin))
        assert refused.status_code == 409
        assert "missionos auth user create" in refused.json()["detail"]
        # the token still works, and anonymous callers are still refused
        assert client.get("/api/v1/accounts/me", headers=bearer(admin)).status_code == 200
        assert client.get("/api/v1/accounts/me").status_code == 401


def test_after_the_last_credential_is_revoked_anonymous_callers_are_not_admins(
    db: Database, make_token: Callable[..., str]
) -> None:
    admin = make_token("admin", name="only")
    with served(db, SecurityConfig(bind_host="127.0.0.1")) as client:
        prefix = admin.split("_")[1]
        assert client.delete(f"/api/v1/accounts/tokens/{prefix}", headers=bearer(admin)).status_code == 200
        assert client.get("/api/v1/accounts/me").status_code == 401
        minted = client.post("/api/v1/accounts/tokens", json={"name": "x", "scope": "admin"})
        assert minted.status_code == 401
    with db.session() as session:
        assert users.sign_in_configured(session)


def test_disabling_the_last_user_on_an_open_address_is_refused(
    db: Database, make_user: Callable[..., str], make_token: Callable[..., str]
) -> None:
    make_user("ana", "admin")
    with served(db, SecurityConfig(bind_host="0.0.0.0")) as client:
        token = make_token("admin", name="helper")
        # two credentials: disabling the user is fine
        patched = client.patch("/api/v1/accounts/users/ana", json={"disabled": True}, headers=bearer(token))
        assert patched.status_code == 200
        prefix = token.split("_")[1]
        assert client.delete(f"/api/v1/accounts/tokens/{prefix}", headers=bearer(token)).status_code == 409


def test_the_host_recovers_on_the_command_line(
    db: Database, cli: Cli, make_token: Callable[..., str]
) -> None:
    admin = make_token("admin", name="only")
    assert cli("auth", "token", "revoke", admin.split("_")[1]).exit_code == 0
    created = cli("auth", "token", "create", "--name", "again", "--scope", "admin")
    assert created.exit_code == 0
    with served(db, SecurityConfig(bind_host="0.0.0.0")) as client:
        assert client.get("/api/v1/accounts/me", headers=bearer(created.stdout.strip())).status_code == 200
        assert client.get("/api/v1/accounts/me").status_code == 401


# ---- 3. DNS rebinding ----


def test_a_foreign_host_header_is_refused_even_without_sign_in(db: Database) -> None:
    config = SecurityConfig(allowed_hosts=default_allowed_hosts("127.0.0.1"))
    with served(db, config, peer="127.0.0.1") as client:
        attack = {"host": "attacker.example", "origin": "http://attacker.example"}
        minted = client.post("/api/v1/accounts/tokens", json={"name": "x", "scope": "admin"}, headers=attack)
        assert minted.status_code == 400
        assert "--allowed-host" in minted.json()["detail"]
        for host in ("localhost:8000", "127.0.0.1:8000", "[::1]:8000"):
            assert client.get("/api/v1/accounts/me", headers={"host": host}).status_code == 200, host


def test_allowed_hosts_default_to_the_bound_address_and_localhost() -> None:
    assert default_allowed_hosts("10.0.0.7") == {"10.0.0.7", "localhost"}
    assert default_allowed_hosts("0.0.0.0", ["Mission.example.org"]) == {
        "0.0.0.0",
        "localhost",
        "mission.example.org",
    }
    assert "127.0.0.1" in default_allowed_hosts("127.0.0.1")


def test_serve_passes_the_allowed_hosts_to_its_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISSIONOS_ALLOWED_HOSTS", "mission.example.org,localhost")
    monkeypatch.setenv("MISSIONOS_BIND_HOST", "0.0.0.0")
    config = SecurityConfig.from_env()
    assert config.host_allowed("mission.example.org:443")
    assert not config.host_allowed("attacker.example")
    assert not config.on_loopback


# ---- 2. a limited principal cannot mint more reach ----


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/accounts/tokens", {"name": "wide", "scope": "admin"}),
        ("/api/v1/accounts/tokens", {"name": "other", "scope": "admin", "team": "Payments"}),
        ("/api/v1/accounts/users", {"name": "wide", "role": "admin", "password": PASSWORD}),
        ("/api/v1/accounts/users", {"name": "other", "role": "viewer", "teams": ["Payments"]}),
    ],
)
def test_a_team_limited_admin_cannot_mint_more_reach(
    db: Database, make_token: Callable[..., str], path: str, body: dict[str, object]
) -> None:
    limited = make_token("admin", team="Intake", name="intake-admin")
    with served(db, SecurityConfig()) as client:
        refused = client.post(path, json=body, headers=bearer(limited))
        assert refused.status_code == 403, refused.text
        within = {**body, "name": "inside"}
        if "team" in body or "scope" in body:
            within["team"] = "Intake"
        else:
            within["teams"] = ["Intake"]
        assert client.post(path, json=within, headers=bearer(limited)).status_code == 201


def test_a_team_limited_admin_cannot_widen_a_user(
    db: Database, make_user: Callable[..., str], make_token: Callable[..., str]
) -> None:
    make_user("ana", "viewer", teams=["Intake"])
    make_user("bo", "viewer", teams=["Payments"])
    limited = make_token("admin", team="Intake", name="intake-admin")
    with served(db, SecurityConfig()) as client:
        widen = client.patch("/api/v1/accounts/users/ana", json={"all_teams": True}, headers=bearer(limited))
        assert widen.status_code == 403
        other = client.patch("/api/v1/accounts/users/bo", json={"role": "editor"}, headers=bearer(limited))
        assert other.status_code == 403
        ok = client.patch("/api/v1/accounts/users/ana", json={"role": "editor"}, headers=bearer(limited))
        assert ok.status_code == 200


# ---- 9. Secure only from a trusted proxy ----


@pytest.mark.parametrize(("peer", "secure"), [("10.0.0.5", True), ("203.0.113.9", False)])
def test_the_secure_flag_follows_x_forwarded_proto_only_from_a_trusted_proxy(
    db: Database, make_user: Callable[..., str], peer: str, secure: bool
) -> None:
    make_user("ana", "viewer")
    config = SecurityConfig(trusted_proxies=_networks("10.0.0.5"))
    with served(db, config, peer=peer) as client:
        client.headers["x-forwarded-proto"] = "https"
        form = client.get("/accounts/sign-in")
        token = csrf_of(form.text)
        # the per-browser CSRF cookie may itself be Secure, which an http test client would not send back
        browser = form.headers["set-cookie"].split(";")[0]
        response = client.post(
            "/accounts/sign-in",
            data={"name": "ana", "password": PASSWORD, "csrf_token": token, "next": "/"},
            headers={**ORIGIN, "cookie": browser},
            follow_redirects=False,
        )
        assert response.status_code == 303
        cookie = next(
            c for c in response.headers.get_list("set-cookie") if c.startswith("missionos_session=")
        )
        assert ("secure" in cookie.lower()) is secure
