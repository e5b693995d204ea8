"""A source's token stays with its API: a `Link: rel=next` or a redirect to another host is not followed, and
no request to another host ever carries the token (GitHub, GitLab, Jira, GitHub issues)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from missionos.delivery.forges import ApiPages, api_client
from missionos.errors import InputError
from missionos.flow.importers.github import GitHubClient
from missionos.flow.importers.jira import JiraClient

TOKEN = "ghp_0123456789abcdefghijklmnopqrstuvwxyz"


class Recorder:
    """Answers like the forge, except that page 1 points elsewhere; records what each host received."""

    def __init__(self, respond: Callable[[httpx.Request], httpx.Response]) -> None:
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.respond = respond

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.url.host, dict(request.headers)))
        return self.respond(request)

    def hosts(self) -> set[str]:
        return {host for host, _ in self.seen}


def _pull(number: int) -> dict[str, object]:
    return {
        "number": number,
        "state": "closed",
        "merged_at": "2026-06-02T11:00:00Z",
        "user": {"login": "ann"},
    }


def test_github_pagination_to_another_host_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISSIONOS_GITHUB_TOKEN", TOKEN)

    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.github.com":
            return httpx.Response(
                200,
                json=[_pull(12)],
                headers={"link": '<https://collector.example/repos/acme/web/pulls?page=2>; rel="next"'},
            )
        return httpx.Response(200, json=[_pull(13)])

    recorder = Recorder(respond)
    client = api_client(
        "github", "https://api.github.com", "MISSIONOS_GITHUB_TOKEN", transport=httpx.MockTransport(recorder)
    )
    with client, pytest.raises(InputError, match=r"collector\.example"):
        list(ApiPages(client).pages("/repos/acme/web/pulls"))
    assert recorder.hosts() == {"api.github.com"}
    assert recorder.seen[0][1]["authorization"] == f"Bearer {TOKEN}"


def test_gitlab_redirect_to_another_host_keeps_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISSIONOS_GITLAB_TOKEN", TOKEN)

    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/moved"):
            return httpx.Response(302, headers={"location": "https://elsewhere.example/api/v4/projects"})
        if request.url.path.endswith("/same"):
            return httpx.Response(301, headers={"location": "/api/v4/projects/7/deployments"})
        return httpx.Response(200, json=[])

    recorder = Recorder(respond)
    client = api_client(
        "gitlab",
        "https://gitlab.example.org",
        "MISSIONOS_GITLAB_TOKEN",
        transport=httpx.MockTransport(recorder),
    )
    with client:
        followed = client.get("/api/v4/projects/7/same")
        assert followed.status_code == 200 and followed.url.path == "/api/v4/projects/7/deployments"
        assert [h["private-token"] for _, h in recorder.seen] == [TOKEN, TOKEN]
        with pytest.raises(InputError, match=r"elsewhere\.example"):
            client.get("/api/v4/projects/7/moved")
    assert recorder.hosts() == {"gitlab.example.org"}


def test_jira_and_github_issues_keep_their_tokens_home() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(307, headers={"location": "http://169.254.169.254/latest/meta-data/"})

    recorder = Recorder(respond)
    jira = JiraClient(
        "https://acme.atlassian.net",
        token=TOKEN,
        email="a@acme.example",
        transport=httpx.MockTransport(recorder),
    )
    with pytest.raises(InputError, match=r"169\.254\.169\.254"):
        jira.search("project = INT")
    issues = GitHubClient(
        repo="acme/web", token=TOKEN, transport=httpx.MockTransport(recorder), max_retries=0
    )
    with pytest.raises(InputError, match=r"169\.254\.169\.254"):
        issues.fetch()
    assert recorder.hosts() == {"acme.atlassian.net", "api.github.com"}
    assert not any(TOKEN in v for host, h in recorder.seen if host == "169.254.169.254" for v in h.values())
