"""Incremental attribution (after deployment and pull-request upserts) equals a full re-attribution."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import select

from missionos.delivery.models import Commit, Deployment, PullRequest
from missionos.delivery.records import DeploymentRecord, PullRequestRecord
from missionos.delivery.service import (
    attribute,
    import_git,
    service_named,
    upsert_deployments,
    upsert_pull_requests,
)
from missionos.store import Database
from tests.delivery.gitrepo import GitRepo


def t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def prod(did: str, revision: str, finished: str, environment: str = "production") -> DeploymentRecord:
    return DeploymentRecord(did, "svc", environment, "success", None, t(finished), revision)


def snapshot(db: Database) -> dict[str, Any]:
    """Every derived value: each change's deployment, pull request and start; each deployment's kind."""
    with db.session() as s:
        svc = service_named(s, "svc")
        deps = {
            d.id: d.external_id for d in s.scalars(select(Deployment).where(Deployment.service_id == svc.id))
        }
        prs = {p.id: p.number for p in s.scalars(select(PullRequest))}
        commits = {
            c.sha: (
                deps.get(c.deployment_id) if c.deployment_id else None,
                prs.get(c.pull_request_id) if c.pull_request_id else None,
                c.start_at.replace(tzinfo=None) if c.start_at else None,
            )
            for c in s.scalars(select(Commit))
        }
        kinds = {
            d.external_id: d.effective_kind
            for d in s.scalars(select(Deployment).where(Deployment.service_id == svc.id))
        }
    return {"commits": commits, "kinds": kinds}


def full_attribution(db: Database) -> dict[str, Any]:
    with db.session() as s:
        attribute(s, service_named(s, "svc"))
    return snapshot(db)


def test_out_of_order_arrival_gives_the_full_attribution(db: Database, tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    c1 = repo.commit("initial", "2026-01-01T09:00:00+00:00")
    c2 = repo.commit("second", "2026-01-02T09:00:00+00:00")
    repo.checkout("feature", new=True)
    f1 = repo.commit("feature one", "2026-01-02T10:00:00+00:00")
    f2 = repo.commit("feature two", "2026-01-02T12:00:00+00:00")
    repo.checkout("main")
    c3 = repo.commit("third", "2026-01-02T11:00:00+00:00")
    m = repo.merge("feature", "2026-01-02T13:00:00+00:00")
    c4 = repo.commit("fix the crash", "2026-01-03T09:00:00+00:00")
    c5 = repo.commit("fifth", "2026-01-04T09:00:00+00:00")
    with db.session() as s:
        import_git(s, repo.path, service="svc", branch="main")
    steps: list[list[DeploymentRecord] | list[PullRequestRecord]] = [
        [prod("D4", c5, "2026-01-04T12:00:00+00:00")],  # the newest arrives first
        [prod("D2", m, "2026-01-03T00:00:00+00:00")],  # then one before it
        [
            PullRequestRecord(
                7,
                "svc",
                "Feature",
                "bo",
                t("2026-01-02T09:30:00+00:00"),
                merge_commit_sha=m,
                commit_shas=(f1, f2),
                first_commit_at=t("2026-01-02T08:00:00+00:00"),
            )
        ],
        [prod("D1", c1, "2026-01-01T12:00:00+00:00"), prod("S1", c4, "2026-01-03T10:00:00+00:00", "staging")],
        [prod("D3", c4, "2026-01-03T12:00:00+00:00")],
        [
            PullRequestRecord(
                8, "svc", "Crash", "cy", t("2026-01-03T08:00:00+00:00"), commit_shas=(c4,), labels=("hotfix",)
            )
        ],
        [prod("D2", m, "2026-01-03T13:00:00+00:00")],  # D2 moves after D3: it now carries nothing new
        [
            PullRequestRecord(
                7,
                "svc",
                "Feature",
                "bo",
                t("2026-01-02T09:30:00+00:00"),
                merge_commit_sha=m,
                commit_shas=(f1,),
            )
        ],  # the pull request loses a commit and its first-commit time
    ]
    for step in steps:
        with db.session() as s:
            if isinstance(step[0], DeploymentRecord):
                upsert_deployments(s, step, source="test")  # type: ignore[arg-type]
            else:
                upsert_pull_requests(s, step, source="test")  # type: ignore[arg-type]
        incremental = snapshot(db)
        assert incremental == full_attribution(db), f"after {step}"
    final = snapshot(db)["commits"]
    # Hand-computed: D1 is the first deployment (carries nothing); D3 (c4) carries c2, f1, f2, c3 and c4; D2
    # (now after D3, revision m already reached) carries nothing; D4 carries c5.
    assert {sha: v[0] for sha, v in final.items()} == {
        c1: None,
        c2: "D3",
        f1: "D3",
        f2: "D3",
        c3: "D3",
        m: None,
        c4: "D3",
        c5: "D4",
    }
    assert final[f1][1] == 7 and final[f2][1] is None and final[m][1] == 7 and final[c4][1] == 8
    assert final[f1][2] == t("2026-01-02T10:00:00") and final[f2][2] == t("2026-01-02T12:00:00")
    assert snapshot(db)["kinds"] == {
        "D1": "planned",
        "D2": "planned",
        "D3": "hotfix",
        "D4": "planned",
        "S1": "planned",
    }
