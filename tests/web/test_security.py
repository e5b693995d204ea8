"""Web safety: security headers, CSRF, request size limit, escaping, and the authorization pattern."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from missionos.accounts import audit
from missionos.store import Database
from missionos.web.security import Principal, require
from tests.accounts.conftest import ORIGIN, csrf_of, sign_in


@pytest.mark.parametrize(
    ("role", "team", "wanted", "wanted_team", "allowed"),
    [
        ("viewer", None, "editor", None, False),
        ("editor", None, "editor", None, True),
        ("admin", None, "editor", None, True),
        ("editor", ("Intake",), "editor", "Intake", True),
        ("editor", ("Intake",), "editor", "Payments", False),
    ],
)
def test_roles_rank_and_teams_limit(
    role: str, team: tuple[str, ...] | None, wanted: str, wanted_team: str | None, allowed: bool
) -> None:
    assert Principal("p", role, team).may(wanted, wanted_team) is allowed


def test_unknown_role_is_refused_at_definition() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        require("owner")


def test_every_response_carries_the_security_headers(client: httpx.Client) -> None:
    for path in ("/", "/api/v1/health", "/static/missionos.css", "/nope"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        script_src = next(d for d in csp.split("; ") if d.startswith("script-src"))
        assert script_src == "script-src 'self'", path  # no inline script, no eval
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"


def test_no_page_has_inline_script(client: httpx.Client) -> None:
    import re

    for path in ("/", "/delivery", "/flow", "/experiments", "/compliance", "/accounts", "/accounts/audit"):
        html = client.get(path, headers={"accept": "text/html"}).text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, f"{path}: inline {tag}"
        assert not re.search(r"\son[a-z]+\s*=", html), f"{path}: inline event handler"


def test_browser_form_post_without_csrf_token_is_refused(client: httpx.Client) -> None:
    response = client.post(
        "/accounts/users", data={"name": "eve", "role": "admin"}, headers={"sec-fetch-site": "same-origin"}
    )
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    with_token = client.post(
        "/accounts/users",
        data={"name": "eve", "role": "viewer", "csrf_token": csrf_of(client.get("/accounts").text)},
        headers={"sec-fetch-site": "same-origin"},
        follow_redirects=False,
    )
    assert with_token.status_code == 303


def test_token_from_another_browser_is_refused(client: httpx.Client, db: Database) -> None:
    mine = csrf_of(client.get("/accounts").text)
    client.cookies.clear()  # another browser: its own CSRF cookie, so my token does not fit it
    response = client.post(
        "/accounts/users", data={"name": "eve", "role": "viewer", "csrf_token": mine}, headers=ORIGIN
    )
    assert response.status_code == 403


def test_cross_origin_writes_are_refused_even_as_json(client: httpx.Client) -> None:
    for headers in ({"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"}):
        response = client.post(
            "/api/v1/accounts/tokens", json={"name": "x", "scope": "admin"}, headers=headers
        )
        assert response.status_code == 403, headers
    assert client.get("/api/v1/accounts/tokens").json() == []


def test_signed_in_form_post_needs_the_session_bound_token(
    client: httpx.Client, make_user: Callable[..., str]
) -> None:
    make_user("ana", "admin")
    sign_in(client, "ana")
    # No Origin header at all: the session cookie alone makes it a browser request that needs the token.
    bare = client.post("/accounts/tokens", data={"name": "x", "scope": "read"})
    assert bare.status_code == 403
    token = csrf_of(client.get("/accounts").text)
    ok = client.post("/accounts/tokens", data={"name": "x", "scope": "read", "csrf_token": token})
    assert (ok.status_code == 200 and "Copy it now" in ok.text) or "copy it now" in ok.text


def test_request_size_limit(db: Database) -> None:
    from fastapi.testclient import TestClient

    from missionos.web.app import create_app
    from missionos.web.security import SecurityConfig

    with TestClient(create_app(db, SecurityConfig(max_request_bytes=2048))) as client:
        declared = client.post(
            "/api/v1/accounts/tokens", content=b"x" * 4096, headers={"content-type": "application/json"}
        )
        assert declared.status_code == 413

        def chunks():  # no Content-Length: counted as it arrives
            for _ in range(8):
                yield b"y" * 512

        streamed = client.post("/hooks/github", content=chunks())
        assert streamed.status_code == 413
        small = client.post("/api/v1/accounts/tokens", json={"name": "ok", "scope": "read"})
        assert small.status_code == 201


def test_text_attributes_and_json_are_escaped(client: httpx.Client, db: Database) -> None:
    evil = '"><script>alert(1)</script>'
    with db.session() as session:
        audit.record(session, actor=evil, action="update", kind="plan", key=evil, after={"x": "</script><b>"})
    html = client.get(f"/accounts/audit?actor={evil}", headers={"accept": "text/html"}).text
    assert "<script>alert(1)</script>" not in html and "</script><b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'value="&#34;&gt;&lt;script&gt;' in html or "&#34;&gt;&lt;script&gt;" in html


def test_local_user_is_admin_only_without_sign_in(
    client: httpx.Client, make_user: Callable[..., str]
) -> None:
    page = client.get("/", headers={"accept": "text/html"}).text
    assert "no sign-in" in page
    assert client.get("/api/v1/accounts/me").json()["role"] == "admin"
    make_user("ana", "viewer")
    assert client.get("/api/v1/accounts/me").status_code == 401


def test_api_reference_is_served_without_a_cdn(client: httpx.Client) -> None:
    html = client.get("/api/v1/docs", headers={"accept": "text/html"}).text
    assert "/api/v1/accounts/tokens" in html and "/hooks/github" in html
    assert 'src="http' not in html and 'href="http' not in html
