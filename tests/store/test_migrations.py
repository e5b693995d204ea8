"""The migrations build exactly the schema the models declare, on both backends."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, LargeBinary, bindparam, create_engine, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from missionos.store import Base, Database, current_heads
from missionos.store.migrate import alembic_config, import_models, upgrade
from tests.conftest import PG_ADMIN_URL, UNDER_CI, _pg_reachable


def test_database_is_at_every_branch_head(db: Database) -> None:
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    assert heads, "there should be at least one migration"
    assert current_heads(db.engine) == heads


def test_models_match_migrations(db: Database) -> None:
    import_models()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations disagree; run `make migration`: {diff}"


def test_every_table_carries_its_context_prefix(db: Database) -> None:
    from missionos.store import CONTEXTS

    prefixes = (*(f"{context}_" for context in CONTEXTS if context != "store"), "alembic_")
    names = inspect(db.engine).get_table_names()
    assert "delivery_service" in names
    assert [n for n in names if not n.startswith(prefixes)] == []


def test_upgrade_twice_applies_nothing(db: Database) -> None:
    assert upgrade(db.engine) is False


def test_session_rolls_back_whole_on_error(db: Database) -> None:
    from missionos.delivery.service import ensure_team, list_teams

    try:
        with db.session() as session:
            ensure_team(session, "Half")
            raise RuntimeError("interrupted")
    except RuntimeError:
        pass
    with db.session() as session:
        assert list_teams(session) == []


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database with no table at all: a SQLite file, then a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    reason = _pg_reachable()
    if reason:
        if UNDER_CI:
            pytest.fail(f"PostgreSQL is unreachable at {PG_ADMIN_URL} under CI: {reason}")
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {reason}")
    schema = f"t_old_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_webhook_deliveries_reviews_and_sync_runs_survive_their_move_to_ingest(empty_engine: Engine) -> None:
    from missionos.ingest.models import SyncRun, WebhookDelivery, WebhookReview

    command.upgrade(alembic_config(empty_engine), "accounts_0005")
    at = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts_webhook_delivery (source, delivery_id, event, headers, payload,"
                " body_sha256, received_at, status, attempts, error, processed_at) VALUES (:source,"
                " :delivery_id, :event, :headers, :payload, :body_sha256, :at, :status, 1, NULL, :at)"
            ).bindparams(bindparam("headers", type_=JSON), bindparam("payload", type_=LargeBinary)),
            {
                "source": "github",
                "delivery_id": "d-1",
                "event": "deployment_status",
                "headers": {"x-github-event": "deployment_status"},
                "payload": b'{"action": "created"}',
                "body_sha256": "ab" * 32,
                "at": at,
                "status": "processed",
            },
        )
        conn.execute(
            text(
                "INSERT INTO accounts_webhook_review (source, service, number, author, submitted_at, state)"
                " VALUES ('github', 'web', 7, 'ada', :at, 'approved')"
            ),
            {"at": at},
        )
        conn.execute(
            text(
                "INSERT INTO accounts_sync_run (source, kind, started_at, finished_at, status, since,"
                " summary, error) VALUES ('claims', 'jira', :at, :at, 'ok', NULL, :summary, NULL)"
            ).bindparams(bindparam("summary", type_=JSON)),
            {"at": at, "summary": {"work_items": 3}},
        )

    assert upgrade(empty_engine) is True
    assert current_heads(empty_engine) == set(ScriptDirectory.from_config(alembic_config()).get_heads())
    names = set(inspect(empty_engine).get_table_names())
    assert {"ingest_webhook_delivery", "ingest_webhook_review", "ingest_sync_run"} <= names
    assert not {"accounts_webhook_delivery", "accounts_webhook_review", "accounts_sync_run"} & names
    with Session(empty_engine) as session:
        (delivery,) = session.scalars(select(WebhookDelivery)).all()
        assert (delivery.id, delivery.source, delivery.delivery_id, delivery.event) == (
            1,
            "github",
            "d-1",
            "deployment_status",
        )
        assert delivery.headers == {"x-github-event": "deployment_status"}
        assert delivery.payload == b'{"action": "created"}' and delivery.body_sha256 == "ab" * 32
        assert (delivery.status, delivery.attempts, delivery.error) == ("processed", 1, None)
        assert delivery.received_at.replace(tzinfo=delivery.received_at.tzinfo or dt.UTC) == at
        (review,) = session.scalars(select(WebhookReview)).all()
        assert (review.source, review.service, review.number, review.author, review.state) == (
            "github",
            "web",
            7,
            "ada",
            "approved",
        )
        (run,) = session.scalars(select(SyncRun)).all()
        assert (run.source, run.kind, run.status, run.summary) == ("claims", "jira", "ok", {"work_items": 3})
        assert run.started_at.replace(tzinfo=run.started_at.tzinfo or dt.UTC) == at
        # New rows take the next ids: the tables' id sequences came along.
        session.add(
            WebhookDelivery(source="gitlab", delivery_id="d-2", event="Push Hook", headers={}, payload=b"{}")
        )
        session.add(SyncRun(source="claims", kind="jira", started_at=at, status="running"))
        session.flush()
        assert [d.id for d in session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))] == [1, 2]
        assert [r.id for r in session.scalars(select(SyncRun).order_by(SyncRun.id))] == [1, 2]
