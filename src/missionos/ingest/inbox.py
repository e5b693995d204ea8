"""Webhook deliveries: verify the signature, store the raw payload once per delivery id, keep the queue.

A delivery is stored (and committed) before it is processed (`missionos.ingest.processor`), so a processing
bug loses nothing: the failure is recorded on the delivery and `missionos hooks replay` processes it again
once the bug is fixed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from missionos.accounts import Principal, Setting, limits
from missionos.ingest.models import WebhookDelivery
from missionos.store import utcnow

# The generic event signature covers a timestamp; older (or further in the future) than this is a replay.
EVENT_TOLERANCE = dt.timedelta(minutes=5)
# A body already received from the same source within this window is a replay, whatever its delivery id (the
# id is a header no signature covers).
REPLAY_WINDOW = dt.timedelta(hours=24)
STATUSES = ("received", "processed", "ignored", "failed")
# Headers kept with the payload: what processing needs, never a secret (X-Gitlab-Token) or a signature.
KEPT_HEADERS = (
    "content-type",
    "user-agent",
    "x-github-event",
    "x-github-delivery",
    "x-github-hook-id",
    "x-gitlab-event",
    "x-gitlab-event-uuid",
    "x-gitlab-instance",
    "x-missionos-event",
    "x-missionos-delivery",
    "x-missionos-timestamp",
)


def verify_github(secret: str, body: bytes, header: str | None) -> bool:
    """X-Hub-Signature-256: `sha256=` and the hex HMAC-SHA256 of the body, compared in constant time."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.removeprefix("sha256=").encode(), expected.encode())


def verify_gitlab(secret: str, header: str | None) -> bool:
    """X-Gitlab-Token: the shared secret itself, compared in constant time."""
    return bool(header) and hmac.compare_digest((header or "").encode(), secret.encode())


def sign_event(secret: str, body: bytes, timestamp: int) -> str:
    """The X-MissionOS-Signature of a generic event: `sha256=` HMAC-SHA256 of `<timestamp>.<body>`."""
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_event(
    secret: str, body: bytes, timestamp: str | None, signature: str | None, *, now: float | None = None
) -> str | None:
    """None when a generic event is well signed and fresh; else why it is refused."""
    if not timestamp or not signature:
        return "missing X-MissionOS-Timestamp or X-MissionOS-Signature"
    try:
        sent = int(timestamp)
    except ValueError:
        return "X-MissionOS-Timestamp must be whole seconds since the epoch"
    if not hmac.compare_digest(signature.encode(), sign_event(secret, body, sent).encode()):
        return "signature does not match"
    if abs((now if now is not None else time.time()) - sent) > EVENT_TOLERANCE.total_seconds():
        return "timestamp outside the 5-minute window (a replayed or delayed request)"
    return None


def delivery_id_of(source: str, headers: dict[str, str], body: bytes) -> str:
    """The sender's delivery id, or the SHA-256 of the body when the sender gives none."""
    header = {
        "github": "x-github-delivery",
        "gitlab": "x-gitlab-event-uuid",
        "events": "x-missionos-delivery",
    }[source]
    given = headers.get(header, "").strip()
    return given[:200] if given else "sha256:" + hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class Incoming:
    """A verified delivery about to be stored."""

    source: str
    delivery_id: str
    event: str
    headers: dict[str, str]
    payload: bytes

    @property
    def body_sha256(self) -> str:
        return hashlib.sha256(self.payload).hexdigest()

    def row(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "delivery_id": self.delivery_id,
            "event": self.event[:100],
            "headers": {k: v for k, v in self.headers.items() if k in KEPT_HEADERS},
            "payload": self.payload,
            "body_sha256": self.body_sha256,
            "received_at": utcnow(),
            "status": "received",
            "attempts": 0,
            "error": None,
            "processed_at": None,
        }


