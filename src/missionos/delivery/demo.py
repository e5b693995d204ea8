"""The delivery context's part of the demo organization (demo.md).

Teams, services and their generated repositories (imported through the git importer), pull requests with
reviews, deployments and incidents, so that the services differ visibly:

- Intake (`intake-web`, `intake-api`): several production deployments a day, rare rollbacks, quick recovery;
- Eligibility (`eligibility-engine`): weekly deployments, frequent hotfixes and rollbacks, slow recovery;
- Payments (`payments-batch`): deploys to staging only, never to production;
- Platform (`factory-pipeline`): ships regularly, twice a week.

Deterministic for `org.seed` and idempotent: every record has a stable id and is upserted.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from collections.abc import Sequence

from sqlalchemy import select

from missionos.delivery.models import Commit, Repository, Service
from missionos.delivery.records import DeploymentRecord, IncidentRecord, PullRequestRecord, ReviewRecord
from missionos.delivery.service import (
    ensure_service,
    ensure_team,
    import_git,
    upsert_deployments,
    upsert_incidents,
    upsert_pull_requests,
)
from missionos.demo.org import DemoOrg

SOURCE = "demo"
UTC = dt.UTC


def load(org: DemoOrg) -> None:
    """Register the demo's teams and services, import their repositories and add their delivery history."""
    with org.db.session() as session:
        for team in org.teams:
            ensure_team(session, team.name, team.description)
            for svc in team.services:
                ensure_service(session, svc.name, team=team.name, description=svc.description)
                import_git(session, org.repo_path(svc.name), service=svc.name, branch="main")
        deployments: list[DeploymentRecord] = []
        incidents: list[IncidentRecord] = []
        pulls: list[PullRequestRecord] = []
        for svc in org.services:
            commits = org.commits(svc.name)
            authors = _authors(session, svc.name)
            rng = random.Random(f"{org.seed}:delivery:{svc.name}")
            pulls += _pull_requests(rng, svc.name, commits, authors, slow=svc.name == "eligibility-engine")
            plan = PLANS[svc.name]
            made_d, made_i = plan(rng, svc.name, commits, org)
            deployments += made_d
            incidents += made_i
        upsert_pull_requests(session, pulls, source=SOURCE)
        upsert_deployments(session, deployments, source=SOURCE)
        upsert_incidents(session, incidents, source=SOURCE)
    org.notes.append(
        f"delivery: {len(deployments)} deployments, {len(incidents)} incidents, {len(pulls)} pull requests "
        "(payments-batch has never reached production)"
    )


def _authors(session: object, service: str) -> dict[str, str]:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    rows = session.execute(
        select(Commit.sha, Commit.author)
        .join(Repository, Repository.id == Commit.repository_id)
        .join(Service, Service.id == Repository.service_id)
        .where(Service.name == service)
    ).all()
    return {sha: author for sha, author in rows}


def _pull_requests(
    rng: random.Random,
    service: str,
    commits: Sequence[tuple[str, dt.datetime]],
    authors: dict[str, str],
    *,
    slow: bool,
) -> list[PullRequestRecord]:
    """Squash-merged pull requests: each lands as one commit of main, its branch commits authored earlier."""
    people = sorted(set(authors.values()))
    result = []
    for number, (sha, landed) in enumerate(commits[1:], start=1):
        author = authors.get(sha, people[0])
        review_hours = rng.uniform(0.2, 2.0) * (6 if slow else 1)
        pickup_hours = rng.uniform(0.3, 3.0) * (12 if slow else 1)
        coding_hours = rng.uniform(1.0, 16.0) * (3 if slow else 1)
        first_review = landed - dt.timedelta(hours=review_hours)
        created = first_review - dt.timedelta(hours=pickup_hours)
        first_commit = created - dt.timedelta(hours=coding_hours)
        others = [p for p in people if p != author]
        self_merged = slow and rng.random() < 0.15
        reviews = (
            () if self_merged or not others else (ReviewRecord(rng.choice(others), first_review, "approved"),)
        )
        result.append(
            PullRequestRecord(
                number=number,
                service=service,
                title=f"Change {number} of {service}",
                author=author,
                created_at=created,
                merged_at=landed,
                merge_commit_sha=sha,
                commit_shas=(),
                reviews=reviews,
                labels=(),
                first_commit_at=first_commit,
            )
        )
    return result


