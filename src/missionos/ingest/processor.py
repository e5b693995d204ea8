"""Processing stored webhook deliveries: in batches, each batch in one transaction, failures kept.

The receivers only verify and store (concurrent deliveries share one insert); a processor (by default a
process of its own that `missionos serve` starts, else a thread in each web worker) then maps the stored
deliveries onto delivery and flow records. Deliveries from one source are
combined and written in one transaction together with their `processed` mark, so a batch is applied whole
or not at all, and mapping a hundred deliveries costs the delivery service about what one costs. When a
combined batch fails, its deliveries are processed one by one to find and mark the failing ones. Only one
processor works at a time across all workers and hosts (a lease in the database).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence

from missionos.ingest import batches, inbox
from missionos.store import Database

BATCH = 500
# SQLite has one writer: smaller batches keep each write transaction short, so receivers storing new
# deliveries wait milliseconds for the lock, not seconds.
SQLITE_BATCH = 50
SQLITE_YIELD = 0.1


def batch_size(db: Database) -> int:
    return SQLITE_BATCH if db.dialect == "sqlite" else BATCH


def _outcome(delivery: inbox.Delivery) -> tuple[str, batches.Batch | None, str | None]:
    """(source name, records, error) for one delivery; mapping never writes."""
    try:
        source, batch = batches.batch_of(delivery)
    # Deliberately broad: a payload the mapping cannot read (whatever the exception) must be recorded on its
    # delivery and kept for replay, never lost and never allowed to stop the rest of the batch.
    except Exception as exc:
        return delivery.source, None, f"{type(exc).__name__}: {exc}"
    return source, batch, None


def process_rows(db: Database, row_ids: Sequence[int]) -> dict[str, int]:
    """Process these stored deliveries (again); returns how many ended in each status."""
    tally: dict[str, int] = {}

    def count(status: str, n: int = 1) -> None:
        tally[status] = tally.get(status, 0) + n

    size = batch_size(db)
    for start in range(0, len(row_ids), size):
        with db.session() as session:
            deliveries = inbox.load(session, row_ids[start : start + size])
        groups: dict[str, list[tuple[inbox.Delivery, batches.Batch]]] = {}
        failed: list[tuple[int, str]] = []
        for delivery in deliveries:
            source, batch, error = _outcome(delivery)
            if batch is None:
                failed.append((delivery.id, error or "unreadable"))
            else:
                groups.setdefault(source, []).append((delivery, batch))
        if failed:
            with db.session() as session:
                for row_id, error in failed:
                    inbox.mark(session, row_id, "failed", error)
            count("failed", len(failed))
        for source, members in groups.items():
            if _apply_together(db, source, members):
                for _, batch in members:
                    count("processed" if batch else "ignored")
            else:
                for member in members:
                    count(_apply_alone(db, source, member))
    return tally


def _apply_together(db: Database, source: str, members: list[tuple[inbox.Delivery, batches.Batch]]) -> bool:
    try:
        with db.session() as session:
            combined = batches.combine([batch for _, batch in members])
            if combined:
                batches.apply(session, combined, source=source)
            for delivery, batch in members:
                inbox.mark(session, delivery.id, "processed" if batch else "ignored")
    # Deliberately broad: the transaction has rolled back whole; each delivery is retried alone next, which
    # records the error on the delivery that causes it.
    except Exception:
        return False
    return True


def _apply_alone(db: Database, source: str, member: tuple[inbox.Delivery, batches.Batch]) -> str:
    delivery, batch = member
    try:
        with db.session() as session:
            if batch:
                batches.apply(session, batch, source=source)
            inbox.mark(session, delivery.id, "processed" if batch else "ignored")
        return "processed" if batch else "ignored"
    # Deliberately broad: a processing bug is recorded on the stored delivery for `missionos hooks replay`.
    except Exception as exc:
        with db.session() as session:
            inbox.mark(session, delivery.id, "failed", f"{type(exc).__name__}: {exc}")
        return "failed"


def owner_name() -> str:
    """This process's name in the processing lease."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def process_pending(
    db: Database, *, owner: str, advance: Callable[[int], None] | None = None
) -> dict[str, int] | None:
    """Process every received delivery in batches while holding the lease; None if another owner holds it."""
    tally: dict[str, int] = {}
    while True:
        with db.session() as session:
            # Look before taking the lease, so an idle processor never writes.
            if not inbox.pending(session, statuses=("received",), limit=1):
                return tally
        with db.session() as session:
            if not inbox.take_lease(session, owner):
                return tally or None
        while True:
            with db.session() as session:
                ids = inbox.pending(session, statuses=("received",), limit=batch_size(db))
                if ids:
                    inbox.take_lease(session, owner)  # renew
            if not ids:
                break
            for status, n in process_rows(db, ids).items():
                tally[status] = tally.get(status, 0) + n
            if advance:
                advance(len(ids))
            if db.dialect == "sqlite":
                # SQLite has one writer, and a receiver waiting for the lock looks again only every 100 ms
                # (SQLite's busy handler backs off to that): leave the lock free that long between batches.
                time.sleep(SQLITE_YIELD)
        with db.session() as session:
            inbox.give_up_lease(session, owner)
        # A delivery stored while the lease was being given up found it taken and left its processing to us.
        with db.session() as session:
            if not inbox.pending(session, statuses=("received",), limit=1):
                return tally