def store_many(session: Session, items: Sequence[Incoming]) -> list[tuple[int, bool]]:
    """Insert each delivery unless its (source, delivery id) is already stored or comes earlier in `items`, or
    its body was received from the same source within `REPLAY_WINDOW` or comes earlier in `items` (a replay
    under a new id), in the caller's transaction: one select of recent bodies, one multi-row insert and, for
    the repeats, one select. Returns (row id, whether it is new) for each item, in order; a repeat or a replay
    answers with the row first stored."""
    if not items:
        return []
    table = cast(Table, WebhookDelivery.__table__)
    connection = session.connection()
    digests = sorted({item.body_sha256 for item in items})
    recent: dict[tuple[str, str], int] = {}
    for r in connection.execute(
        select(table.c.id, table.c.source, table.c.body_sha256)
        .where(table.c.body_sha256.in_(digests), table.c.received_at >= utcnow() - REPLAY_WINDOW)
        .order_by(table.c.id)
    ):
        recent.setdefault((r.source, r.body_sha256), int(r.id))
    firsts: dict[tuple[str, str], dict[str, Any]] = {}
    owner_of_body: dict[tuple[str, str], tuple[str, str]] = {}
    for item in items:
        key, body = (item.source, item.delivery_id), (item.source, item.body_sha256)
        if key in firsts or body in recent or body in owner_of_body:
            continue
        firsts[key] = item.row()
        owner_of_body[body] = key
    inserted: dict[tuple[str, str], int] = {}
    if firsts:
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        statement = (
            insert(table)
            .on_conflict_do_nothing(index_elements=["source", "delivery_id"])
            .returning(table.c.id, table.c.source, table.c.delivery_id)
        )
        inserted = {
            (r.source, r.delivery_id): int(r.id) for r in connection.execute(statement, list(firsts.values()))
        }
    repeated = {(i.source, i.delivery_id) for i in items} - set(inserted)
    known: dict[tuple[str, str], int] = {}
    if repeated:
        rows = connection.execute(
            select(table.c.id, table.c.source, table.c.delivery_id).where(
                table.c.delivery_id.in_(sorted({d for _, d in repeated}))
            )
        )
        known = {(r.source, r.delivery_id): int(r.id) for r in rows}
    out: list[tuple[int, bool]] = []
    for item in items:
        key, body = (item.source, item.delivery_id), (item.source, item.body_sha256)
        if key in inserted:
            out.append((inserted.pop(key), True))
            known[key] = out[-1][0]
        elif key in known:
            out.append((known[key], False))
        elif body in recent:
            out.append((recent[body], False))
        else:
            out.append((known[owner_of_body[body]], False))
    return out


def store(
    session: Session, *, source: str, delivery_id: str, event: str, headers: dict[str, str], payload: bytes
) -> tuple[int, bool]:
    """Insert the raw delivery unless its id was seen; returns (row id, whether it is new)."""
    return store_many(session, [Incoming(source, delivery_id, event, headers, payload)])[0]


@dataclass(frozen=True)
class Delivery:
    """A stored delivery as the mapping sees it."""

    id: int
    source: str
    delivery_id: str
    event: str
    headers: dict[str, str]
    payload: bytes


def load(session: Session, row_ids: Sequence[int]) -> list[Delivery]:
    """The stored deliveries with these row ids, oldest first."""
    rows = session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.id.in_(list(row_ids))).order_by(WebhookDelivery.id)
    )
    return [Delivery(r.id, r.source, r.delivery_id, r.event, dict(r.headers), r.payload) for r in rows]


def mark(session: Session, row_id: int, status: str, error: str | None = None) -> None:
    """Record the outcome of one processing attempt on a stored delivery."""
    row = session.get(WebhookDelivery, row_id)
    if row is not None:
        row.status, row.error = status, error[:4000] if error else None
        row.attempts += 1
        if status != "failed":
            row.processed_at = utcnow()


