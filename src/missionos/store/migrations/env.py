"""Alembic environment: runs against the engine handed over in `config.attributes`."""

from __future__ import annotations

from typing import Any

from alembic import context

from missionos.store.database import Base, make_engine
from missionos.store.migrate import import_models

import_models()
config = context.config
only_context = config.attributes.get("only_context")


def include_object(obj: Any, name: str | None, type_: str, _reflected: bool, _compare_to: Any) -> bool:
    """With `only_context`, compare only that context's tables (and what belongs to them)."""
    if not only_context:
        return True
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table is None or table.startswith(f"{only_context}_")


def run() -> None:
    engine = config.attributes.get("engine") or make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            include_object=include_object,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
