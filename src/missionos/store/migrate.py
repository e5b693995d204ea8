"""Alembic, configured in code: one branch of revisions per bounded context."""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

PACKAGE = Path(__file__).resolve().parent.parent

# The contexts that own tables, in the order their models are imported. Each keeps its revisions in
# `src/missionos/<context>/migrations/` with the branch label `<context>`.
CONTEXTS = (
    "store",
    "delivery",
    "flow",
    "experiments",
    "compliance",
    "strategy",
    "accounts",
    "friction",
    "maps",
)


def version_dirs() -> list[Path]:
    dirs = [PACKAGE / "store" / "migrations" / "versions"]
    dirs += [PACKAGE / ctx / "migrations" for ctx in CONTEXTS if ctx != "store"]
    return [d for d in dirs if d.is_dir()]


def import_models() -> None:
    """Import every context's models so that `Base.metadata` knows all tables."""
    for ctx in CONTEXTS:
        try:
            importlib.import_module(f"missionos.{ctx}.models")
        except ModuleNotFoundError as exc:
            if exc.name != f"missionos.{ctx}.models" and exc.name != f"missionos.{ctx}":
                raise


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(PACKAGE / "store" / "migrations"))
    cfg.set_main_option("version_locations", " ".join(str(d) for d in version_dirs()))
    cfg.set_main_option("path_separator", "space")
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def current_heads(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def upgrade(engine: Engine) -> bool:
    """Bring the schema to every branch's head; returns whether anything was applied."""
    cfg = alembic_config(engine)
    heads = set(ScriptDirectory.from_config(cfg).get_heads())
    if current_heads(engine) == heads:
        return False
    command.upgrade(cfg, "heads")
    return True
