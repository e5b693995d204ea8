"""Pages people wait for answer from figures kept until the database changes, and the home page's plan is
computed as a server starts."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from missionos.compliance import service as compliance
from missionos.store import Database
from missionos.strategy import service as strategy
from missionos.web import pages
from missionos.web.app import create_app, create_server_app
from tests.experiments.test_web import SMALL, reminder_data
from tests.strategy.plans import VALID

HTML = {"accept": "text/html"}


@pytest.fixture
def lite(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    """A file-backed SQLite database: its commits move `PRAGMA data_version`, which nothing else moves here
    (PostgreSQL's WAL position also moves with other tests' writes)."""
    path = tmp_path / "pages.db"
    shutil.copyfile(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


def _kept(db: Database, kind: str) -> list[tuple[Any, ...]]:
    return [entry for key, entry in db._cache.items() if key[0] == kind]


def _check_kept_then_recomputed(db: Database, path: str, kind: str, marker: str) -> None:
    with TestClient(create_app(db)) as client:
        first = client.get(path, headers=HTML)
        assert first.status_code == 200 and marker in first.text
        kept = _kept(db, kind)
        assert len(kept) == 1
        again = client.get(path, headers=HTML)
        assert again.text == first.text
        assert _kept(db, kind)[0] is kept[0]  # answered from what was kept, not computed again
        with db.session() as session:  # any commit, by anyone
            compliance.define_system(session, "unrelated", services=["nothing"], actor="test")
        assert client.get(path, headers=HTML).status_code == 200
        assert _kept(db, kind)[0][0] != kept[0][0]  # computed afresh at the new data version


def test_the_experiment_page_is_kept_until_a_commit(lite: Database) -> None:
    from missionos.experiments import service

    with lite.session() as session:
        service.apply_document(session, SMALL, actor="test")
        reminder_data(session)
    _check_kept_then_recomputed(lite, "/experiments/document-reminder", "experiments.page", "Verdict:")


def test_the_system_page_is_kept_until_a_commit(lite: Database) -> None:
    with lite.session() as session:
        compliance.define_system(
            session, "portal", services=["web"], provider="factory-pipeline", actor="test"
        )
        compliance.assess_system(session, "portal")
    _check_kept_then_recomputed(
        lite, "/compliance/portal", "compliance.overview", "Secure software supply chain"
    )


def test_the_service_page_is_kept_until_a_commit(lite: Database) -> None:
    from missionos.delivery.service import ensure_service

    with lite.session() as session:
        ensure_service(session, "svc-a", team="A")
    _check_kept_then_recomputed(lite, "/delivery/services/svc-a", "delivery.detail", "svc-a")


def test_warm_up_computes_the_home_plan_before_anyone_asks(lite: Database) -> None:
    strategy.apply_plan(lite, VALID, actor="ann")
    assert _kept(lite, "strategy.evaluate") == []
    pages.warm_up(lite)
    assert len(_kept(lite, "strategy.evaluate")) == 1
    with TestClient(create_app(lite)) as client:
        assert client.get("/", headers=HTML).status_code == 200
    assert len(_kept(lite, "strategy.evaluate")) == 1  # the page used the plan computed at start


def test_warm_up_on_an_empty_database_is_harmless(lite: Database) -> None:
    pages.warm_up(lite)
    assert lite._cache == {}


def test_only_the_served_app_warms_up(monkeypatch: pytest.MonkeyPatch, lite: Database) -> None:
    monkeypatch.setenv("MISSIONOS_DATABASE_URL", lite.url)
    assert getattr(create_app(lite).state, "warm_up", False) is False
    assert create_server_app().state.warm_up is True
