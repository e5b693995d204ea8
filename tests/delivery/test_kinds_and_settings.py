"""A deployment's kind is the user's to set (metrics.md §1, rework): an explicit kind or a `Change-Kind:`
trailer wins, the inferring patterns are settings and can be turned off, and the incident attribution
window is a setting; on SQLite and PostgreSQL, in real git repositories."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import httpx
import pytest

from missionos.delivery import settings
from missionos.delivery.files import deployment_from
from missionos.delivery.metrics import KindRules, change_kind, kind_from_texts
from missionos.delivery.records import DeploymentRecord, IncidentRecord
from missionos.delivery.service import (
    delivery_metrics,
    deployments,
    import_git,
    incidents,
    scope_of,
    upsert_deployments,
    upsert_incidents,
)
from missionos.errors import FieldError
from missionos.measures import Window
from missionos.store import Database
from tests.conftest import Cli
from tests.delivery.gitrepo import GitRepo

WINDOW = Window(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 3, 1, tzinfo=dt.UTC))


def t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def prod(did: str, revision: str, finished: str, **kw: object) -> DeploymentRecord:
    return DeploymentRecord(did, "svc", "production", "success", None, t(finished), revision, **kw)  # type: ignore[arg-type]


def kinds(db: Database) -> dict[str, str]:
    with db.session() as s:
        return {d["id"]: d["kind"] for d in deployments(s, scope_of(s, services=["svc"]), WINDOW)}


def cfr(db: Database) -> dict[str, object]:
    with db.session() as s:
        doc = delivery_metrics(s, scope_of(s, services=["svc"]), WINDOW)
    return doc["change_failure_rate"]  # type: ignore[no-any-return]


def history(tmp_path: Path, second: str) -> tuple[GitRepo, str, str]:
    """Two commits: a first release, then one whose message is `second`."""
    repo = GitRepo(tmp_path / "r")
    first = repo.commit("first release", "2026-01-05T09:00:00+00:00")
    later = repo.commit(second, "2026-01-06T09:00:00+00:00")
    return repo, first, later


def test_an_explicit_planned_kind_wins_over_a_revert_in_the_changes(db: Database, tmp_path: Path) -> None:
    repo, first, later = history(tmp_path, "revert copyright year to project start")
    with db.session() as s:
        import_git(s, repo.path, service="svc")
        upsert_deployments(s, [prod("D1", first, "2026-01-05T12:00:00+00:00")], source="t")
        upsert_deployments(s, [prod("D2", later, "2026-01-07T12:00:00+00:00")], source="t")
    assert kinds(db)["D2"] == "rollback"  # not said: inferred from the message
    assert cfr(db)["failed"] == 1
    with db.session() as s:  # the same deployment sent again, now saying it was planned
        upsert_deployments(
            s, [prod("D2", later, "2026-01-07T12:00:00+00:00", kind_explicit=True)], source="t"
        )
    assert kinds(db) == {"D1": "planned", "D2": "planned"}
    assert cfr(db)["failed"] == 0 and cfr(db)["rate"] == 0.0


def test_a_kind_given_in_a_file_is_explicit_and_a_missing_one_is_not() -> None:
    row = {
        "id": "D2",
        "service": "svc",
        "environment": "production",
        "status": "success",
        "finished_at": "2026-01-07T12:00:00Z",
        "revision": "abc1234",
    }
    assert deployment_from(row, source="f", line=1).kind_explicit is False
    said = deployment_from({**row, "kind": "planned"}, source="f", line=1)
    assert said.kind == "planned" and said.kind_explicit is True


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("revert copyright year\n\nChange-Kind: planned\n", "planned"),
        ("Tidy the logging\n\nChange-Kind: hotfix\n", "hotfix"),
        ("Pin the old client\n\nSigned-off-by: A <a@example.org>\nchange-kind: Rollback\n", "rollback"),
        ("Revert a thing\n\nChange-Kind: feature\n", "rollback"),  # not a kind: the patterns decide
    ],
)
def test_a_change_kind_trailer_is_the_change_own_word(message: str, expected: str) -> None:
    assert change_kind(message) == expected


def test_a_change_kind_trailer_decides_the_deployment(db: Database, tmp_path: Path) -> None:
    repo, first, _ = history(tmp_path, "revert copyright year\n\nChange-Kind: planned")
    fix = repo.commit("Tidy the retry loop\n\nChange-Kind: hotfix", "2026-01-08T09:00:00+00:00")
    with db.session() as s:
        import_git(s, repo.path, service="svc")
        upsert_deployments(
            s,
            [
                prod("D1", first, "2026-01-05T12:00:00+00:00"),
                prod("D2", repo.git("rev-parse", "HEAD~1"), "2026-01-07T12:00:00+00:00"),
                prod("D3", fix, "2026-01-08T12:00:00+00:00"),
            ],
            source="t",
        )
    assert kinds(db) == {"D1": "planned", "D2": "planned", "D3": "hotfix"}
    assert cfr(db)["failed"] == 1  # D3 remediates D2


def test_the_patterns_are_settings_and_inference_can_be_turned_off(db: Database, tmp_path: Path) -> None:
    repo, first, later = history(tmp_path, "revert copyright year to project start")
    git_revert = repo.commit('Revert "Add python_requires"', "2026-01-09T09:00:00+00:00")
    with db.session() as s:
        import_git(s, repo.path, service="svc")
        upsert_deployments(
            s,
            [
                prod("D1", first, "2026-01-05T12:00:00+00:00"),
                prod("D2", later, "2026-01-07T12:00:00+00:00"),
                prod("D3", git_revert, "2026-01-09T12:00:00+00:00"),
            ],
            source="t",
        )
    assert kinds(db) == {"D1": "planned", "D2": "rollback", "D3": "rollback"}
    with db.session() as s:
        settings.update(s, rollback_pattern=r'^Revert "', actor="test")  # only git's own revert message
    assert kinds(db) == {"D1": "planned", "D2": "planned", "D3": "rollback"}
    with db.session() as s:
        stored = settings.update(s, infer_kinds=False, actor="test")
    assert stored.rollback_pattern == r'^Revert "' and stored.infer_kinds is False
    assert kinds(db) == {"D1": "planned", "D2": "planned", "D3": "planned"}
    assert cfr(db)["failed"] == 0
    with db.session() as s:
        assert settings.update(s, reset=True, actor="test") == settings.DEFAULTS
        settings.update(s, reset=True, actor="test")  # no change, no audit entry
    assert kinds(db)["D2"] == "rollback"
    from missionos.accounts import audit

    with db.session() as s:
        changes = [e.after for e in reversed(audit.entries(s, kind="delivery.settings"))]
    assert [c["infer_kinds"] for c in changes] == [True, False, True]


def test_turning_inference_off_keeps_explicit_kinds_and_named_remediations(
    db: Database, tmp_path: Path
) -> None:
    repo, first, later = history(tmp_path, "Tidy\n\nChange-Kind: hotfix")
    with db.session() as s:
        settings.update(s, infer_kinds=False, actor="test")
        import_git(s, repo.path, service="svc")
        upsert_deployments(
            s,
            [prod("D1", first, "2026-01-05T12:00:00+00:00"), prod("D2", later, "2026-01-07T12:00:00+00:00")],
            source="t",
        )
    assert kinds(db)["D2"] == "hotfix"


def test_the_attribution_window_is_a_setting(db: Database, tmp_path: Path) -> None:
    repo, first, later = history(tmp_path, "second")
    with db.session() as s:
        import_git(s, repo.path, service="svc")
        upsert_deployments(
            s,
            [prod("D1", first, "2026-01-05T12:00:00+00:00"), prod("D2", later, "2026-01-07T12:00:00+00:00")],
            source="t",
        )
        # ten days after D2: outside the default seven
        upsert_incidents(s, [IncidentRecord("I1", "svc", t("2026-01-17T12:00:00+00:00"))], source="t")

    def attributed() -> str | None:
        with db.session() as s:
            return incidents(s, scope_of(s, services=["svc"]), WINDOW)[0]["deployment"]  # type: ignore[no-any-return]

    assert attributed() is None and cfr(db)["failed"] == 0
    with db.session() as s:
        settings.update(s, attribution_window="14d", actor="test")
        assert settings.load(s).attribution_window == dt.timedelta(days=14)
    assert attributed() == "D2" and cfr(db)["failed"] == 1
    with db.session() as s:
        settings.update(s, attribution_window="48h", actor="test")
    assert attributed() is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rollback_pattern": "revert("}, "rollback_pattern"),
        ({"hotfix_pattern": "x|"}, "hotfix_pattern"),  # matches empty text: every change
        ({"hotfix_pattern": "  "}, "hotfix_pattern"),
        ({"attribution_window": "a week"}, "attribution_window"),
        ({"attribution_window": "0d"}, "attribution_window"),
        ({"attribution_window": "400d"}, "attribution_window"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(db: Database, change: dict[str, str], field: str) -> None:
    with db.session() as s, pytest.raises(FieldError) as raised:
        settings.update(s, **change, actor="test")  # type: ignore[arg-type]
    assert raised.value.field == field
    with db.session() as s:
        assert settings.load(s) == settings.DEFAULTS


def test_rules_off_leave_only_what_was_said() -> None:
    off = KindRules(infer=False)
    assert kind_from_texts("planned", ["Revert everything", "hotfix"], rules=off) == "planned"
    assert kind_from_texts("planned", ["x\n\nChange-Kind: rollback"], rules=off) == "rollback"
    assert kind_from_texts("planned", ["Revert everything"], explicit=True) == "planned"


def test_settings_through_the_cli(cli: Cli, db: Database, tmp_path: Path) -> None:
    shown = json.loads(cli("delivery", "settings", "--format", "json").stdout)
    assert shown == {
        "infer_kinds": True,
        "rollback_pattern": "rollback|revert",
        "hotfix_pattern": "hotfix",
        "attribution_window": "7d",
        "attribution_window_hours": 168.0,
    }
    result = cli(
        "delivery", "settings", "--no-infer-kinds", "--rollback-pattern", '^Revert "',
        "--attribution-window", "36h", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    changed = json.loads(result.stdout)
    assert (changed["infer_kinds"], changed["rollback_pattern"], changed["attribution_window"]) == (
        False,
        '^Revert "',
        "36h",
    )
    with db.session() as s:
        assert settings.load(s).attribution_window == dt.timedelta(hours=36)
    bad = cli("delivery", "settings", "--hotfix-pattern", "hot(fix")
    assert bad.exit_code == 2 and "hotfix_pattern" in bad.stderr and "Traceback" not in bad.stderr
    table = cli("delivery", "settings", "--reset")
    assert table.exit_code == 0 and "rollback|revert" in table.stdout


def test_settings_through_the_api(client: httpx.Client, db: Database) -> None:
    assert client.get("/api/v1/delivery/settings").json()["attribution_window"] == "7d"
    answer = client.put("/api/v1/delivery/settings", json={"infer_kinds": False, "attribution_window": "14d"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["infer_kinds"] is False and answer.json()["attribution_window_hours"] == 336.0
    assert client.get("/api/v1/delivery/settings").json()["infer_kinds"] is False
    for body, field in (
        ({"rollback_pattern": "("}, "rollback_pattern"),
        ({"infer_kinds": "no"}, "infer_kinds"),
        ({"window": "7d"}, "window"),
    ):
        refused = client.put("/api/v1/delivery/settings", json=body)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert field in refused.json()["detail"]
    with db.session() as s:  # nothing of a refused change was stored
        assert settings.load(s).attribution_window == dt.timedelta(days=14)


def test_a_github_deployment_payload_kind_is_explicit(tmp_path: Path) -> None:
    from missionos.delivery.forges import SavedPages, read_github
    from tests.delivery.test_import_errors import save

    base = "/repos/acme/web"
    save(tmp_path, f"{base}/pulls", {"state": "closed"}, [])
    save(tmp_path, f"{base}/issues", {"labels": "incident", "state": "all"}, [])
    said = {"id": 500, "sha": "a" * 40, "environment": "production", "created_at": "2026-06-02T16:00:00Z"}
    save(
        tmp_path, f"{base}/deployments", None, [{**said, "payload": {"kind": "planned"}}, {**said, "id": 501}]
    )
    for n in (500, 501):
        status = {"state": "success", "created_at": "2026-06-02T16:30:00Z"}
        save(tmp_path, f"{base}/deployments/{n}/statuses", None, [status])
    found = read_github(SavedPages(tmp_path), "acme/web", "web").deployments
    assert [(d.id, d.kind, d.kind_explicit) for d in found] == [
        ("500", "planned", True),
        ("501", "planned", False),
    ]
