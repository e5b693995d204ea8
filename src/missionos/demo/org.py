"""The demo organization's cast (demo.md): teams, services, and where their repositories live."""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from missionos.store import Database


@dataclass(frozen=True)
class DemoService:
    name: str
    description: str
    commits_per_week: float  # the mean pace of work in its repository
    files: tuple[str, ...]


@dataclass(frozen=True)
class DemoTeam:
    name: str
    description: str
    services: tuple[DemoService, ...]


TEAMS: tuple[DemoTeam, ...] = (
    DemoTeam(
        "Intake",
        "Cross-functional team on the new platform; ships several times a day.",
        (
            DemoService(
                "intake-web",
                "Residents' online claim form",
                22,
                (
                    "src/form/steps.ts",
                    "src/form/review.ts",
                    "src/pages/status.tsx",
                    "src/i18n/en.json",
                    "README.md",
                ),
            ),
            DemoService(
                "intake-api",
                "Claim intake API and document upload",
                16,
                (
                    "app/claims.py",
                    "app/documents.py",
                    "app/reminders.py",
                    "tests/test_claims.py",
                    "README.md",
                ),
            ),
        ),
    ),
    DemoTeam(
        "Eligibility",
        "Rules engine team; ships weekly and fights regressions.",
        (
            DemoService(
                "eligibility-engine",
                "Eligibility rules and determinations",
                12,
                (
                    "rules/income.drl",
                    "rules/household.drl",
                    "engine/Evaluate.java",
                    "engine/Hints.java",
                    "pom.xml",
                ),
            ),
        ),
    ),
    DemoTeam(
        "Payments",
        "Legacy batch payments; has not yet proven a path to production.",
        (
            DemoService(
                "payments-batch",
                "Nightly benefit payment batch",
                30,
                (
                    "cobol/PAYCALC.cbl",
                    "cobol/PAYFILE.cbl",
                    "jcl/NIGHTLY.jcl",
                    "copybooks/PAYREC.cpy",
                    "docs/runbook.md",
                ),
            ),
        ),
    ),
    DemoTeam(
        "Platform",
        "The path to production: pipeline, cluster and shared services.",
        (
            DemoService(
                "factory-pipeline",
                "Software factory pipeline, cluster and shared services",
                10,
                (
                    "pipeline/build.yaml",
                    "pipeline/deploy.yaml",
                    "cluster/policies.rego",
                    "terraform/main.tf",
                    "README.md",
                ),
            ),
        ),
    ),
)

DAYS = 180


@dataclass
class DemoOrg:
    """Everything a context's demo step needs: the database, the seed, the period and the repositories."""

    db: Database
    seed: int
    home: Path
    today: dt.date
    teams: tuple[DemoTeam, ...] = TEAMS
    notes: list[str] = field(default_factory=list)

    @property
    def start(self) -> dt.date:
        return self.today - dt.timedelta(days=DAYS)

    @property
    def services(self) -> tuple[DemoService, ...]:
        return tuple(s for t in self.teams for s in t.services)

    def team_of(self, service: str) -> str:
        return next(t.name for t in self.teams if any(s.name == service for s in t.services))

    def repo_path(self, service: str) -> Path:
        return self.home / "demo" / "repos" / service

    @cached_property
    def _commit_cache(self) -> dict[str, list[tuple[str, dt.datetime]]]:
        return {}

    def commits(self, service: str) -> list[tuple[str, dt.datetime]]:
        """The service's commits on main, oldest first, as (sha, committed_at in UTC)."""
        if service not in self._commit_cache:
            out = subprocess.run(
                ["git", "-C", str(self.repo_path(service)), "log", "--reverse", "--format=%H %ct", "main"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            rows = []
            for line in out.splitlines():
                sha, stamp = line.split()
                rows.append((sha, dt.datetime.fromtimestamp(int(stamp), dt.UTC)))
            self._commit_cache[service] = rows
        return self._commit_cache[service]
