"""`missionos org apply/export` and /api/v1/org on SQLite and PostgreSQL: the documented example applies,
re-applying changes nothing, export round-trips, bad files are rejected whole with file, line and field, and a
deployments file naming a new service works once the organization declares it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import yaml
from sqlalchemy import func, select

from missionos.delivery.models import Deployment, Repository, Service, Team
from missionos.delivery.service import delivery_metrics, scope_of
from missionos.flow.models import Stream
from missionos.measures import Window
from missionos.store import Database
from tests.conftest import Cli
from tests.delivery.test_attribution import t

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "org.yaml"


def _counts(db: Database) -> tuple[int, int, int, int]:
    with db.session() as s:
        return (
            s.scalar(select(func.count()).select_from(Team)) or 0,
            s.scalar(select(func.count()).select_from(Service)) or 0,
            s.scalar(select(func.count()).select_from(Repository)) or 0,
            s.scalar(select(func.count()).select_from(Stream)) or 0,
        )


def test_example_applies_then_reapplies_unchanged(db: Database, cli: Cli) -> None:
    dry = cli("org", "apply", str(EXAMPLE), "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert "nothing stored" in dry.stdout
    assert _counts(db) == (0, 0, 0, 0)

    first = cli("org", "apply", str(EXAMPLE), "--format", "json")
    assert first.exit_code == 0, first.stderr
    doc = json.loads(first.stdout)
    # 2 teams, 3 services, 3 repositories, 1 stream
    assert (doc["added"], doc["changed"], doc["unchanged"]) == (9, 0, 0)
    assert _counts(db) == (2, 3, 3, 1)
    with db.session() as s:
        web = s.scalar(select(Service).where(Service.name == "intake-web"))
        assert web is not None and web.team is not None and web.team.name == "intake"
        assert web.production_environments == "prod-eu,prod-us"
        assert web.history_start is not None and web.history_start.isoformat().startswith("2026-01-05T00:00")
        api = s.scalar(select(Service).where(Service.name == "intake-api"))
        assert api is not None
        assert [(r.path_prefix, r.branch) for r in api.repositories] == [("services/api", "trunk")]

    again = cli("org", "apply", str(EXAMPLE), "--format", "json")
    doc = json.loads(again.stdout)
    assert (doc["added"], doc["changed"], doc["unchanged"]) == (0, 0, 9)
    assert _counts(db) == (2, 3, 3, 1)


def test_a_change_is_reported_and_stored(db: Database, cli: Cli, tmp_path: Path) -> None:
    assert cli("org", "apply", str(EXAMPLE)).exit_code == 0
    doc = yaml.safe_load(EXAMPLE.read_text())
    doc["services"][2]["team"] = "intake"
    doc["services"][2]["production_environments"] = ["live"]
    changed = tmp_path / "org.yaml"
    changed.write_text(yaml.safe_dump(doc))
    dry = cli("org", "apply", str(changed), "--dry-run")
    assert "1 changed" in dry.stdout and "team, production_environments" in dry.stdout
    with db.session() as s:
        engine = s.scalar(select(Service).where(Service.name == "eligibility-engine"))
        assert engine is not None and engine.team is not None and engine.team.name == "eligibility"
    out = cli("org", "apply", str(changed))
    assert out.exit_code == 0 and "1 changed" in out.stdout
    with db.session() as s:
        engine = s.scalar(select(Service).where(Service.name == "eligibility-engine"))
        assert engine is not None and engine.team is not None and engine.team.name == "intake"
        assert engine.production_environments == "live"


def test_export_round_trips(db: Database, cli: Cli, tmp_path: Path) -> None:
    assert cli("org", "apply", str(EXAMPLE)).exit_code == 0
    exported = tmp_path / "exported.yaml"
    assert cli("org", "export", "--output", str(exported)).exit_code == 0
    doc = yaml.safe_load(exported.read_text())
    assert [s["name"] for s in doc["services"]] == ["eligibility-engine", "intake-api", "intake-web"]
    again = json.loads(cli("org", "apply", str(exported), "--format", "json").stdout)
    assert (again["added"], again["changed"]) == (0, 0)
    assert again["unchanged"] == 9
    assert yaml.safe_load(cli("org", "export").stdout) == doc
    # the export applied to an empty database gives the same export back
    fresh = Cli(f"sqlite:///{tmp_path / 'fresh.db'}")
    applied = json.loads(fresh("org", "apply", str(exported), "--format", "json").stdout)
    assert (applied["added"], applied["changed"], applied["unchanged"]) == (9, 0, 0)
    assert yaml.safe_load(fresh("org", "export").stdout) == doc


def test_bad_file_names_line_and_field_and_stores_nothing(db: Database, cli: Cli, tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace("    team: eligibility\n", "    team: eligibilty\n")
    bad = tmp_path / "org.yaml"
    bad.write_text(text)
    line = text.splitlines().index("    team: eligibilty") + 1
    out = cli("org", "apply", str(bad))
    assert out.exit_code == 2
    assert "Traceback" not in out.stderr
    assert f"{bad}:{line}" in out.stderr
    assert "services[2].team" in out.stderr and "eligibilty" in out.stderr
    assert _counts(db) == (0, 0, 0, 0)  # the two good teams and services before it were not stored


def test_bad_values_each_name_their_field(db: Database, cli: Cli, tmp_path: Path) -> None:
    cases = {
        "teams: [{name: a, colour: red}]\n": ("teams[0].colour", 1),
        "services:\n  - name: s\n    history_start: 2026-01-01T00:00:00\n": ("services[0].history_start", 3),
        "services:\n  - name: s\n    repositories: [{branch: main}]\n": (
            "services[0].repositories[0].location",
            3,
        ),
        "streams:\n  - name: s\n    done: [Done]\n    steps: [{name: A, statuses: [x], kind: busy}]\n": (
            "streams[0].steps[0].kind",
            4,
        ),
        "teams: [a\n": ("not valid YAML", None),
    }
    for text, (field, line) in cases.items():
        path = tmp_path / "org.yaml"
        path.write_text(text)
        out = cli("org", "apply", str(path))
        assert out.exit_code == 2, text
        assert field in out.stderr, (text, out.stderr)
        if line is not None:
            assert f"{path}:{line}:" in out.stderr, (text, out.stderr)
    assert _counts(db) == (0, 0, 0, 0)


def test_deployments_for_a_new_service_need_the_org_first(db: Database, cli: Cli, tmp_path: Path) -> None:
    deployments = tmp_path / "deployments.jsonl"
    deployments.write_text(
        json.dumps(
            {
                "id": "42",
                "service": "eligibility-engine",
                "environment": "production",
                "status": "success",
                "finished_at": "2026-03-02T10:00:00Z",
                "revision": "4f2a9c1",
            }
        )
        + "\n"
    )
    refused = cli("delivery", "import", "deployments", str(deployments))
    assert refused.exit_code == 2
    assert f"{deployments}:1" in refused.stderr
    assert (
        "no service named 'eligibility-engine'" in refused.stderr and "missionos org apply" in refused.stderr
    )
    assert cli("org", "apply", str(EXAMPLE)).exit_code == 0
    accepted = cli("delivery", "import", "deployments", str(deployments))
    assert accepted.exit_code == 0, accepted.stderr
    with db.session() as s:
        doc = delivery_metrics(
            s,
            scope_of(s, services=["eligibility-engine"]),
            Window(t("2026-03-01T00:00Z"), t("2026-04-01T00:00Z")),
        )
    assert doc["deployment_frequency"]["count"] == 1


def test_production_environments_reclassify_existing_deployments(
    db: Database, cli: Cli, tmp_path: Path
) -> None:
    assert cli("org", "apply", str(EXAMPLE)).exit_code == 0
    deployments = tmp_path / "d.csv"
    deployments.write_text(
        "id,service,environment,status,finished_at,revision\n"
        "1,intake-web,prod-eu,success,2026-03-02T10:00:00Z,aaaaaaa\n"
        "2,intake-web,production,success,2026-03-03T10:00:00Z,bbbbbbb\n"
    )
    assert cli("delivery", "import", "deployments", str(deployments)).exit_code == 0

    def production() -> list[str]:
        with db.session() as s:
            return sorted(s.scalars(select(Deployment.external_id).where(Deployment.is_production)))

    assert production() == ["1"]
    doc = yaml.safe_load(EXAMPLE.read_text())
    del doc["services"][0]["production_environments"]  # back to the default: prod or production
    path = tmp_path / "org.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert cli("org", "apply", str(path)).exit_code == 0
    assert production() == ["2"]


def test_api_get_put_round_trip_and_problems(db: Database, client: httpx.Client) -> None:
    doc = yaml.safe_load(EXAMPLE.read_text())
    doc["services"][0]["history_start"] = "2026-01-05T00:00:00Z"
    dry = client.put("/api/v1/org", json=doc, params={"dry_run": "true"})
    assert dry.status_code == 200, dry.text
    assert dry.json()["added"] == 9 and dry.json()["dry_run"] is True
    assert client.get("/api/v1/org").json()["services"] == []
    put = client.put("/api/v1/org", json=doc)
    assert put.status_code == 200 and put.json()["added"] == 9
    got = client.get("/api/v1/org").json()
    back = client.put("/api/v1/org", json=got).json()
    assert (back["added"], back["changed"], back["unchanged"]) == (0, 0, 9)

    bad = json.loads(json.dumps(doc))
    bad["services"][1]["repositories"] = [{"location": ""}]
    bad["teams"].append({"name": "new-team"})
    problem = client.put("/api/v1/org", json=bad)
    assert problem.status_code == 422
    assert problem.headers["content-type"].startswith("application/problem+json")
    assert "services[1].repositories[0].location" in problem.json()["detail"]
    assert "new-team" not in [t["name"] for t in client.get("/api/v1/org").json()["teams"]]


def test_a_change_is_audited_and_a_noop_is_not(db: Database, cli: Cli) -> None:
    from missionos.accounts.models import AuditEvent

    def entries() -> list[AuditEvent]:
        with db.session() as s:
            found = list(s.scalars(select(AuditEvent).where(AuditEvent.kind == "org")))
            s.expunge_all()
            return found

    assert cli("org", "apply", str(EXAMPLE), "--dry-run").exit_code == 0
    assert entries() == []
    assert cli("org", "apply", str(EXAMPLE)).exit_code == 0
    [entry] = entries()
    assert entry.actor.startswith("cli:") and entry.action == "apply"
    assert entry.before["services"] == [] and len(entry.after["services"]) == 3
    assert cli("org", "apply", str(EXAMPLE)).exit_code == 0
    assert len(entries()) == 1


def test_history_start_from_the_org_file_reattributes_changes(db: Database, cli: Cli, tmp_path: Path) -> None:
    from tests.delivery.gitrepo import GitRepo

    repo = GitRepo(tmp_path / "engine")
    repo.commit("old work", "2026-02-01T09:00:00+00:00")
    repo.commit("new work", "2026-03-01T09:00:00+00:00")
    head = repo.commit("newer work", "2026-03-02T09:00:00+00:00")
    doc = {"teams": ["eligibility"], "services": [{"name": "engine", "team": "eligibility"}]}
    org = tmp_path / "org.yaml"
    org.write_text(yaml.safe_dump(doc))
    assert cli("org", "apply", str(org)).exit_code == 0
    assert cli("delivery", "import", "git", str(repo.path), "--service", "engine").exit_code == 0
    deployments = tmp_path / "d.csv"
    deployments.write_text(
        f"id,service,environment,status,finished_at,revision\n1,engine,prod,success,2026-03-03T09:00:00Z,{head}\n"
    )
    assert cli("delivery", "import", "deployments", str(deployments)).exit_code == 0

    def lead_count() -> int:
        with db.session() as s:
            figures = delivery_metrics(s, scope_of(s), Window(t("2026-03-01T00:00Z"), t("2026-04-01T00:00Z")))
        return int(figures["lead_time"]["count"])

    assert lead_count() == 0  # the first deployment carries nothing without a history start (metrics.md §1)
    doc["services"][0]["history_start"] = "2026-02-15"
    org.write_text(yaml.safe_dump(doc))
    out = cli("org", "apply", str(org))
    assert "history_start" in out.stdout
    assert lead_count() == 2  # the two changes committed from 2026-02-15 on