def _revision_at(
    commits: Sequence[tuple[str, dt.datetime]], times: list[dt.datetime], moment: dt.datetime
) -> str:
    i = bisect.bisect_right(times, moment) - 1
    return commits[max(i, 0)][0]


def _days(org: DemoOrg, first_day: int) -> list[dt.date]:
    return [org.start + dt.timedelta(days=d) for d in range(first_day, (org.today - org.start).days)]


def _at(day: dt.date, hour: float) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), UTC) + dt.timedelta(hours=hour)


Made = tuple[list[DeploymentRecord], list[IncidentRecord]]


def _elite(
    rng: random.Random, service: str, commits: Sequence[tuple[str, dt.datetime]], org: DemoOrg
) -> Made:
    """Several deployments every working day; about one in 30 rolled back within the hour."""
    times = [t for _, t in commits]
    deployments: list[DeploymentRecord] = []
    incidents: list[IncidentRecord] = []
    last_good = ""
    n = 0
    for day in _days(org, 14):
        if day.weekday() >= 5:
            continue
        for hour in sorted(rng.uniform(9.5, 17.5) for _ in range(rng.choice((2, 3, 3, 4, 5)))):
            start = _at(day, hour)
            revision = _revision_at(commits, times, start - dt.timedelta(minutes=10))
            n += 1
            did = f"{service}-{n:04d}"
            finish = start + dt.timedelta(minutes=rng.uniform(4, 9))
            if rng.random() < 0.03:
                deployments.append(
                    DeploymentRecord(did, service, "production", "failure", start, finish, revision)
                )
                continue
            deployments.append(
                DeploymentRecord(did, service, "production", "success", start, finish, revision)
            )
            if last_good and rng.random() < 0.035:
                n += 1
                back = finish + dt.timedelta(minutes=rng.uniform(12, 40))
                deployments.append(
                    DeploymentRecord(
                        f"{service}-{n:04d}",
                        service,
                        "production",
                        "success",
                        back,
                        back + dt.timedelta(minutes=3),
                        last_good,
                        "rollback",
                        (did,),
                    )
                )
                incidents.append(
                    IncidentRecord(
                        f"{service}-inc-{len(incidents) + 1:03d}",
                        service,
                        finish + dt.timedelta(minutes=rng.uniform(3, 10)),
                        back + dt.timedelta(minutes=rng.uniform(2, 15)),
                        "sev3",
                        did if rng.random() < 0.5 else None,
                    )
                )
                continue
            last_good = revision
    return deployments, incidents


def _struggling(
    rng: random.Random, service: str, commits: Sequence[tuple[str, dt.datetime]], org: DemoOrg
) -> Made:
    """Weekly Thursday releases; many need a hotfix or a rollback days later, and incidents last days."""
    times = [t for _, t in commits]
    deployments: list[DeploymentRecord] = []
    incidents: list[IncidentRecord] = []
    n = 0
    last_good = ""
    for day in _days(org, 45):
        if day.weekday() != 3:
            continue
        start = _at(day, 14 + rng.uniform(0, 2))
        revision = _revision_at(commits, times, start - dt.timedelta(hours=2))
        n += 1
        did = f"{service}-{n:04d}"
        finish = start + dt.timedelta(minutes=rng.uniform(40, 90))
        if rng.random() < 0.12:
            deployments.append(
                DeploymentRecord(did, service, "production", "failure", start, finish, revision)
            )
            continue
        deployments.append(DeploymentRecord(did, service, "production", "success", start, finish, revision))
        roll = rng.random()
        if roll < 0.45 and finish + dt.timedelta(days=4) < _at(org.today, 0):
            incident_start = finish + dt.timedelta(hours=rng.uniform(2, 30))
            fix_at = incident_start + dt.timedelta(hours=rng.uniform(20, 70))
            n += 1
            if roll < 0.12 and last_good:
                fix = DeploymentRecord(
                    f"{service}-{n:04d}",
                    service,
                    "production",
                    "success",
                    fix_at,
                    fix_at + dt.timedelta(minutes=30),
                    last_good,
                    "rollback",
                    (did,),
                )
            else:
                fix_revision = _revision_at(commits, times, fix_at - dt.timedelta(minutes=30))
                fix = DeploymentRecord(
                    f"{service}-{n:04d}",
                    service,
                    "production",
                    "success",
                    fix_at,
                    fix_at + dt.timedelta(minutes=45),
                    fix_revision,
                    "hotfix",
                    (),
                )
            deployments.append(fix)
            cause: str | None = None
            if rng.random() < 0.4:
                cause = did
            elif rng.random() < 0.3:
                cause = revision
            incidents.append(
                IncidentRecord(
                    f"{service}-inc-{len(incidents) + 1:03d}",
                    service,
                    incident_start,
                    fix.finished_at + dt.timedelta(hours=rng.uniform(1, 12)),
                    rng.choice(("sev2", "sev3")),
                    cause,
                )
            )
        else:
            last_good = revision
    # One incident still open: a regression reported yesterday against the latest release.
    latest = max((d for d in deployments if d.status == "success"), key=lambda d: d.finished_at)
    incidents.append(
        IncidentRecord(
            f"{service}-inc-{len(incidents) + 1:03d}",
            service,
            latest.finished_at + dt.timedelta(hours=20),
            None,
            "sev2",
            latest.id,
        )
    )
    return deployments, incidents