# One processor at a time across every worker and host: a lease row, taken with a conditional UPDATE (atomic
# on both databases) and given up when the queue is empty. A holder that dies loses it after LEASE seconds.
LEASE = dt.timedelta(seconds=15)
_LEASE_NAME = "hooks_processor_lease"


def take_lease(session: Session, owner: str, *, name: str = _LEASE_NAME, ttl: dt.timedelta = LEASE) -> bool:
    """Take (or renew) the lease `name` (default: webhook processing) for `owner`; False while another owner
    holds it and renewed it less than `ttl` ago."""
    now = utcnow()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(Setting)
        .values(name=name, value="", updated_at=dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
        .on_conflict_do_nothing(index_elements=["name"])
    )
    taken = session.execute(
        update(Setting)
        .where(Setting.name == name, or_(Setting.value == owner, Setting.updated_at < now - ttl))
        .values(value=owner, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(taken, "rowcount", 0))


def give_up_lease(session: Session, owner: str, *, name: str = _LEASE_NAME) -> None:
    session.execute(
        update(Setting)
        .where(Setting.name == name, Setting.value == owner)
        .values(value="", updated_at=dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class DeliveryInfo:
    id: int
    source: str
    delivery_id: str
    event: str
    received_at: dt.datetime
    status: str
    attempts: int
    error: str | None
    size: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "delivery_id": self.delivery_id,
            "event": self.event,
            "received_at": self.received_at.isoformat(),
            "status": self.status,
            "attempts": self.attempts,
            "error": self.error,
            "size": self.size,
        }


def list_deliveries(
    session: Session,
    *,
    status: str | None = None,
    source: str | None = None,
    limit: int = 100,
    by: Principal | None = None,
) -> list[DeliveryInfo]:
    """Stored deliveries, newest first. Deliveries span every team (a push names a repository before it is
    mapped to a service), so `by` must be an admin limited to no team."""
    limits.require_all_teams(by, "admin")
    query = select(
        WebhookDelivery.id,
        WebhookDelivery.source,
        WebhookDelivery.delivery_id,
        WebhookDelivery.event,
        WebhookDelivery.received_at,
        WebhookDelivery.status,
        WebhookDelivery.attempts,
        WebhookDelivery.error,
        func.length(WebhookDelivery.payload),
    ).order_by(WebhookDelivery.id.desc())
    if status:
        query = query.where(WebhookDelivery.status == status)
    if source:
        query = query.where(WebhookDelivery.source == source)
    out = []
    for r in session.execute(query.limit(limit)):
        at = r[4] if r[4].tzinfo else r[4].replace(tzinfo=dt.UTC)
        out.append(DeliveryInfo(r[0], r[1], r[2], r[3], at, r[5], r[6], r[7], int(r[8] or 0)))
    return out


def counts(session: Session, by: Principal | None = None) -> dict[str, int]:
    """How many stored deliveries are in each status (`by`: an admin of every team)."""
    limits.require_all_teams(by, "admin")
    found = dict(
        session.execute(select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)).all()
    )
    return {s: int(found.get(s, 0)) for s in STATUSES}


def pending(
    session: Session,
    *,
    statuses: Sequence[str] = ("received", "failed"),
    ids: Iterable[int] = (),
    source: str | None = None,
    limit: int | None = None,
    by: Principal | None = None,
) -> list[int]:
    """Row ids to (re)process: given ids, or every delivery in `statuses`, oldest first (`by`: an admin of
    every team)."""
    limits.require_all_teams(by, "admin")
    wanted = list(ids)
    query = select(WebhookDelivery.id).order_by(WebhookDelivery.id).limit(limit)
    if wanted:
        query = query.where(WebhookDelivery.id.in_(wanted))
    else:
        query = query.where(WebhookDelivery.status.in_(list(statuses)))
    if source:
        query = query.where(WebhookDelivery.source == source)
    return list(session.scalars(query))
