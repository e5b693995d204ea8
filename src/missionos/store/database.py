"""The engine and session factory for one database, SQLite or PostgreSQL."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from missionos import config

T = TypeVar("T")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base shared by every context; table names carry the context's prefix."""

    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> dt.datetime:
    """The current time in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Database:
    """One database: its URL, engine and session factory."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._watch: sqlite3.Connection | None = None
        self._watch_lock = threading.Lock()
        # Figures computed from this database, each kept with the `data_version()` it was computed at (see
        # `cached`); a process-local cache, so nothing here is shared between workers or hosts.
        self._cache: dict[Hashable, tuple[Hashable, float, Any]] = {}
        self._key_locks: dict[Hashable, threading.RLock] = {}

    def data_version(self) -> str | None:
        """A token that changes whenever anyone (any connection, process or host) commits a change to this
        database, read in one cheap query; None where there is no such signal.

        SQLite: `PRAGMA data_version` on a read-only connection of its own, which never writes, so every
        commit by another connection changes it. PostgreSQL: the current WAL position, which every committed
        write moves (other databases of the cluster move it too, which only costs a recomputation).
        """
        try:
            if self.dialect == "sqlite":
                path = self.engine.url.database
                if not path or path == ":memory:" or path.startswith("file:"):
                    return None
                with self._watch_lock:
                    if self._watch is None:
                        self._watch = sqlite3.connect(
                            f"file:{path}?mode=ro", uri=True, check_same_thread=False
                        )
                    row = self._watch.execute("PRAGMA data_version").fetchone()
                return f"{id(self._watch)}:{row[0]}"
            if self.dialect == "postgresql":
                with self.engine.connect() as connection:
                    return str(connection.exec_driver_sql("SELECT pg_current_wal_lsn()").scalar())
        except (sqlite3.Error, SQLAlchemyError):
            return None  # a replica in recovery, say: nothing is cached
        return None

    def cached(
        self,
        key: Hashable,
        compute: Callable[[], T],
        *,
        max_age: float = 300.0,
        version: Callable[[], Hashable | None] | None = None,
    ) -> T:
        """`compute()`, or what it gave for `key` before when no change has been committed since (and it is
        younger than `max_age` seconds, which bounds how long anything not in the database can go unseen).
        A result is tagged with the version read *before* computing it, so a write committed meanwhile makes
        the next call compute again. Without a version signal, it always computes.

        `version()`, when given, is read instead of `data_version()`: a fingerprint of just the data that
        `compute` reads, so that a change elsewhere in the database keeps the result."""
        with self._watch_lock:
            lock = self._key_locks.setdefault(key, threading.RLock())
        # Readers arriving together wait for the first one's result instead of all computing it.
        with lock:
            version_now = self.data_version() if version is None else version()
            if version_now is None:
                return compute()
            found = self._cache.get(key)
            now = time.monotonic()
            if found is not None and found[0] == version_now and now - found[1] < max_age:
                result: T = found[2]
                return result
            value = compute()
            if len(self._cache) >= 256:
                self._cache.clear()
            self._cache[key] = (version_now, now, value)
            return value

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back whole on any error."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        with self._watch_lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None
        self._cache.clear()
        self.engine.dispose()


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get WAL mode, foreign keys and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def open_database(url: str | None = None, *, upgrade: bool = True) -> Database:
    """Open the configured database, applying any pending migrations first."""
    from missionos.store.migrate import upgrade as upgrade_schema

    database = Database(url or config.database_url())
    if upgrade:
        upgrade_schema(database.engine)
    return database
