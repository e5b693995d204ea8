"""Alembic, configured in code: one branch of revisions per bounded context."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from alembic.config import Config

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
    "ingest",
    "friction",
    "maps",
    "platform",
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
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(PACKAGE / "store" / "migrations"))
    cfg.set_main_option("version_locations", " ".join(str(d) for d in version_dirs()))
    cfg.set_main_option("path_separator", "space")
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def current_heads(engine: Engine) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


_REVISION = re.compile(r"""^revision\b[^=\n]*=\s*["']([^"']+)["']\s*$""", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\b[^=\n]*=(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"""["']([^"']+)["']""")


def script_heads() -> set[str] | None:
    """The heads of every branch, read from the revision files' `revision = ...` and `down_revision = ...`
    lines without loading them (loading them through Alembic costs more than most commands); None when a
    file does not have those lines in that form, so that the caller asks Alembic instead."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for directory in version_dirs():
        for path in directory.glob("*.py"):
            if path.name.startswith("__"):
                continue
            source = path.read_text(encoding="utf-8")
            revision, down = _REVISION.findall(source), _DOWN_REVISION.findall(source)
            if len(revision) != 1 or len(down) != 1:
                return None
            revisions.add(revision[0])
            parents.update(_QUOTED.findall(down[0]))
    return revisions - parents


def stamped_heads(engine: Engine) -> set[str]:
    """The revisions the database says it is at (`alembic_version`), read with one plain query; empty for
    a database without that table."""
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except SQLAlchemyError:
        return set()


def upgrade(engine: Engine) -> bool:
    """Bring the schema to every branch's head; returns whether anything was applied. A database already at
    the heads is recognised without Alembic, which is then not even imported."""
    heads = script_heads()
    if heads and stamped_heads(engine) == heads:
        return False
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = alembic_config(engine)
    heads = set(ScriptDirectory.from_config(cfg).get_heads())
    if current_heads(engine) == heads:
        return False
    command.upgrade(cfg, "heads")
    return True
