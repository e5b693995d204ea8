"""Database engine, sessions, shared metadata and migrations.

Every context declares its tables on `Base` with its own name prefix (`delivery_`, `flow_`, ...) and keeps its
Alembic revisions in `<context>/migrations/` as its own branch. `Database.open()` upgrades the schema on first
use, so no command needs a separate set-up step.
"""

from typing import Any

from missionos.store.database import Base, Database, open_database, utcnow

__all__ = ["CONTEXTS", "Base", "Database", "current_heads", "open_database", "upgrade", "utcnow"]


def __getattr__(name: str) -> Any:
    # The migration helpers bring Alembic in, so they are imported only when asked for.
    if name in ("CONTEXTS", "current_heads", "upgrade"):
        from missionos.store import migrate

        return getattr(migrate, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
