"""The database's change signal, and figures cached until the next committed change."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from missionos.accounts.models import Setting
from missionos.store import Database
from missionos.strategy import service as strategy
from tests.strategy.plans import VALID

# PostgreSQL's WAL position is the cluster's, and the tests running beside this one write to it, so only
# SQLite can show here that nothing changes while nobody writes.
QUIET = {"sqlite": True, "postgresql": False}


def _write(db: Database, name: str) -> None:
    with db.session() as session:
        session.add(Setting(name=name, value="x", updated_at=dt.datetime.now(dt.UTC)))


def test_the_version_moves_on_every_commit_from_anywhere(db: Database) -> None:
    with db.session() as session:  # the pool's first connection sets SQLite's journal mode
        session.get(Setting, "absent")
    first = db.data_version()
    assert first is not None
    if QUIET[db.dialect]:
        assert db.data_version() == first, "reading changes nothing"
        with db.session() as session:
            session.get(Setting, "absent")
        assert db.data_version() == first, "a read-only transaction changes nothing"
    _write(db, "one")
    second = db.data_version()
    assert second not in (None, first)
    other = Database(db.url)  # another process or host
    try:
        _write(other, "two")
    finally:
        other.dispose()
    assert db.data_version() not in (None, second)


def test_a_cached_figure_is_computed_again_after_a_commit(db: Database) -> None:
    computed: list[int] = []

    def compute() -> int:
        computed.append(1)
        return len(computed)

    assert db.cached("k", compute) == 1
    if QUIET[db.dialect]:
        assert db.cached("k", compute) == 1 and len(computed) == 1, "no commit: the kept result"
    _write(db, "changed")
    before = len(computed)
    assert db.cached("k", compute) == before + 1, "a commit: computed again"
    assert db.cached("k", compute, max_age=0) == before + 2, "an entry older than max_age is computed again"


def test_a_figure_cached_with_its_own_version_outlives_other_commits(db: Database) -> None:
    computed: list[int] = []
    fingerprint = ["a"]

    def compute() -> int:
        computed.append(1)
        return len(computed)

    def cached() -> int:
        return db.cached("own", compute, version=lambda: fingerprint[0])

    assert cached() == 1
    _write(db, "elsewhere")
    assert cached() == 1 and len(computed) == 1, "a commit of other data keeps it"
    fingerprint[0] = "b"
    assert cached() == 2, "its own data changed: computed again"
    assert db.cached("own", compute, version=lambda: None) == 3, "no version: always computed"


def test_the_plan_page_shows_a_change_committed_by_another_process(
    client: httpx.Client, db: Database
) -> None:
    strategy.apply_plan(db, VALID, actor="ann")
    before = client.get("/strategy/plans/benefits-2027", headers={"accept": "text/html"}).text
    assert "Benefits Modernization 2027" in before
    other = Database(db.url)
    try:
        strategy.apply_plan(
            other,
            VALID.replace("title: Benefits Modernization 2027", "title: Benefits 2027, revised"),
            actor="bo",
        )
    finally:
        other.dispose()
    after = client.get("/strategy/plans/benefits-2027", headers={"accept": "text/html"}).text
    assert "Benefits 2027, revised" in after and "Benefits Modernization 2027" not in after


def test_the_delivery_page_shows_a_deployment_committed_by_another_process(
    client: httpx.Client, db: Database
) -> None:
    from missionos.delivery import service as delivery
    from missionos.delivery.records import DeploymentRecord

    with db.session() as session:
        delivery.ensure_service(session, "intake-web", team="Intake")
    empty = client.get("/delivery", headers={"accept": "text/html"}).text
    assert "0 production deployments;" in empty
    assert client.get("/delivery", headers={"accept": "text/html"}).text == empty, (
        "nothing written, same page"
    )
    other = Database(db.url)
    try:
        with other.session() as session:
            finished = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
            record = DeploymentRecord(
                id="deploy-77",
                service="intake-web",
                environment="production",
                status="success",
                started_at=None,
                finished_at=finished,
                revision="a" * 40,
            )
            delivery.upsert_deployments(session, [record], source="test")
    finally:
        other.dispose()
    after = client.get("/delivery", headers={"accept": "text/html"}).text
    assert "1 production deployments;" in after and "0 production deployments;" not in after


def test_readers_arriving_together_compute_once(db: Database) -> None:
    import threading
    import time

    if not QUIET[db.dialect]:
        pytest.skip("PostgreSQL's WAL position moves with the tests running beside this one")
    computed: list[int] = []

    def slow() -> int:
        computed.append(1)
        time.sleep(0.2)
        return 7

    _write(db, "warm")  # the pool's first connection is made
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(db.cached("k", slow))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [7, 7, 7, 7] and len(computed) == 1
