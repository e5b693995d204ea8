"""The migrations build exactly the schema the models declare, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from missionos.store import Base, Database, current_heads
from missionos.store.migrate import alembic_config, import_models, upgrade


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
