"""Web sign-in: argon2id hashes, signed session cookies, sign-out everywhere, rate limits."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import select

from missionos.accounts import users
from missionos.accounts.models import User
from missionos.store import Database
from tests.accounts.conftest import ORIGIN, PASSWORD, csrf_of, sign_in


def test_password_is_stored_as_argon2id(db: Database, make_user: Callable[..., str]) -> None:
    make_user("ana", "editor")
    with db.session() as session:
        row = session.scalar(select(User).where(User.name == "ana"))
        assert row is not None and row.password_hash is not None
        assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash


def test_short_password_is_refused_naming_the_field(db: Database) -> None:
    from missionos.errors import FieldError

    with pytest.raises(FieldError, match="at least 12"), db.session() as session:
        users.create_user(session, "ana", role="viewer", actor="t", password="short")


def test_once_a_user_exists_pages_need_sign_in(client: httpx.Client, make_user: Callable[..., str]) -> None:
    assert client.get("/api/v1/accounts/me").json()["via"] == "local"
    make_user("ana", "viewer")
    page = client.get("/delivery", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/accounts/sign-in?next=/delivery"
    api = client.get("/api/v1/delivery/services")
    assert api.status_code == 401 and api.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/health").status_code == 200  # liveness stays public


def test_sign_in_sets_a_session_and_sign_out_ends_it_everywhere(
    client: httpx.Client, make_user: Callable[..., str]
) -> None:
    make_user("ana", "editor", teams=["Intake"])
    response = sign_in(client, "ana")
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.cookies["missionos_session"]
    assert "httponly" in response.headers["set-cookie"].lower()
    assert "samesite=lax" in response.headers["set-cookie"].lower()
    me = client.get("/api/v1/accounts/me").json()
    assert me == {"name": "ana", "role": "editor", "teams": ["Intake"], "via": "session"}

    token = csrf_of(client.get("/delivery").text)
    out = client.post(
        "/accounts/sign-out", data={"csrf_token": token}, headers=ORIGIN, follow_redirects=False
    )
    assert out.status_code == 303
    # The old cookie no longer works even if someone kept a copy: the user's session epoch moved on.
    stale = httpx.Cookies({"missionos_session": cookie})
    client.cookies = stale
    assert client.get("/api/v1/accounts/me").status_code == 401


def test_wrong_password_unknown_user_and_disabled_user_are_refused_alike(
    client: httpx.Client, db: Database, make_user: Callable[..., str]
) -> None:
    make_user("ana", "editor")
    make_user("bob", "editor")
    with db.session() as session:
        users.update_user(session, "bob", actor="t", disabled=True)
    for name, password in (("ana", "wrong password!!"), ("nobody", PASSWORD), ("bob", PASSWORD)):
        response = sign_in(client, name, password)
        assert response.status_code == 401, name
        assert "do not match an active account" in response.text
        assert "missionos_session" not in response.cookies


def test_tampered_session_cookie_is_refused(client: httpx.Client, make_user: Callable[..., str]) -> None:
    make_user("ana", "viewer")
    cookie = sign_in(client, "ana").cookies["missionos_session"]
    data, _, signature = cookie.partition(".")
    import base64
    import json

    body = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    body["u"] = "root"
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=") + "." + signature
    client.cookies = httpx.Cookies({"missionos_session": forged})
    assert client.get("/api/v1/accounts/me").status_code == 401


def test_sign_in_is_rate_limited_per_address(
    client: httpx.Client, make_user: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user("ana", "viewer")
    client.app.state.security = type(client.app.state.security)(sign_in_limit=3)  # type: ignore[attr-defined]
    codes = [sign_in(client, "ana", "wrong password!!").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    limited = sign_in(client, "ana")  # even the right password waits
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


def test_next_only_goes_to_this_site(client: httpx.Client, make_user: Callable[..., str]) -> None:
    make_user("ana", "viewer")
    for target, expected in (("/flow", "/flow"), ("//evil.example/x", "/"), ("https://evil.example", "/")):
        token = csrf_of(client.get("/accounts/sign-in").text)
        response = client.post(
            "/accounts/sign-in",
            data={"name": "ana", "password": PASSWORD, "csrf_token": token, "next": target},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert response.headers["location"] == expected, target


def test_proxy_identity_is_taken_only_from_trusted_proxies(
    db: Database, make_user: Callable[..., str]
) -> None:
    from fastapi.testclient import TestClient

    from missionos.web.app import create_app
    from missionos.web.security import SecurityConfig, _networks

    make_user("ana", "editor", password=None)
    loopback = SecurityConfig(proxy_header="x-remote-user", trusted_proxies=_networks("127.0.0.1"))
    with TestClient(create_app(db, loopback), client=("127.0.0.1", 5000)) as client:
        me = client.get("/api/v1/accounts/me", headers={"x-remote-user": "ana"}).json()
        assert me == {"name": "ana", "role": "editor", "teams": None, "via": "proxy"}
        stranger = client.get("/api/v1/accounts/me", headers={"x-remote-user": "zed"}).json()
        assert stranger["role"] == "viewer" and stranger["via"] == "proxy"
        assert client.get("/api/v1/accounts/me").status_code == 401
    with TestClient(create_app(db, loopback), client=("10.1.2.3", 5000)) as client:
        assert client.get("/api/v1/accounts/me", headers={"x-remote-user": "ana"}).status_code == 401


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("10.0.0.5", "203.0.113.7", "203.0.113.7"),
        ("10.0.0.5", "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the left part is the client's to write
        ("10.0.0.5", "203.0.113.7, 10.0.0.6", "203.0.113.7"),  # a second trusted proxy is skipped
        ("10.0.0.5", "garbage, 203.0.113.7", "203.0.113.7"),
        ("10.0.0.5", "203.0.113.7, garbage", "10.0.0.5"),  # nothing left of a malformed hop is trusted
        ("10.0.0.5", None, "10.0.0.5"),
        ("192.0.2.9", "203.0.113.7", "192.0.2.9"),  # an untrusted peer cannot name another address
    ],
)
def test_client_address_is_read_through_trusted_proxies_only(
    peer: str, forwarded: str | None, expected: str
) -> None:
    from missionos.web.security import SecurityConfig, _networks

    config = SecurityConfig(trusted_proxies=_networks("10.0.0.0/29"))
    assert config.client_address(peer, forwarded) == expected


def test_sign_in_limit_counts_clients_behind_a_trusted_proxy_apart(
    db: Database, make_user: Callable[..., str]
) -> None:
    from fastapi.testclient import TestClient

    from missionos.web.app import create_app
    from missionos.web.security import SecurityConfig, _networks

    make_user("ana", "viewer")
    config = SecurityConfig(trusted_proxies=_networks("10.0.0.5"), sign_in_limit=2)

    def attempts(peer: str, client: str, n: int) -> list[int]:
        with TestClient(create_app(db, config), client=(peer, 5000)) as http:
            http.headers["x-forwarded-for"] = client
            return [sign_in(http, "ana", "wrong password!!").status_code for _ in range(n)]

    assert attempts("10.0.0.5", "203.0.113.7", 3) == [401, 401, 429]
    assert attempts("10.0.0.5", "203.0.113.8", 1) == [401], (
        "another client behind the proxy has its own limit"
    )
    # A client talking to the server directly cannot escape its limit by claiming other addresses.
    assert attempts("192.0.2.9", "203.0.113.9", 2) == [401, 401]
    assert attempts("192.0.2.9", "203.0.113.10", 1) == [429]
