"""Alembic environment: runs against the engine handed over in `config.attributes`."""

from __future__ import annotations

from typing import Any

from alembic import context

from missionos.store.database import Base, make_engine
from missionos.store.migrate import import_models

import_models()
config = context.config
only_context = config.attributes.get("only_context")


def include_name(name: str | None, type_: str, _parents: dict[str, Any]) -> bool:
    if only_context and type_ == "table" and name is not None:
        return name.startswith(f"{only_context}_")
    return True


def run() -> None:
    engine = config.attributes.get("engine") or make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            include_name=include_name,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
