"""Database engine, sessions, shared metadata and migrations.

Every context declares its tables on `Base` with its own name prefix (`delivery_`, `flow_`, ...) and keeps its
Alembic revisions in `<context>/migrations/` as its own branch. `Database.open()` upgrades the schema on first
use, so no command needs a separate set-up step.
"""

from missionos.store.database import Base, Database, open_database, utcnow
from missionos.store.migrate import CONTEXTS, current_heads, upgrade

__all__ = ["CONTEXTS", "Base", "Database", "current_heads", "open_database", "upgrade", "utcnow"]
