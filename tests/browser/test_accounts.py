"""Sign-in, the admin page and the Content-Security-Policy in a real Chromium against `missionos serve`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from missionos.accounts import users
from missionos.store import open_database
from tests.accounts.conftest import PASSWORD
from tests.conftest import LiveServer, free_port, wait_healthy

pytestmark = pytest.mark.browser


def _violations(page: Any) -> list[str]:
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None)
    return found


def test_charts_render_under_the_content_security_policy(page: Any, live_server: LiveServer) -> None:
    violations = _violations(page)
    for path, chart in (("/delivery", "#org-deployment_frequency"), ("/", "[data-vega-spec]")):
        response = page.goto(live_server.url + path)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_selector("body[data-charts-ready]", state="attached", timeout=30_000)
        assert page.locator("body[data-charts-error]").count() == 0, path
        assert page.locator(f"{chart} svg path").count() > 0, f"{path}: the chart drew no marks"
    assert violations == [], violations


@pytest.fixture
def signed_in_server(tmp_path: Path) -> Iterator[str]:
    """`missionos serve` over a database with one admin, so sign-in is required."""
    url_db = f"sqlite:///{tmp_path / 'accounts.db'}"
    db = open_database(url_db)
    with db.session() as session:
        users.create_user(session, "ana", role="admin", actor="test", password=PASSWORD)
    db.dispose()
    port = free_port()
    env = {**os.environ, "MISSIONOS_HOME": str(tmp_path), "MISSIONOS_DATABASE_URL": url_db}
    proc = subprocess.Popen(
        [sys.executable, "-m", "missionos.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    assert wait_healthy(url), "missionos serve did not start"
    try:
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)


def test_sign_in_create_a_token_once_and_sign_out(page: Any, signed_in_server: str, tmp_path: Path) -> None:
    violations = _violations(page)
    page.goto(signed_in_server + "/delivery")
    page.wait_for_url("**/accounts/sign-in?next=/delivery")
    page.get_by_label("Name").fill("ana")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert "do not match an active account" in page.locator("[role=alert]").inner_text()
    page.get_by_label("Name").fill("ana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/delivery")
    assert "ana · admin" in page.locator(".account").inner_text()

    page.get_by_role("link", name="Admin").click()
    page.wait_for_url("**/accounts")
    page.locator("summary", has_text="Create a token").click()
    page.get_by_label("Name (what uses it)").fill("ci-pipeline")
    page.get_by_label("Scope").select_option("write")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token").inner_text()
    assert secret.startswith("mos_")
    page.screenshot(path=str(tmp_path / "token-created.png"), full_page=True)
    me = httpx.get(signed_in_server + "/api/v1/accounts/me", headers={"authorization": f"Bearer {secret}"})
    assert me.json()["role"] == "editor"

    page.goto(signed_in_server + "/accounts")
    assert secret not in page.content()  # shown once only
    assert "ci-pipeline" in page.locator("#tokens").inner_text()
    page.goto(signed_in_server + "/accounts/audit")
    assert "token" in page.locator("table.audit").inner_text()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/sign-in")
    page.goto(signed_in_server + "/accounts")
    page.wait_for_url("**/accounts/sign-in?next=/accounts")
    assert violations == [], violations
