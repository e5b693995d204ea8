"""Page assets are served by the app itself: no CDN."""

from __future__ import annotations

import httpx


def test_vega_bundle_is_served_locally_with_a_long_cache(client: httpx.Client) -> None:
    response = client.get("/assets/vega.js")
    assert response.status_code == 200
    assert "vegaEmbed" in response.text
    assert "max-age=31536000" in response.headers["cache-control"]


def test_static_files_are_served(client: httpx.Client) -> None:
    assert "data-charts-ready" in client.get("/static/charts.js").text
    assert client.get("/static/missionos.css").status_code == 200
