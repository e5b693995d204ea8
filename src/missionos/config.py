"""Where Mission OS keeps its data, read from the environment.

`MISSIONOS_HOME` (default `./.missionos/`) holds the embedded SQLite database, caches and the demo's
git repositories. `MISSIONOS_DATABASE_URL` selects another database, such as PostgreSQL.
"""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """The directory for Mission OS's own files; created on first use."""
    path = Path(os.environ.get("MISSIONOS_HOME", ".missionos")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    """The configured database URL, or the embedded SQLite file under `home()`."""
    url = os.environ.get("MISSIONOS_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{home() / 'missionos.db'}"
