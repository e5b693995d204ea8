"""metrics.md §1 on small hand-computed scenarios built in real git repositories, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from missionos.delivery.records import DeploymentRecord, IncidentRecord, PullRequestRecord, ReviewRecord
from missionos.delivery.service import (
    changes,
    delivery_metrics,
    ensure_service,
    import_git,
    scope_of,
    service_named,
    upsert_deployments,
    upsert_incidents,
    upsert_pull_requests,
)
from missionos.measures import Window
from missionos.store import Database
from tests.delivery.gitrepo import GitRepo


def t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def prod(
    did: str, service: str, revision: str, finished: str, kind: str = "planned", **kw: object
) -> DeploymentRecord:
    return DeploymentRecord(did, service, "production", "success", None, t(finished), revision, kind, **kw)  # type: ignore[arg-type]


def figures(db: Database, service: str, since: str, until: str) -> dict[str, object]:
    with db.session() as s:
        return delivery_metrics(s, scope_of(s, services=[service]), Window(t(since), t(until)))


def carried(db: Database, service: str) -> dict[str, set[str]]:
    with db.session() as s:
        rows = changes(
            s, scope_of(s, services=[service]), Window(t("2000-01-01T00:00Z"), t("2100-01-01T00:00Z"))
        )
    result: dict[str, set[str]] = {}
    for r in rows:
        result.setdefault(r["deployment"], set()).add(r["sha"])
    return result


def test_rev_list_attribution_across_a_merge_leaves_the_merge_out(db: Database, tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    c1 = repo.commit("initial", "2026-01-01T09:00:00+00:00")
    c2 = repo.commit("second", "2026-01-02T09:00:00+02:00")  # 07:00 UTC: offsets are honoured
    repo.checkout("feature", new=True)
    f1 = repo.commit("feature one", "2026-01-02T10:00:00+00:00")
    f2 = repo.commit("feature two", "2026-01-02T12:00:00+00:00")
    repo.checkout("main")
    c3 = repo.commit("third", "2026-01-02T11:00:00+00:00")
    m = repo.merge("feature", "2026-01-02T13:00:00+00:00")
    with db.session() as s:
        import_git(s, repo.path, service="svc", branch="main")
        upsert_deployments(
            s,
            [
                prod("D1", "svc", c1, "2026-01-01T12:00:00+00:00"),
                prod("D2", "svc", m, "2026-01-03T00:00:00+00:00"),
                prod("D3", "svc", m, "2026-01-03T06:00:00+00:00"),  # the same revision again: no changes
            ],
            source="test",
        )
    assert carried(db, "svc") == {"D2": {c2, f1, f2, c3}}, "the first deployment carries nothing"
    lt = figures(db, "svc", "2026-01-01T00:00Z", "2026-01-10T00:00Z")["lead_time"]
    # spans: c2 17 h, f1 14 h, f2 12 h, c3 13 h
    assert lt["count"] == 4 and lt["skipped"] == 0  # type: ignore[index]
    assert lt["median_hours"] == pytest.approx(13.5)  # type: ignore[index]
    assert lt["p90_hours"] == pytest.approx(14 + 0.7 * 3)  # type: ignore[index]

    # A merged (not squashed) pull request: its commits start at the PR's earliest commit (f1, 10:00).
    with db.session() as s:
        upsert_pull_requests(
            s,
            [
                PullRequestRecord(
                    3,
                    "svc",
                    "Feature",
                    "Ann Author",
                    t("2026-01-02T12:30:00+00:00"),
                    t("2026-01-02T13:00:00+00:00"),
                    m,
                    (f1, f2),
                    (ReviewRecord("Bob", t("2026-01-02T12:45:00+00:00"), "approved"),),
                )
            ],
            source="test",
        )
    lt = figures(db, "svc", "2026-01-01T00:00Z", "2026-01-10T00:00Z")["lead_time"]
    # spans: c2 17, f1 14, f2 14 (now from f1), c3 13
    assert lt["median_hours"] == pytest.approx(14.0)  # type: ignore[index]
    assert lt["parts"]["coding_hours"] == pytest.approx(2.5)  # type: ignore[index]
    assert lt["parts"]["pickup_hours"] == pytest.approx(0.25)  # type: ignore[index]
    assert lt["parts"]["review_hours"] == pytest.approx(0.25)  # type: ignore[index]
    assert lt["parts"]["deploy_hours"] == pytest.approx(11.0)  # type: ignore[index]


def test_squash_merge_takes_its_start_from_the_pull_request(db: Database, tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    c1 = repo.commit("initial", "2026-02-01T09:00:00+00:00")
    repo.checkout("feat", new=True)
    f1 = repo.commit("work", "2026-02-02T08:00:00+00:00")
    f2 = repo.commit("more work", "2026-02-02T10:00:00+00:00")
    repo.checkout("main")
    squashed = repo.squash("feat", "2026-02-03T08:00:00+00:00", message="Feature (#7)")
    with db.session() as s:
        import_git(s, repo.path, service="svc", branch="main")
        upsert_deployments(
            s,
            [
                prod("D1", "svc", c1, "2026-02-01T10:00:00+00:00"),
                prod("D2", "svc", squashed, "2026-02-03T12:00:00+00:00"),
            ],
            source="test",
        )
    window = ("2026-02-01T00:00Z", "2026-02-10T00:00Z")
    assert figures(db, "svc", *window)["lead_time"]["median_hours"] == pytest.approx(4.0)  # type: ignore[index]
    with db.session() as s:
        upsert_pull_requests(
            s,
            [
                PullRequestRecord(
                    7,
                    "svc",
                    "Feature",
                    "Ann Author",
                    t("2026-02-02T11:00:00+00:00"),
                    t("2026-02-03T08:00:00+00:00"),
                    squashed,
                    (f1, f2),
                    (
                        ReviewRecord(
                            "Ann Author", t("2026-02-02T11:30:00+00:00")
                        ),  # the author's own: ignored
                        ReviewRecord("Bob", t("2026-02-02T15:00:00+00:00"), "approved"),
                    ),
                    first_commit_at=t("2026-02-02T08:00:00+00:00"),
                )
            ],
            source="test",
        )
    lt = figures(db, "svc", *window)["lead_time"]
    assert lt["median_hours"] == pytest.approx(28.0)  # type: ignore[index]
    assert lt["parts"] == {  # type: ignore[index]
        "coding_hours": pytest.approx(3.0),
        "pickup_hours": pytest.approx(4.0),
        "review_hours": pytest.approx(17.0),
        "deploy_hours": pytest.approx(4.0),
    }


def test_monorepo_prefixes_split_one_repository_between_services(db: Database, tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "mono")
    c1 = repo.commit("both", "2026-03-01T09:00:00+00:00", files={"web/a": "1", "api/a": "1"})
    c2 = repo.commit("web change", "2026-03-02T09:00:00+00:00", files={"web/b": "1"})
    c3 = repo.commit("api change", "2026-03-02T10:00:00+00:00", files={"api/b": "1"})
    c4 = repo.commit("readme", "2026-03-02T11:00:00+00:00", files={"README": "1"})
    c5 = repo.commit("lookalike", "2026-03-02T11:10:00+00:00", files={"web-old/x": "1"})
    with db.session() as s:
        import_git(s, repo.path, service="web", path_prefix="web", branch="main")
        import_git(s, repo.path, service="api", path_prefix="api/", branch="main")
        upsert_deployments(
            s,
            [
                prod("web-1", "web", c1, "2026-03-01T10:00:00+00:00"),
                prod("api-1", "api", c1, "2026-03-01T10:00:00+00:00"),
                prod("web-2", "web", c5, "2026-03-02T12:00:00+00:00"),
                prod("api-2", "api", c4, "2026-03-02T14:00:00+00:00"),
            ],
            source="test",
        )
    assert carried(db, "web") == {"web-2": {c2}}
    assert carried(db, "api") == {"api-2": {c3}}
    window = ("2026-03-01T00:00Z", "2026-03-05T00:00Z")
    assert figures(db, "web", *window)["lead_time"]["median_hours"] == pytest.approx(3.0)  # type: ignore[index]
    assert figures(db, "api", *window)["lead_time"]["median_hours"] == pytest.approx(4.0)  # type: ignore[index]


def test_first_deployment_carries_changes_only_from_a_configured_history_start(
    db: Database, tmp_path: Path
) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.commit("old", "2026-03-20T09:00:00+00:00")
    c2 = repo.commit("new", "2026-04-01T09:00:00+00:00")
    with db.session() as s:
        import_git(s, repo.path, service="svc", branch="main")
        upsert_deployments(s, [prod("D1", "svc", c2, "2026-04-01T11:00:00+00:00")], source="test")
    assert carried(db, "svc") == {}
    with db.session() as s:
        service_named(s, "svc").history_start = t("2026-04-01T00:00:00+00:00")
        upsert_deployments(s, [prod("D1", "svc", c2, "2026-04-01T11:00:00+00:00")], source="test")
    assert carried(db, "svc") == {"D1": {c2}}
    lt = figures(db, "svc", "2026-04-01T00:00Z", "2026-04-02T00:00Z")["lead_time"]
    assert (lt["count"], lt["median_hours"]) == (1, pytest.approx(2.0))  # type: ignore[index]


def test_rollback_hotfix_incidents_recovery_and_an_empty_window(db: Database, tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    c1 = repo.commit("one", "2026-04-01T09:00:00+00:00")
    c2 = repo.commit("two", "2026-04-02T09:00:00+00:00")
    c3 = repo.commit("three", "2026-04-03T09:00:00+00:00")
    c4 = repo.commit("four", "2026-04-04T09:00:00+00:00")
    with db.session() as s:
        import_git(s, repo.path, service="svc", branch="main")
        upsert_deployments(
            s,
            [
                prod("D1", "svc", c1, "2026-04-01T10:00:00+00:00"),
                prod("D2", "svc", c2, "2026-04-02T12:00:00+00:00"),
                prod("D3", "svc", c3, "2026-04-03T12:00:00+00:00"),
                # names nothing: it remediates the production deployment just before it (D3)
                prod("D4", "svc", c2, "2026-04-03T13:00:00+00:00", kind="rollback"),
                DeploymentRecord(
                    "F1", "svc", "production", "failure", None, t("2026-04-04T11:00:00+00:00"), c4
                ),
                DeploymentRecord("S1", "svc", "staging", "success", None, t("2026-04-04T11:30:00+00:00"), c4),
                # after the rollback, c3 is carried again, but it was deployed first by D3
                prod("D5", "svc", c4, "2026-04-04T12:00:00+00:00"),
            ],
            source="test",
        )
        upsert_incidents(
            s,
            [
                IncidentRecord(
                    "I1", "svc", t("2026-04-04T13:00:00+00:00"), t("2026-04-04T18:00:00+00:00"), "sev2", "D5"
                ),
                # no cause: the latest production deployment before it, within 7 days (D2)
                IncidentRecord("I2", "svc", t("2026-04-02T15:00:00+00:00"), t("2026-04-02T20:00:00+00:00")),
                # no cause and nothing within 7 days: unattributed, counted
                IncidentRecord("I3", "svc", t("2026-04-20T00:00:00+00:00"), t("2026-04-20T02:00:00+00:00")),
                # an abbreviated commit sha names the first production deployment that carried it (D5); open
                IncidentRecord("I4", "svc", t("2026-04-05T08:00:00+00:00"), None, "sev3", c4[:10]),
            ],
            source="test",
        )
    assert carried(db, "svc") == {"D2": {c2}, "D3": {c3}, "D5": {c4}}
    doc = figures(db, "svc", "2026-04-01T00:00Z", "2026-05-01T00:00Z")
    assert doc["deployment_frequency"] == {
        "count": 5,
        "per_day": pytest.approx(5 / 30),
        "per_week": pytest.approx(5 / 30 * 7),
        "category": "weekly-to-monthly",  # weeks with deployments: 1 of 5; the month has 5
        "level": "medium",
    }
    assert doc["lead_time"]["median_hours"] == pytest.approx(3.0)  # type: ignore[index]
    assert doc["lead_time"]["count"] == 3  # type: ignore[index]
    # failed: D2 (I2), D3 (rolled back by D4), D5 (I1, I4); D1 and D4 did not fail
    assert doc["change_failure_rate"] == {"rate": pytest.approx(0.6), "failed": 3, "total": 5, "level": "low"}
    # recovery: D2 8 h (I2 resolved), D3 1 h (D4 finished), D5 open (I4)
    assert doc["recovery_time"] == {
        "median_hours": pytest.approx(4.5),
        "p90_hours": pytest.approx(1 + 0.9 * 7),
        "count": 2,
        "open": 1,
        "level": "high",  # DORA 2023: less than one day
    }
    assert doc["rework_rate"] == {"rate": pytest.approx(0.2), "count": 1, "total": 5}
    assert doc["incidents"] == {"attributed": 3, "unattributed": 1}

    empty = figures(db, "svc", "2027-01-01T00:00Z", "2027-02-01T00:00Z")
    assert empty["lead_time"]["median_hours"] is None and empty["lead_time"]["count"] == 0  # type: ignore[index]
    assert empty["change_failure_rate"]["rate"] is None  # type: ignore[index]
    assert empty["recovery_time"]["median_hours"] is None  # type: ignore[index]
    assert empty["rework_rate"]["rate"] is None  # type: ignore[index]
    assert empty["deployment_frequency"]["count"] == 0  # type: ignore[index]
    assert empty["deployment_frequency"]["category"] == "monthly or less"  # type: ignore[index]


def test_git_import_is_incremental_and_idempotent(db: Database, tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.commit("one", "2026-04-01T09:00:00+00:00")
    repo.commit("two", "2026-04-02T09:00:00+00:00")
    with db.session() as s:
        first = import_git(s, repo.path, service="svc", branch="main")
    with db.session() as s:
        again = import_git(s, repo.path, service="svc", branch="main")
    repo.commit("three", "2026-04-03T09:00:00+00:00")
    with db.session() as s:
        more = import_git(s, repo.path, service="svc", branch="main")
        ensure_service(s, "svc")
    assert (first.inserted, again.inserted, more.inserted, more.read) == (2, 0, 1, 1)


def test_pull_request_reviews_are_replaced_on_update(db: Database, tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    c1 = repo.commit("initial", "2026-02-01T09:00:00+00:00")
    first = ReviewRecord("Bob", t("2026-02-01T10:00:00+00:00"), "commented")
    pr = PullRequestRecord(
        1, "svc", "One", "Ann Author", t("2026-02-01T09:30:00+00:00"), None, c1, (), (first,)
    )
    more = PullRequestRecord(
        1,
        "svc",
        "One",
        "Ann Author",
        t("2026-02-01T09:30:00+00:00"),
        t("2026-02-01T12:00:00+00:00"),
        c1,
        (),
        (first, ReviewRecord("Cy", t("2026-02-01T11:00:00+00:00"), "approved")),
    )
    with db.session() as s:
        import_git(s, repo.path, service="svc", branch="main")
        upsert_pull_requests(s, [pr], source="test")
    with db.session() as s:
        summary = upsert_pull_requests(s, [more], source="test")
    with db.session() as s:
        again = upsert_pull_requests(s, [more], source="test")
    assert (summary.updated, again.unchanged) == (1, 1)
