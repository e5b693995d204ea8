"""The delivery part of `missionos demo`: services that differ visibly, real revisions, idempotent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from missionos.delivery import demo
from missionos.delivery.models import Commit, Deployment, Incident, PullRequest
from missionos.delivery.service import delivery_metrics, readiness, scope_of
from missionos.demo.org import DemoOrg
from missionos.demo.repos import ensure_repositories
from missionos.measures import Window
from missionos.store import Database

TODAY = dt.date(2026, 11, 24)


def load_delivery_demo(db: Database, home: Path) -> DemoOrg:
    """The demo's repositories and the delivery step alone (the other contexts' steps are theirs to test)."""
    org = DemoOrg(db=db, seed=7, home=home, today=TODAY)
    ensure_repositories(org)
    demo.load(org)
    return org


def _counts(db: Database) -> tuple[int, ...]:
    with db.session() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(m)) or 0
            for m in (Commit, Deployment, Incident, PullRequest)
        )


def test_demo_delivery_story(db: Database, tmp_path: Path) -> None:
    org = load_delivery_demo(db, tmp_path)
    counts = _counts(db)
    window = Window.last(90, until=dt.datetime.combine(TODAY, dt.time(), dt.UTC))
    with db.session() as s:
        doc = {
            name: delivery_metrics(s, scope_of(s, services=[name]), window)
            for name in ("intake-web", "eligibility-engine", "payments-batch", "factory-pipeline")
        }
        ready = {r["service"]: r for r in readiness(s, now=window.until)}
        deployed = list(s.execute(select(Deployment.revision, Deployment.service_id)).all())
    # every deployed revision is a real commit of the service's demo repository
    all_shas = {sha for svc in org.services for sha, _ in org.commits(svc.name)}
    assert deployed and all(rev in all_shas for rev, _ in deployed)

    intake, eligibility = doc["intake-web"], doc["eligibility-engine"]
    assert intake["deployment_frequency"]["category"] == "on demand"
    assert intake["deployment_frequency"]["per_day"] > 1.5
    assert intake["change_failure_rate"]["rate"] < 0.1
    assert eligibility["deployment_frequency"]["per_week"] < 2
    assert eligibility["change_failure_rate"]["rate"] > 0.2
    assert eligibility["rework_rate"]["count"] > 0
    assert eligibility["recovery_time"]["median_hours"] > 24 > intake["recovery_time"]["median_hours"]
    assert eligibility["recovery_time"]["open"] == 1
    assert doc["factory-pipeline"]["deployment_frequency"]["count"] > 10
    assert doc["payments-batch"]["deployment_frequency"]["count"] == 0
    assert doc["payments-batch"]["incidents"]["unattributed"] == 1
    assert ready["payments-batch"]["status"] == "never shipped"
    assert ready["payments-batch"]["first_commit_at"] is not None
    assert ready["intake-web"]["status"] == "shipping"
    assert (
        ready["intake-web"]["time_to_first_deployment_days"]
        < ready["eligibility-engine"]["time_to_first_deployment_days"]
    )

    load_delivery_demo(db, tmp_path)
    assert _counts(db) == counts, "running the demo twice duplicates nothing"