class Processor:
    """The background processor of one server worker: wakes when a delivery is stored, and every few
    seconds to pick up deliveries left by a worker that died."""

    def __init__(self, db: Database, *, interval: float = 5.0) -> None:
        self.db = db
        self.interval = interval
        self.owner = owner_name()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="missionos-hooks", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        self.thread.join(timeout=30)

    def _run(self) -> None:
        while not self.stopping.is_set():
            self.wake.wait(self.interval)
            self.wake.clear()
            if self.stopping.is_set():
                break
            try:
                process_pending(self.db, owner=self.owner)
            # Deliberately broad: a lost database connection must not end the worker's processor; the
            # deliveries stay stored and the next wake-up (or `missionos hooks replay`) processes them.
            except Exception:
                self.stopping.wait(self.interval)


def _hold_lease(db: Database, owner: str, timeout: float) -> None:
    from missionos.errors import ConflictError

    deadline = time.monotonic() + timeout
    while True:
        with db.session() as session:
            if inbox.take_lease(session, owner):
                return
        if time.monotonic() > deadline:
            raise ConflictError(
                "another processor holds the webhook lease (a server worker busy with a batch); try again"
            )
        time.sleep(0.2)


def replay(
    db: Database, row_ids: Sequence[int], *, advance: Callable[[int], None] | None = None, timeout: float = 60
) -> dict[str, int]:
    """Process these stored deliveries again, holding the lease so no server worker processes them at the
    same time; returns how many ended in each status."""
    owner = owner_name()
    _hold_lease(db, owner, timeout)
    tally: dict[str, int] = {}
    try:
        for start in range(0, len(row_ids), batch_size(db)):
            chunk = row_ids[start : start + batch_size(db)]
            for status, n in process_rows(db, chunk).items():
                tally[status] = tally.get(status, 0) + n
            with db.session() as session:
                inbox.take_lease(session, owner)
            if advance:
                advance(len(chunk))
    finally:
        with db.session() as session:
            inbox.give_up_lease(session, owner)
    return tally


def drain(db: Database, *, timeout: float = 60) -> dict[str, int]:
    """Process every received delivery now (waiting for the lease); returns what this call processed."""
    owner = owner_name()
    _hold_lease(db, owner, timeout)
    with db.session() as session:
        inbox.give_up_lease(session, owner)
    # The lease was free a moment ago; process_pending takes it again unless a worker just did, in which case
    # that worker processes what is left, and we wait for it.
    tally: dict[str, int] = {}
    deadline = time.monotonic() + timeout
    while True:
        for status, n in (process_pending(db, owner=owner) or {}).items():
            tally[status] = tally.get(status, 0) + n
        with db.session() as session:
            if not inbox.pending(session, statuses=("received",), limit=1):
                return tally
        if time.monotonic() > deadline:
            from missionos.errors import ConflictError

            raise ConflictError("deliveries are still waiting for the processor; try again")
        time.sleep(0.1)
