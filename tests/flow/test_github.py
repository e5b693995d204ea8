"""`flow import github-issues`: recorded GitHub REST pages (issues, issue events, Projects v2 webhook
deliveries) replayed live through `httpx.MockTransport` and read from a directory of saved pages.

The pages in `data/github` (repository octo-org/benefits; all times UTC):

- #101 (enhancement) on a classic board: Ready 03-02 09:00, In progress 03-03 09:00, Review 03-04 09:00,
  back to In progress 03-04 15:00, Review 03-05 09:00, closed 03-05 15:00 (the board's automation moves the
  card to Done in the same second).
- #102 (bug) by status labels: In progress 03-03 10:00, Review 03-04 10:00 (one label off and one on in the
  same second), closed 03-05 10:00, reopened 03-06 10:00, closed 03-07 10:00.
- #103 (chore) open: Ready 03-03 09:00, In progress 03-04 09:00 on the board; its Projects (v2) Status
  (deliveries in projects-v2-item.jsonl) is Todo from 03-03 08:05 and Review from 03-05 12:00.
- #104 is a pull request.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from missionos.errors import FieldError, InputError
from missionos.flow import service
from missionos.flow.importers import github
from missionos.flow.models import WorkItem
from missionos.flow.typemap import TypeMap
from missionos.measures import Window
from missionos.store import Database
from tests.conftest import Cli
from tests.datafiles import GITHUB_ANTS_ISSUES

DATA = Path(__file__).parent / "data" / "github"
REPO = "octo-org/benefits"
STREAM = {
    "name": "benefits",
    "team": REPO,
    "done": ["closed"],
    "steps": [
        {"name": "Build", "statuses": ["Ready"], "kind": "wait"},
        {"name": "Build", "statuses": ["In progress"], "kind": "active"},
        {"name": "Review", "statuses": ["Review"], "kind": "active"},
    ],
}
WINDOW = Window(dt.datetime(2026, 3, 1, tzinfo=dt.UTC), dt.datetime(2026, 3, 9, tzinfo=dt.UTC))
H = 3600.0


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=dt.UTC)


def page(name: str) -> object:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


class Recorded:
    """Serves the recorded pages as api.github.com would: Link headers, a spent rate limit, a 429."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.limited = {"102": False, "103": False}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(str(request.url))
        assert request.headers["Authorization"] == "Bearer ghp_recorded"
        assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"
        path, params = request.url.path, request.url.params
        base = "https://api.github.com/repos/octo-org/benefits"
        limit = {"X-RateLimit-Limit": "5000", "X-RateLimit-Resource": "core"}
        if path == "/repos/octo-org/benefits/issues":
            assert params["state"] == "all"
            if params.get("page", "1") == "1":
                link = (
                    f'<{base}/issues?state=all&sort=created&direction=asc&per_page=2&page=2>; rel="next", '
                    f'<{base}/issues?state=all&sort=created&direction=asc&per_page=2&page=2>; rel="last"'
                )
                return httpx.Response(
                    200,
                    json=page("issues-page-1.json"),
                    headers={**limit, "Link": link, "X-RateLimit-Remaining": "4990"},
                )
            return httpx.Response(
                200, json=page("issues-page-2.json"), headers={**limit, "X-RateLimit-Remaining": "4989"}
            )
        number = path.split("/")[-2]
        if number == "102" and not self.limited["102"]:
            self.limited["102"] = True
            return httpx.Response(
                403,
                json={
                    "message": "API rate limit exceeded for user ID 5101.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                    "status": "403",
                },
                headers={**limit, "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1772700000"},
            )
        if number == "103" and not self.limited["103"]:
            self.limited["103"] = True
            return httpx.Response(429, json={"message": "secondary rate limit"}, headers={"Retry-After": "7"})
        if number == "101":
            if params.get("page", "1") == "1":
                link = '<https://api.github.com/repositories/71234567/issues/101/events?page=2>; rel="next"'
                return httpx.Response(200, json=page("events-101-page-1.json"), headers={"Link": link})
            return httpx.Response(200, json=page("events-101-page-2.json"))
        return httpx.Response(200, json=page(f"events-{number}.json"))


def client(recorded: Recorded, slept: list[float], **kwargs: object) -> github.GitHubClient:
    return github.GitHubClient(
        REPO,
        token="ghp_recorded",
        transport=httpx.MockTransport(recorded),
        per_page=2,
        sleep=slept.append,
        clock=lambda: 1772699970.0,
        **kwargs,  # type: ignore[arg-type]
    )


def statuses(moves: list[object], key: str) -> list[tuple[str | None, str, dt.datetime]]:
    return [(m.from_status, m.to_status, m.at) for m in moves if m.item == key]  # type: ignore[attr-defined]