def _never_shipped(
    rng: random.Random, service: str, commits: Sequence[tuple[str, dt.datetime]], org: DemoOrg
) -> Made:
    """Monthly deployments to a test environment only; an incident in the old batch with no deployment."""
    times = [t for _, t in commits]
    deployments = []
    for n, day in enumerate((d for d in _days(org, 20) if d.day == 3), start=1):
        start = _at(day, 20)
        revision = _revision_at(commits, times, start)
        status = "failure" if n % 3 == 0 else "success"
        deployments.append(
            DeploymentRecord(
                f"{service}-{n:04d}",
                service,
                "staging",
                status,
                start,
                start + dt.timedelta(hours=2),
                revision,
            )
        )
    start = _at(org.today - dt.timedelta(days=rng.randint(10, 20)), 2)
    incident = IncidentRecord(
        f"{service}-inc-001", service, start, start + dt.timedelta(hours=9), "sev2", None
    )
    return deployments, [incident]


def _regular(
    rng: random.Random, service: str, commits: Sequence[tuple[str, dt.datetime]], org: DemoOrg
) -> Made:
    """Tuesday and Thursday releases of the platform; an occasional hotfix within the day."""
    times = [t for _, t in commits]
    deployments: list[DeploymentRecord] = []
    incidents: list[IncidentRecord] = []
    n = 0
    for day in _days(org, 5):
        if day.weekday() not in (1, 3):
            continue
        start = _at(day, rng.uniform(10, 15))
        revision = _revision_at(commits, times, start - dt.timedelta(minutes=30))
        n += 1
        did = f"{service}-{n:04d}"
        finish = start + dt.timedelta(minutes=rng.uniform(15, 30))
        deployments.append(DeploymentRecord(did, service, "production", "success", start, finish, revision))
        if rng.random() < 0.08:
            n += 1
            fix_at = finish + dt.timedelta(hours=rng.uniform(2, 6))
            fix_revision = _revision_at(commits, times, fix_at)
            deployments.append(
                DeploymentRecord(
                    f"{service}-{n:04d}",
                    service,
                    "production",
                    "success",
                    fix_at,
                    fix_at + dt.timedelta(minutes=20),
                    fix_revision,
                    "hotfix",
                    (did,),
                )
            )
            incidents.append(
                IncidentRecord(
                    f"{service}-inc-{len(incidents) + 1:03d}",
                    service,
                    finish + dt.timedelta(hours=1),
                    fix_at + dt.timedelta(minutes=40),
                    "sev3",
                    None,
                )
            )
    return deployments, incidents


PLANS = {
    "intake-web": _elite,
    "intake-api": _elite,
    "eligibility-engine": _struggling,
    "payments-batch": _never_shipped,
    "factory-pipeline": _regular,
}
