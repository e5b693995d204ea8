"""A verdict's evidence link typed as `javascript:` (or any scheme but http(s)) is shown as text, never as an
href; http(s) and links within the site stay links."""

from __future__ import annotations

import httpx
import pytest

from missionos.links import is_safe_link
from missionos.store import Database
from missionos.strategy import service
from tests.strategy.plans import VALID


@pytest.mark.parametrize(
    ("link", "safe"),
    [
        ("https://ci.example.org/runs/7", True),
        ("http://wiki.example.org/x", True),
        ("/experiments/checkout-v2", True),
        ("reports/7.html", True),
        ("#evidence", True),
        ("javascript:alert(document.cookie)", False),
        (" JavaScript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox(1)", False),
        ("//attacker.example/x", False),
        ("/\\attacker.example", False),
        ("https:///nohost", False),
        ("", False),
    ],
)
def test_only_http_and_site_links_are_safe(link: str, safe: bool) -> None:
    assert is_safe_link(link) is safe


def test_a_javascript_evidence_link_is_rendered_as_text(client: httpx.Client, db: Database) -> None:
    service.apply_plan(db, VALID, actor="a")
    attack = "javascript:fetch('/api/v1/accounts/tokens',{method:'POST'})"
    response = client.post(
        "/api/v1/strategy/verdicts",
        json={"bet": "benefits-2027/B2", "status": "invalidated", "evidence": attack},
    )
    assert response.status_code == 200, response.text
    html = client.get("/strategy/plans/benefits-2027").text
    assert 'href="javascript:' not in html
    assert "javascript:fetch(" in html  # kept, as text
    service.record_verdict(
        db, "benefits-2027/B2", "invalidated", evidence="https://ci.example.org/7", actor="a"
    )
    assert 'href="https://ci.example.org/7"' in client.get("/strategy/plans/benefits-2027").text