def test_live_import_follows_links_waits_out_rate_limits_and_skips_pull_requests() -> None:
    recorded, slept = Recorded(), []
    batch = client(recorded, slept).fetch()
    # Both issue pages, both pages of #101's events (the next link is followed as given), no events of the PR.
    assert any("page=2" in c and "/issues?" in c for c in recorded.calls)
    assert any("/repositories/71234567/issues/101/events" in c for c in recorded.calls)
    assert not any("/104/" in c for c in recorded.calls)
    # A 403 with the limit spent waits for X-RateLimit-Reset (30 s after the clock) + 1 s; a 429, Retry-After.
    assert slept == [31.0, 7.0]
    assert sorted(batch.issues) == [101, 102, 103] and batch.pull_requests == 1
    items, moves, notes = github.to_records(batch, TypeMap())
    assert {i.id: i.type for i in items} == {
        f"{REPO}#101": "feature",
        f"{REPO}#102": "defect",
        f"{REPO}#103": "debt",
    }
    assert statuses(moves, f"{REPO}#101") == [
        (None, "open", at(2, 8)),
        ("open", "Ready", at(2, 9)),
        ("Ready", "In progress", at(3, 9)),
        ("In progress", "Review", at(4, 9)),
        ("Review", "In progress", at(4, 15)),
        ("In progress", "Review", at(5, 9)),
        ("Review", "closed", at(5, 15)),  # closed and moved to Done in one second: closed wins
    ]
    # Taking one status label off and putting another on in the same second is one move.
    assert statuses(moves, f"{REPO}#102") == [
        (None, "open", at(2, 10)),
        ("open", "In progress", at(3, 10)),
        ("In progress", "Review", at(4, 10)),
        ("Review", "closed", at(5, 10)),
        ("closed", "Review", at(6, 10)),  # reopened: back to its label's status
        ("Review", "closed", at(7, 10)),
    ]
    assert statuses(moves, f"{REPO}#103")[-1] == ("Ready", "In progress", at(4, 9))
    assert "1 pull requests skipped" in notes


def test_figures_of_imported_issues_checked_by_hand(db: Database) -> None:
    batch = client(Recorded(), []).fetch()
    items, moves, _ = github.to_records(batch, TypeMap())
    with db.session() as s:
        service.upsert_work(s, items, moves, source=github.SOURCE)
        service.apply_stream(s, service.parse_stream(STREAM))
    with db.session() as s:
        fig = service.stream_metrics(s, "benefits", WINDOW)
        f101 = service.item_detail(s, "github", f"{REPO}#101").flows["benefits"]
        f102 = service.item_detail(s, "github", f"{REPO}#102").flows["benefits"]
    # #101: Ready 03-02 09:00 → closed 03-05 15:00 = 78 h; In progress 24 + 18 h, Review 6 + 6 h, Ready 24 h.
    assert f101.flow_time == 78 * H and f101.active == 54 * H and f101.wait == 24 * H
    # #102: In progress 03-03 10:00 → last closed 03-07 10:00 = 96 h; active 3 × 24 h (closed a day between).
    assert f102.flow_time == 96 * H and f102.active == 72 * H and f102.efficiency == 0.75
    assert fig.items_done == 2
    assert fig.flow_time_median_days == pytest.approx((78 + 96) / 2 / 24)
    assert fig.flow_efficiency == pytest.approx((54 + 72) / (78 + 96))
    build, review = fig.steps
    assert build.process_time_hours == pytest.approx((42 + 24) / 2)
    assert build.wait_before_hours == pytest.approx((24 + 0) / 2)
    assert review.process_time_hours == pytest.approx((12 + 48) / 2)
    # Build: 3 forward moves out of it, 1 back into it from Review; Review: 3 forward (#102 was closed twice),
    # 1 back (the reopen, from done).
    assert (build.forward_moves, build.backward_moves) == (3, 1)
    assert build.pct_complete_accurate == pytest.approx(2 / 3)
    assert (review.forward_moves, review.backward_moves) == (3, 1)
    assert fig.rolled_pct_complete_accurate == pytest.approx(2 / 3 * 2 / 3)
    assert fig.load_now == 1 and fig.aging_wip[0].item == f"{REPO}#103"


