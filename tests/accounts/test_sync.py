"""`missionos sync`: the sources file, runs recorded per source, incremental reads, failures kept apart, the
lease, and the admin page and API that show them. Remote APIs answer with recorded, real-shaped responses."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from missionos.accounts.models import Setting
from missionos.delivery.models import Deployment, PullRequest
from missionos.errors import FieldError, InputError
from missionos.flow.models import WorkItem
from missionos.ingest import inbox, sync
from missionos.ingest.models import SyncRun
from missionos.store import Database
from tests.accounts.conftest import ORIGIN, csrf_of
from tests.conftest import Cli
from tests.datafiles import JIRA_REST
from tests.delivery.gitrepo import GitRepo
from tests.delivery.test_forges import github_routes

JIRA = JIRA_REST


def sources_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def github_transport(routes: dict[str, list[tuple[Any, dict[str, str]]]]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        body, headers = routes[request.url.raw_path.decode().split("?")[0]][0]
        return httpx.Response(200, json=body, headers=headers)

    return httpx.MockTransport(handle)


def jira_transport(seen: list[str]) -> httpx.MockTransport:
    sample = [json.loads(line) for line in (JIRA / "issues.jsonl").read_text(encoding="utf-8").splitlines()]

    def handle(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/rest/api/2/search"
        seen.append(request.url.params["jql"])
        start = int(request.url.params["startAt"])
        page = sample[start : start + 50]
        return httpx.Response(
            200, json={"startAt": start, "maxResults": 50, "total": len(sample), "issues": page}
        )

    return httpx.MockTransport(handle)


def count(db: Database, model: Any) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


# ---- The sources file ----


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("sources: []", "sources"),
        ("sources:\n  - {name: a, kind: svn, repo: x}", "sources[0].kind"),
        ("sources:\n  - {name: a, kind: github, service: web}", "sources[0].repo"),
        ("sources:\n  - {name: a, kind: github, repo: o/r, service: web, tokne: X}", "sources[0].tokne"),
        ("sources:\n  - {name: a, kind: github, repo: not-a-repo, service: web}", "sources[0].repo"),
        ("sources:\n  - {name: 'a b', kind: git, path: ., service: web}", "sources[0].name"),
        (f"sources:\n  - {{name: {'x' * 81}, kind: git, path: ., service: web}}", "sources[0].name"),
        ("every: soon\nsources:\n  - {name: a, kind: git, path: ., service: web}", "every"),
        ("sources:\n  - {name: a, kind: git, path: ., service: web, every: 10s}", "sources[0].every"),
        ("sources:\n  - {name: a, kind: jira, jql: project = X}", "sources[0].url"),
        (
            "sources:\n  - {name: a, kind: git, path: ., service: web}\n"
            "  - {name: a, kind: git, path: ., service: x}",
            "sources[1].name",
        ),
        ("sources:\n  - {name: a, kind: git, path: [1], service: web}", "sources[0].path"),
    ],
)
def test_a_bad_sources_file_names_the_field(tmp_path: Path, text: str, field: str) -> None:
    with pytest.raises(FieldError) as raised:
        sync.read_config(sources_file(tmp_path, text))
    assert raised.value.field == field
    assert raised.value.source == str(tmp_path / "sources.yaml")


def test_a_sources_file_that_is_not_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        sync.read_config(sources_file(tmp_path, "sources:\n  - name: a\n    kind: [git\n"))
    assert raised.value.line == 4


def test_defaults_intervals_and_paths_relative_to_the_file(tmp_path: Path) -> None:
    found = sync.read_config(
        sources_file(
            tmp_path,
            "every: 2h\nsources:\n"
            "  - {name: web, kind: github, repo: acme/web, service: web}\n"
            "  - {name: mirror, kind: git, path: mirrors/web.git, service: web, every: 1h30m}\n"
            "  - {name: drop, kind: jira, from_dir: transfer/jira}\n",
        )
    )
    web, mirror, drop = found.sources
    assert web.every == dt.timedelta(hours=2) and mirror.every == dt.timedelta(minutes=90)
    assert web.options["token_env"] == "GITHUB_TOKEN" and web.options["base_url"] == "https://api.github.com"
    assert mirror.options["path"] == str(tmp_path / "mirrors" / "web.git")
    assert drop.options["from_dir"] == str(tmp_path / "transfer" / "jira")
    assert not drop.incremental, "saved pages are read whole"
    assert sync.span_text(mirror.every) == "1h30m"
    with pytest.raises(FieldError) as raised:
        found.select(["nope"])
    assert raised.value.field == "--source"


def test_jql_is_narrowed_to_what_changed_and_keeps_its_order() -> None:
    since = dt.datetime(2026, 11, 24, 0, 30, tzinfo=dt.UTC)
    assert sync.jql_since("project = EE", None) == "project = EE"
    assert sync.jql_since("project = EE ORDER BY key", since) == (
        '(project = EE) AND updated >= "2026-11-23" ORDER BY key'
    )


def test_a_source_is_due_after_its_interval_and_a_failed_one_sooner() -> None:
    source = sync.Source("web", "git", dt.timedelta(hours=1), {})
    now = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)

    def last(minutes_ago: int, status: str) -> SyncRun:
        return SyncRun(
            source="web", kind="git", started_at=now - dt.timedelta(minutes=minutes_ago), status=status
        )

    assert sync.due(source, None, now)
    assert not sync.due(source, last(30, "ok"), now)
    assert sync.due(source, last(60, "ok"), now)
    assert not sync.due(source, last(3, "failed"), now)
    assert sync.due(source, last(6, "failed"), now), "a failure is tried again after minutes, not an hour"
    assert not sync.due(source, last(10, "running"), now)


# ---- Runs ----


def test_a_github_source_imports_and_its_run_is_recorded(db: Database, tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    c1 = repo.commit("initial", "2026-06-01T09:00:00+00:00")
    head = repo.commit("Search box", "2026-06-02T07:00:00+02:00")
    config = sync.read_config(
        sources_file(
            tmp_path,
            f"sources:\n  - {{name: web-git, kind: git, path: {repo.path}, service: web, branch: main}}\n"
            "  - {name: web, kind: github, repo: acme/web, service: web}\n",
        )
    )
    routes = github_routes(c1, head, head)
    first = sync.run(db, config.sources, transport=github_transport(routes))
    assert [(o.source, o.status, o.error) for o in first] == [("web-git", "ok", None), ("web", "ok", None)]
    assert first[0].summary == {"commits": {"read": 2, "inserted": 2, "updated": 0, "unchanged": 0}}
    assert first[1].summary["pull_requests"]["inserted"] == 1
    assert first[1].summary["deployments"]["inserted"] == 2
    assert (count(db, PullRequest), count(db, Deployment)) == (1, 2)
    again = sync.run(db, config.sources, transport=github_transport(routes))
    assert again[1].since is not None, "the next read starts where the last good one did"
    assert again[1].summary["deployments"]["read"] == 0, "June's deployments are long past"
    assert count(db, Deployment) == 2, "reading a source again changes nothing"
    with db.session() as session:
        runs = session.scalars(select(SyncRun).order_by(SyncRun.id)).all()
        assert [(r.source, r.status) for r in runs] == [("web-git", "ok"), ("web", "ok")] * 2
        assert all(r.finished_at is not None for r in runs)
        assert [r.since is None for r in runs] == [True, True, True, False], "git reads only unseen commits"
        assert set(sync.last_runs(session)) == {"web-git", "web"}


def test_github_reads_only_what_changed_since_the_last_good_run(tmp_path: Path) -> None:
    from missionos.delivery.forges import ApiPages, api_client, read_github

    since = dt.datetime(2026, 11, 24, 8, tzinfo=dt.UTC)

    def pr(number: int, updated: str) -> dict[str, Any]:
        return {
            "number": number,
            "title": f"PR {number}",
            "user": {"login": "ann"},
            "created_at": updated,
            "updated_at": updated,
            "merged_at": updated,
            "merge_commit_sha": f"{number:040d}",
            "labels": [],
        }

    def deployment(n: int, created: str) -> dict[str, Any]:
        return {
            "id": n,
            "sha": f"{n:040d}",
            "environment": "production",
            "created_at": created,
            "payload": {},
        }

    answers: dict[str, Any] = {
        "/repos/acme/web/pulls": [
            pr(13, "2026-11-24T09:00:00Z"),
            pr(12, "2026-11-20T09:00:00Z"),
            pr(11, "x"),
        ],
        "/repos/acme/web/pulls/13/commits": [],
        "/repos/acme/web/pulls/13/reviews": [],
        "/repos/acme/web/deployments": [
            deployment(9, "2026-11-22T09:00:00Z"),
            deployment(8, "2026-11-01T09:00:00Z"),
        ],
        "/repos/acme/web/deployments/9/statuses": [
            {"state": "success", "created_at": "2026-11-24T09:30:00Z"}
        ],
        "/repos/acme/web/issues": [],
    }
    seen: list[httpx.URL] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json=answers[request.url.path])

    with api_client(
        "github", "https://api.github.com", "NO_SUCH_TOKEN", transport=httpx.MockTransport(handle)
    ) as c:
        data = read_github(ApiPages(c), "acme/web", "web", since=since)
    assert [p.number for p in data.pull_requests] == [13], "the listing stops at the first PR updated before"
    assert [d.id for d in data.deployments] == ["9"], "deployments stop 3 days before the last read"
    paths = [u.path for u in seen]
    assert (
        "/repos/acme/web/pulls/12/commits" not in paths
        and "/repos/acme/web/deployments/8/statuses" not in paths
    )
    pulls = next(u for u in seen if u.path == "/repos/acme/web/pulls")
    assert (pulls.params["sort"], pulls.params["direction"]) == ("updated", "desc")
    issues = next(u for u in seen if u.path == "/repos/acme/web/issues")
    assert issues.params["since"] == "2026-11-24T08:00:00Z"


def test_gitlab_asks_only_for_what_was_updated_since_the_last_good_run() -> None:
    from missionos.delivery.forges import ApiPages, api_client, read_gitlab

    seen: list[httpx.URL] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json=[])

    transport = httpx.MockTransport(handle)
    with api_client("gitlab", "https://gitlab.example/api/v4", "NO_SUCH_TOKEN", transport=transport) as c:
        read_gitlab(ApiPages(c), "agency/api", "api", since=dt.datetime(2026, 11, 24, 8, tzinfo=dt.UTC))
    assert len(seen) == 3
    assert all(u.params["updated_after"] == "2026-11-24T08:00:00Z" for u in seen)


def test_jira_reads_only_what_changed_since_the_last_good_run(db: Database, tmp_path: Path) -> None:
    config = sync.read_config(
        sources_file(
            tmp_path, "sources:\n  - {name: ee, kind: jira, url: 'https://jira.example', jql: project = EE}\n"
        )
    )
    seen: list[str] = []
    moments = iter(
        [dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC)] * 2 + [dt.datetime(2026, 11, 24, 8, tzinfo=dt.UTC)] * 2
    )
    now = lambda: next(moments)  # noqa: E731 - two calls per run: its start and its end
    (first,) = sync.run(db, config.sources, transport=jira_transport(seen), now=now)
    assert first.status == "ok" and first.since is None and seen == ["project = EE"]
    items = count(db, WorkItem)
    assert items == 33 and first.summary["work_items"]["items_created"] == 33
    (second,) = sync.run(db, config.sources, transport=jira_transport(seen), now=now)
    assert second.since == dt.datetime(2026, 11, 20, 7, 55, tzinfo=dt.UTC), (
        "the last good start, less 5 minutes"
    )
    assert seen[1] == '(project = EE) AND updated >= "2026-11-19"'
    assert second.summary["work_items"]["items_created"] == 0 and count(db, WorkItem) == items


def test_a_failing_source_is_recorded_and_the_others_still_run(db: Database, tmp_path: Path) -> None:
    config = sync.read_config(
        sources_file(
            tmp_path,
            "sources:\n  - {name: down, kind: jira, url: 'https://jira.example', jql: project = EE}\n"
            f"  - {{name: drop, kind: jira, from_dir: {JIRA}}}\n",
        )
    )
    refused = httpx.MockTransport(lambda _r: httpx.Response(401, json={"errorMessages": ["nope"]}))
    down, drop = sync.run(db, config.sources, transport=refused)
    assert down.status == "failed" and down.error and "401" in down.error
    assert drop.status == "ok" and count(db, WorkItem) == 36
    (retry,) = sync.run(db, config.select(["down"]), transport=jira_transport([]))
    assert retry.since is None, "a failed run is no starting point: the next run reads everything"


def test_a_source_another_reader_holds_is_skipped(db: Database, tmp_path: Path) -> None:
    config = sync.read_config(
        sources_file(tmp_path, f"sources:\n  - {{name: drop, kind: jira, from_dir: {JIRA}}}\n")
    )
    with db.session() as session:
        assert inbox.take_lease(session, "other-host:1", name="sync:drop", ttl=sync.LEASE_TTL)
    (skipped,) = sync.run(db, config.sources, owner="this-host:2")
    assert skipped.status == "skipped" and count(db, WorkItem) == 0 and count(db, SyncRun) == 0
    with db.session() as session:
        inbox.give_up_lease(session, "other-host:1", name="sync:drop")
    (done,) = sync.run(db, config.sources, owner="this-host:2")
    assert done.status == "ok" and count(db, WorkItem) == 36


def test_only_due_sources_run_when_following(db: Database, tmp_path: Path) -> None:
    config = sync.read_config(
        sources_file(tmp_path, f"every: 1h\nsources:\n  - {{name: drop, kind: jira, from_dir: {JIRA}}}\n")
    )
    assert [o.status for o in sync.run(db, config.sources, only_due=True)] == ["ok"]
    assert sync.run(db, config.sources, only_due=True) == [], "read a moment ago: not due for an hour"
    later = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(hours=1, minutes=1)  # noqa: E731
    assert [o.status for o in sync.run(db, config.sources, only_due=True, now=later)] == ["ok"]


# ---- CLI, page and API ----


def test_cli_check_run_and_status(cli: Cli, db: Database, tmp_path: Path) -> None:
    path = sources_file(
        tmp_path,
        f"sources:\n  - {{name: drop, kind: jira, from_dir: {JIRA}, team: EE}}\n"
        "  - {name: down, kind: github, repo: acme/web, service: web, base_url: 'http://127.0.0.1:9'}\n",
    )
    checked = cli("sync", "check", "--config", str(path))
    assert checked.exit_code == 0 and "2 source(s), all well-formed" in checked.stdout
    ran = cli("sync", "run", "--config", str(path), "--format", "json")
    assert ran.exit_code == 1, "a failed source makes the run fail"
    outcomes = {o["source"]: o for o in json.loads(ran.stdout)}
    assert outcomes["drop"]["status"] == "ok" and outcomes["down"]["status"] == "failed"
    assert "ConnectError" in outcomes["down"]["error"]
    only = cli("sync", "run", "--config", str(path), "--source", "drop")
    assert only.exit_code == 0 and "drop" in only.stdout and "down" not in only.stdout
    status = json.loads(cli("sync", "status", "--config", str(path), "--format", "json").stdout)
    assert [(s["source"], s["last_status"]) for s in status] == [("drop", "ok"), ("down", "failed")]


def test_cli_refuses_a_bad_file_without_a_traceback(cli: Cli, tmp_path: Path) -> None:
    path = sources_file(tmp_path, "sources:\n  - {name: a, kind: github, service: web}\n")
    for args in (("sync", "check"), ("sync", "run"), ("serve", "--sync")):
        out = cli(*args, str(path)) if args[0] == "serve" else cli(*args, "--config", str(path))
        assert out.exit_code == 2 and "Traceback" not in out.stderr
        assert "sources[0].repo" in out.stderr and str(path) in out.stderr


def test_admin_page_and_api_show_each_source_and_its_last_run(
    client: httpx.Client, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = sources_file(
        tmp_path,
        f"sources:\n  - {{name: drop, kind: jira, from_dir: {JIRA}}}\n"
        "  - {name: later, kind: github, repo: acme/web, service: web}\n",
    )
    sync.run(db, sync.read_config(path).select(["drop"]))
    monkeypatch.setenv("MISSIONOS_SYNC_CONFIG", str(path))
    doc = client.get("/api/v1/sync/sources").json()
    assert doc["config"] == str(path) and doc["error"] is None
    rows = {r["source"]: r for r in doc["sources"]}
    assert (
        rows["drop"]["last_status"] == "ok"
        and rows["drop"]["last_summary"]["work_items"]["items_created"] == 36
    )
    assert rows["later"]["last_status"] == "never run" and rows["later"]["next_due"] == "now"
    html = client.get("/accounts", headers={"accept": "text/html"}).text
    assert "36 items created" in html and "never run" in html
    path.write_text("sources: [", encoding="utf-8")
    broken = client.get("/api/v1/sync/sources").json()
    assert "not valid YAML" in broken["error"] and [r["source"] for r in broken["sources"]] == ["drop"]


@pytest.mark.slow
def test_serve_with_sync_reads_the_sources_in_a_process_of_its_own(db: Database, tmp_path: Path) -> None:
    import time

    from tests.accounts.test_server import serving

    path = sources_file(tmp_path, f"sources:\n  - {{name: drop, kind: jira, from_dir: {JIRA}}}\n")
    with serving(db, tmp_path / "home", "--sync", str(path)) as (url, _proc):
        deadline = time.monotonic() + 30
        rows: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            rows = httpx.get(f"{url}/api/v1/sync/sources").json()["sources"]
            if rows and rows[0]["last_status"] == "ok":
                break
            time.sleep(0.2)
        assert [(r["source"], r["last_status"]) for r in rows] == [("drop", "ok")]
    assert count(db, WorkItem) == 36


def test_read_now_makes_a_source_due_at_once_and_is_audited(
    client: httpx.Client, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = sources_file(tmp_path, f"every: 1d\nsources:\n  - {{name: drop, kind: jira, from_dir: {JIRA}}}\n")
    sources = sync.read_config(path).sources
    assert client.post("/api/v1/sync/sources/drop/read").status_code == 409, "no sources file: nothing reads"
    monkeypatch.setenv("MISSIONOS_SYNC_CONFIG", str(path))
    assert [o.status for o in sync.run(db, sources, only_due=True)] == ["ok"]
    assert sync.run(db, sources, only_due=True) == [], "read a moment ago, due in a day"
    assert client.post("/api/v1/sync/sources/nope/read").status_code == 404
    asked = client.post("/api/v1/sync/sources/drop/read")
    assert asked.status_code == 202 and asked.json()["source"] == "drop"
    assert [o.status for o in sync.run(db, sources, only_due=True)] == ["ok"], (
        "asked for: read at the next look"
    )
    assert sync.run(db, sources, only_due=True) == [], "one request, one read"
    entries = client.get("/api/v1/audit", params={"kind": "sync-source"}).json()
    assert [(e["action"], e["key"]) for e in entries] == [("read-now", "drop")]
    page = client.get("/accounts", headers={"accept": "text/html"}).text
    assert 'action="/accounts/sync/drop"' in page
    pressed = client.post(  # the page's "Read now" button
        "/accounts/sync/drop", data={"csrf_token": csrf_of(page)}, headers=ORIGIN, follow_redirects=False
    )
    assert pressed.status_code == 303 and pressed.headers["location"] == "/accounts#sources"
    assert [o.status for o in sync.run(db, sources, only_due=True)] == ["ok"]


def test_a_stopped_reader_ends_its_run_and_frees_the_source(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = sync.read_config(
        sources_file(tmp_path, f"sources:\n  - {{name: drop, kind: jira, from_dir: {JIRA}}}\n")
    )

    def stopped(*_args: Any) -> dict[str, Any]:
        raise KeyboardInterrupt

    monkeypatch.setitem(sync.READERS, "jira", stopped)
    with pytest.raises(KeyboardInterrupt):
        sync.run(db, config.sources, owner="host:1")
    with db.session() as session:
        (run,) = session.scalars(select(SyncRun)).all()
        assert (run.status, run.error) == ("failed", "interrupted: its reader was stopped")
        assert run.finished_at is not None
    monkeypatch.undo()
    (done,) = sync.run(db, config.sources, owner="host:2")
    assert done.status == "ok", "another reader may take the source at once"


def test_a_dead_readers_run_is_closed_when_the_source_is_next_read(db: Database, tmp_path: Path) -> None:
    config = sync.read_config(
        sources_file(tmp_path, f"sources:\n  - {{name: drop, kind: jira, from_dir: {JIRA}}}\n")
    )
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with db.session() as session:
        assert inbox.take_lease(session, "dead-host:1", name="sync:drop", ttl=sync.LEASE_TTL)
        session.add(SyncRun(source="drop", kind="jira", started_at=long_ago, status="running"))
    (blocked,) = sync.run(db, config.sources, owner="host:2")
    assert blocked.status == "skipped", "within the lease's time the dead reader still holds it"
    with db.session() as session:  # its lease was last renewed long ago
        inbox.take_lease(session, "dead-host:1", name="sync:drop", ttl=sync.LEASE_TTL)
        session.execute(update(Setting).where(Setting.name == "sync:drop").values(updated_at=long_ago))
    (done,) = sync.run(db, config.sources, owner="host:2")
    assert done.status == "ok"
    with db.session() as session:
        runs = session.scalars(select(SyncRun).order_by(SyncRun.id)).all()
        assert [(r.status, r.error) for r in runs] == [
            ("failed", "interrupted: its reader stopped before it finished"),
            ("ok", None),
        ]


def test_the_example_sources_file_in_the_docs_is_well_formed(cli: Cli) -> None:
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "sources.yaml"
    out = cli("sync", "check", "--config", str(example))
    assert out.exit_code == 0, out.stderr
    assert "5 source(s), all well-formed" in " ".join(out.stdout.split())
