"""The published weekly measures and the readiness command, over a small hand-built history."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from missionos import measures
from missionos.delivery.records import DeploymentRecord
from missionos.delivery.service import ensure_service, import_git, upsert_deployments
from missionos.measures import Scope, Window
from missionos.store import Database
from tests.conftest import Cli
from tests.delivery.gitrepo import GitRepo
from tests.delivery.test_attribution import t


def _history(db: Database, tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    c1 = repo.commit("one", "2026-06-01T09:00:00+00:00")  # Monday
    c2 = repo.commit("two", "2026-06-02T09:00:00+00:00")
    c3 = repo.commit("three", "2026-06-09T09:00:00+00:00")
    with db.session() as s:
        import_git(s, repo.path, service="svc", branch="main")
        ensure_service(s, "svc", team="Team A")
        ensure_service(s, "idle", team="Team B")
        upsert_deployments(
            s,
            [
                DeploymentRecord("D1", "svc", "prod", "success", None, t("2026-06-01T10:00:00+00:00"), c1),
                DeploymentRecord("D2", "svc", "prod", "success", None, t("2026-06-02T12:00:00+00:00"), c2),
                DeploymentRecord("D3", "svc", "prod", "success", None, t("2026-06-09T15:00:00+00:00"), c3),
                DeploymentRecord("D4", "svc", "prod", "failure", None, t("2026-06-10T15:00:00+00:00"), c3),
            ],
            source="test",
        )


def test_weekly_measures_per_service_team_and_org(db: Database, tmp_path: Path) -> None:
    _history(db, tmp_path)
    window = Window(t("2026-06-01T00:00:00+00:00"), t("2026-06-15T00:00:00+00:00"))
    series = measures.query(db, "delivery.production_deployments", Scope("service", "svc"), window)
    assert [(p.at.date().isoformat(), p.value) for p in series.points] == [
        ("2026-06-01", 2.0),
        ("2026-06-08", 1.0),
    ]
    lead = measures.query(db, "delivery.lead_time", Scope("team", "Team A"), window)
    assert [p.value for p in lead.points] == [pytest.approx(3.0), pytest.approx(6.0)]
    idle = measures.query(db, "delivery.production_deployments", Scope("team", "Team B"), window)
    assert sum(p.value or 0 for p in idle.points) == 0, "a team that never shipped sums to zero"
    cfr = measures.query(db, "delivery.change_failure_rate", Scope("org"), window)
    assert [p.value for p in cfr.points] == [0.0, 0.0]
    assert set(measures.names()) >= {
        "delivery.deployment_frequency",
        "delivery.lead_time",
        "delivery.change_failure_rate",
        "delivery.recovery_time",
        "delivery.rework_rate",
        "delivery.production_deployments",
    }


def test_readiness_command(db: Database, cli: Cli, tmp_path: Path) -> None:
    _history(db, tmp_path)
    out = cli("delivery", "readiness", "--format", "json")
    assert out.exit_code == 0, out.stderr
    rows = {r["service"]: r for r in json.loads(out.stdout)}
    assert rows["idle"]["status"] == "never shipped" and rows["idle"]["first_deployment"] is None
    assert rows["svc"]["status"] in ("shipping", "stalled")
    assert rows["svc"]["production_deployments"] == 3
    assert rows["svc"]["time_to_first_deployment_days"] == pytest.approx(1 / 24, abs=1e-6)
    table = cli("delivery", "metrics", "--team", "Team A", "--since", "2026-06-01", "--until", "2026-06-15")
    assert table.exit_code == 0 and "deployment frequency" in table.stdout
    missing = cli("delivery", "metrics", "--team", "Nobody")
    assert missing.exit_code == 2 and "no team named 'Nobody'" in missing.stderr


def test_deployment_counts_match_the_weekly_figures_over_any_window(db: Database, tmp_path: Path) -> None:
    """Production deployment counts come from their own query; they are the weekly figures' counts, for a
    window cutting weeks at both ends and for an all-time window (what strategy sums)."""
    from missionos.delivery import queries
    from missionos.delivery.service import weekly_figures

    _history(db, tmp_path)
    cut = Window(t("2026-06-02T11:00:00+00:00"), t("2026-06-09T15:00:00+00:00"))
    series = measures.query(db, "delivery.deployment_frequency", Scope("service", "svc"), cut)
    # D1 is before the window, D2 inside its first (partial) week, D3 exactly at its (exclusive) end
    assert [(p.at, p.value) for p in series.points] == [
        (cut.since, 1.0),
        (t("2026-06-08T00:00:00+00:00"), 0.0),
    ]
    epoch = Window(dt.datetime(1970, 1, 1, tzinfo=dt.UTC), t("2026-06-20T00:00:00+00:00"))
    for window in (cut, epoch):
        for scope in (Scope("org"), Scope("team", "Team B"), Scope("service", "svc")):
            with db.session() as s:
                rows = weekly_figures(s, queries.services_in(s, scope), window)
            expected = [(r["week"], float(r["deployments"])) for r in rows]
            for name in ("delivery.production_deployments", "delivery.deployment_frequency"):
                got = measures.query(db, name, scope, window)
                assert [(p.at, p.value) for p in got.points] == expected, (name, scope, window)
    total = measures.query(db, "delivery.production_deployments", Scope("service", "svc"), epoch)
    assert sum(p.value or 0 for p in total.points) == 3
