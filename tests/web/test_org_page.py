"""The organization page (/org) on SQLite and PostgreSQL: it lists the teams, services, repositories and
value streams of an applied organization, escapes their names, offers the document as a YAML download that
reads back as the same document, and explains how to declare one when there is none."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import yaml

from missionos.organization import apply_org, export_org, parse_org, read_org_file
from missionos.store import Database

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "org.yaml"
TRICKY = '<b>ops</b> & "co"'


def _apply(db: Database, document: dict[str, object]) -> None:
    with db.session() as session:
        apply_org(session, parse_org(document))


def test_the_page_lists_teams_services_repositories_and_streams(client: httpx.Client, db: Database) -> None:
    with db.session() as session:
        apply_org(session, read_org_file(EXAMPLE))
    _apply(db, {"services": [{"name": "legacy-batch", "repositories": ["/srv/git/batch.git"]}]})
    response = client.get("/org", headers={"accept": "text/html"})
    assert response.status_code == 200
    html = response.text
    assert "<h1>Organization</h1>" in html
    for team in ("intake", "eligibility"):
        assert f">{team}</h2>" in html
        assert f'href="/delivery/teams/{team}"' in html
    for service in ("intake-web", "intake-api", "eligibility-engine", "legacy-batch"):
        assert f'<a href="/delivery/services/{service}">{service}</a>' in html
    assert "https://git.benefits-agency.example/intake/platform.git" in html
    assert "<code>services/api/</code>" in html and "<code>trunk</code>" in html
    assert "prod-eu, prod-us" in html and "2026-01-05T00:00:00Z" in html
    assert '<a href="/flow/streams/intake-delivery">intake-delivery</a>' in html
    assert "Refine → Build → Review → Release" in html
    # The service that belongs to no team is listed under "No team", after the teams.
    assert html.index(">No team</h2>") > html.index(">intake</h2>")
    assert html.index('href="/delivery/services/legacy-batch"') > html.index(">No team</h2>")
    # The drawing: one box per team and per service, with its text alternative.
    svg = re.search(r"<svg.*?</svg>", html, re.S)
    assert svg is not None
    assert svg.group(0).count('<g class="service">') == 4
    assert svg.group(0).count('<g class="team') == 3
    assert "intake: 2 services (intake-api, intake-web)" in svg.group(0)
    # The nav names the page, and the page is the current section.
    assert '<a href="/org" aria-current="page">Organization</a>' in html
    assert 'href="/org/org.yaml"' in html and "missionos org apply org.yaml" in html
    assert "PUT /api/v1/org" in html
    # No inline script (the CSP forbids it).
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", html))
    assert not re.search(r"\son[a-z]+\s*=", html)


def test_names_are_escaped_on_the_page_and_in_the_drawing(client: httpx.Client, db: Database) -> None:
    _apply(
        db,
        {
            "teams": [{"name": TRICKY, "description": "<script>alert(1)</script>"}],
            "services": [
                {"name": "<i>svc</i>", "team": TRICKY, "repositories": ["https://x.example/<r>.git"]}
            ],
        },
    )
    html = client.get("/org", headers={"accept": "text/html"}).text
    assert "<b>ops</b>" not in html and "<i>svc</i>" not in html and "<script>alert" not in html
    assert ">&lt;b&gt;ops&lt;/b&gt; &amp; &#34;co&#34;</h2>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    svg = re.search(r"<svg.*?</svg>", html, re.S)
    assert svg is not None and "&lt;b&gt;ops&lt;/b&gt; &amp; &quot;co&quot;" in svg.group(0)
    assert "&lt;i&gt;svc&lt;/i&gt;" in html and "https://x.example/&lt;r&gt;.git" in html
    assert 'href="/delivery/services/%3Ci%3Esvc%3C/i%3E"' in html


def test_the_yaml_download_reads_back_as_the_same_document(client: httpx.Client, db: Database) -> None:
    with db.session() as session:
        apply_org(session, read_org_file(EXAMPLE))
    _apply(db, {"teams": [TRICKY], "services": [{"name": "ünïcode", "team": TRICKY}]})
    response = client.get("/org/org.yaml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/yaml")
    assert response.headers["content-disposition"] == 'attachment; filename="org.yaml"'
    downloaded = yaml.safe_load(response.text)
    with db.session() as session:
        exported = export_org(session)
    assert downloaded == exported
    assert parse_org(downloaded) == parse_org(exported)
    # Applying it back changes nothing.
    with db.session() as session:
        result = apply_org(session, parse_org(downloaded), dry_run=True)
    assert result.count("unchanged") == len(result.changes) > 0


def test_an_empty_organization_says_how_to_declare_one(client: httpx.Client) -> None:
    response = client.get("/org", headers={"accept": "text/html"})
    assert response.status_code == 200
    html = response.text
    assert "No organization declared yet" in html
    assert "missionos org apply org.yaml" in html and "docs/examples/org.yaml" in html
    assert "<svg" not in html
    download = client.get("/org/org.yaml")
    assert yaml.safe_load(download.text) == {"teams": [], "services": [], "streams": []}


def test_reading_the_page_needs_the_viewer_role_once_sign_in_is_on(
    client: httpx.Client, make_user: Callable[..., str], make_token: Callable[..., str]
) -> None:
    assert client.get("/org", headers={"accept": "text/html"}).status_code == 200  # sign-in off: local
    make_user("ana", "viewer")  # a user exists: sign-in is on
    for path in ("/org", "/org/org.yaml"):
        assert client.get(path).status_code == 401
    reader = {"authorization": f"Bearer {make_token('read')}"}
    page = client.get("/org", headers={**reader, "accept": "text/html"})
    assert page.status_code == 200 and "No organization declared yet" in page.text
    assert client.get("/org/org.yaml", headers=reader).status_code == 200


def test_a_large_organization_is_drawn_as_a_bar_per_team(client: httpx.Client, db: Database) -> None:
    services = [{"name": f"svc-{k:02d}", "team": "big" if k % 3 else "small"} for k in range(45)]
    _apply(db, {"teams": ["big", "small"], "services": services})
    html = client.get("/org", headers={"accept": "text/html"}).text
    svg = re.search(r"<svg.*?</svg>", html, re.S)
    assert svg is not None
    assert '<g class="service">' not in svg.group(0)
    assert svg.group(0).count('<g class="team">') == 2
    assert "big: 30 services; small: 15 services." in svg.group(0)
    assert "How many services each team deploys." in html
    assert html.count('href="/delivery/services/svc-') == 45
