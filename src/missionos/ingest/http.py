"""The one HTTP client every configured source reads through (GitHub, GitLab, Jira, GitHub issues).

A source is configured with one API origin (scheme, host and port). The client:

- attaches the source's credentials (`Authorization`, `PRIVATE-TOKEN`, ...) only to requests for that
  origin, never as default headers that would travel with any request;
- follows redirects itself, and only to the same origin;
- refuses, naming both, any request for another origin: a `Link: rel=next` or a redirect that points
  elsewhere stops the import with an `InputError` instead of handing the token to another host.

Tests inject an `httpx` transport that replays recorded responses; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from missionos.errors import InputError

MAX_REDIRECTS = 5


def origin_of(url: str | httpx.URL) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port made explicit."""
    parsed = httpx.URL(str(url))
    port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme)
    return parsed.scheme.lower(), parsed.host.lower(), port


class SourceClient(httpx.Client):
    """An `httpx.Client` bound to one API origin; see the module's description."""

    def __init__(
        self,
        base_url: str,
        *,
        credentials: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
    ) -> None:
        super().__init__(
            base_url=base_url.rstrip("/"),
            headers=dict(headers or {}),
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
        )
        self.origin = origin_of(self.base_url)
        self._credentials = dict(credentials or {})
        for name in self._credentials:
            self.headers.pop(name, None)

    def _check(self, url: httpx.URL, came_from: str) -> None:
        if origin_of(url) != self.origin:
            scheme, host, port = self.origin
            raise InputError(
                f"{came_from} points to {url.scheme}://{url.host} (only {scheme}://{host}:{port}, the "
                "configured API, is followed; its credentials go nowhere else)",
                source=str(self.base_url),
            )

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        kwargs["follow_redirects"] = False
        came_from = "the request"
        for _ in range(MAX_REDIRECTS + 1):
            self._check(request.url, came_from)
            for name, value in self._credentials.items():
                request.headers[name] = value
            response = super().send(request, **kwargs)
            if not response.is_redirect:
                return response
            target = request.url.join(response.headers["location"])
            response.close()
            came_from = f"a redirect from {request.url.host}"
            method = "GET" if response.status_code == 303 else request.method
            request = self.build_request(method, target)
        raise InputError(f"more than {MAX_REDIRECTS} redirects", source=str(self.base_url))