def test_saved_pages_import_through_the_cli_with_projects_v2_status(
    cli: Cli, db: Database, tmp_path: Path
) -> None:
    pages = tmp_path / "pages"
    shutil.copytree(DATA, pages)
    result = cli("flow", "import", "github-issues", str(pages), "--format", "json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    # 3 issues; 7 + 6 + 3 transitions (#103: open, then its Projects Status, Todo and Review, over the board).
    assert (summary["items_created"], summary["transitions_added"]) == (3, 16)
    with db.session() as s:
        detail = service.item_detail(s, "github", f"{REPO}#103")
    assert [(t.to_status, t.at) for t in detail.transitions] == [
        ("open", at(3, 8)),
        ("Todo", at(3, 8, 5)),
        ("Review", at(5, 12)),
    ]
    again = json.loads(cli("flow", "import", "github-issues", str(pages), "--format", "json").stdout)
    assert (again["items_created"], again["items_unchanged"], again["transitions_added"]) == (0, 3, 0)


def test_live_pages_saved_for_an_air_gapped_import_give_the_same_records(tmp_path: Path) -> None:
    saved = tmp_path / "saved"
    recorded = Recorded()
    live = client(recorded, [], save=saved)
    direct = live.fetch(since=dt.datetime(2026, 3, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=9))))
    assert "since=2026-03-01T00%3A00%3A00Z" in recorded.calls[0]  # issues updated since, in UTC
    assert live.saved == len(list(saved.glob("page-*.json"))) == 6
    offline = github.read_files([saved])
    assert github.to_records(offline, TypeMap()) == github.to_records(direct, TypeMap())


def test_refused_token_and_unknown_repository_are_reported() -> None:
    refused = httpx.MockTransport(
        lambda _r: httpx.Response(401, json={"message": "Bad credentials", "status": "401"})
    )
    with pytest.raises(InputError, match="refused the credentials"):
        github.GitHubClient(REPO, token="x", transport=refused).fetch()
    missing = httpx.MockTransport(
        lambda _r: httpx.Response(404, json={"message": "Not Found", "status": "404"})
    )
    with pytest.raises(InputError, match=r"HTTP 404.*--repo"):
        github.GitHubClient(REPO, transport=missing).fetch()
    endless = httpx.MockTransport(lambda _r: httpx.Response(429, headers={"Retry-After": "1"}))
    slept: list[float] = []
    with pytest.raises(InputError, match="kept rate-limiting"):
        github.GitHubClient(REPO, transport=endless, sleep=slept.append, max_retries=2).fetch()
    assert slept == [1.0, 1.0]
    with pytest.raises(FieldError, match="--repo"):
        github.check_repo("benefits")


def test_bad_saved_page_is_rejected_whole_with_its_file(cli: Cli, db: Database, tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    shutil.copytree(DATA, pages)
    events = json.loads((pages / "events-102.json").read_text(encoding="utf-8"))
    events[3]["created_at"] = "2026-03-04 10:00"
    (pages / "events-102.json").write_text(json.dumps(events), encoding="utf-8")
    result = cli("flow", "import", "github-issues", str(pages))
    assert result.exit_code == 2
    assert "events-102.json" in result.stderr and "created_at" in result.stderr
    assert "Traceback" not in result.stderr
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(WorkItem)) == 0  # nothing of the batch was kept
    (pages / "events-102.json").write_text("[{oops", encoding="utf-8")
    result = cli("flow", "import", "github-issues", str(pages))
    assert result.exit_code == 2 and "events-102.json:1" in result.stderr


def test_real_closed_issues_without_events_are_closed_at_their_closed_at(cli: Cli, db: Database) -> None:
    """panjf2000/ants's issues as GitHub returned them (no event pages): all 26 are closed, so all 26 end
    closed at their own closed_at (before, every one of them stayed open)."""
    page = json.loads(GITHUB_ANTS_ISSUES.read_text(encoding="utf-8"))
    closed_at = {
        f"panjf2000/ants#{i['number']}": github.parse_time(i["closed_at"], where="closed_at")
        for i in page
        if "pull_request" not in i
    }
    items, moves, notes = github.to_records(github.read_files([GITHUB_ANTS_ISSUES]), TypeMap())
    assert len(items) == len(closed_at) == 26 and "16 pull requests skipped" in notes
    last = {m.item: m for m in moves}
    assert {k: (m.to_status, m.at) for k, m in last.items()} == {
        k: ("closed", at) for k, at in closed_at.items()
    }
    result = cli("flow", "import", "github-issues", str(GITHUB_ANTS_ISSUES), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["transitions_added"] == 52  # open, then closed, for each
    with db.session() as s:
        detail = service.item_detail(s, "github", "panjf2000/ants#5")
    assert [t.to_status for t in detail.transitions] == ["open", "closed"]


def test_events_that_reopen_after_closed_at_are_kept_with_a_note() -> None:
    batch = github.GitHubBatch(repo="o/r")
    issue = {
        "number": 7,
        "title": "x",
        "state": "closed",
        "created_at": "2026-03-01T09:00:00Z",
        "closed_at": "2026-03-02T09:00:00Z",
    }
    batch.add_issue(issue, "p.json")
    batch.add_event(7, {"id": 1, "event": "closed", "created_at": "2026-03-02T09:00:00Z"}, "e.json")
    batch.add_event(7, {"id": 2, "event": "reopened", "created_at": "2026-03-03T09:00:00Z"}, "e.json")
    _, moves, notes = github.to_records(batch, TypeMap())
    assert [m.to_status for m in moves] == ["open", "closed", "open"]
    assert any("closed on GitHub but its events end 'open'" in n for n in notes)
