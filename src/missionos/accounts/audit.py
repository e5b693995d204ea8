"""The audit log: record every write, list and export it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos.accounts.models import AuditEvent
from missionos.store import utcnow


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor: str
    action: str
    kind: str
    key: str
    before: Any
    after: Any

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "kind": self.kind,
            "key": self.key,
            "before": self.before,
            "after": self.after,
        }


def record(
    session: Session, *, actor: str, action: str, kind: str, key: str, before: Any = None, after: Any = None
) -> None:
    """Append one audit entry in the caller's transaction (so it commits or rolls back with the write)."""
    session.add(
        AuditEvent(at=utcnow(), actor=actor, action=action, kind=kind, key=key, before=before, after=after)
    )


def entries(
    session: Session, *, kind: str | None = None, key: str | None = None, limit: int | None = None
) -> list[AuditEntry]:
    """Audit entries, newest first, optionally for one kind of object or one object."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if kind:
        query = query.where(AuditEvent.kind == kind)
    if key:
        query = query.where(AuditEvent.key == key)
    if limit:
        query = query.limit(limit)
    return [
        AuditEntry(e.id, _aware(e.at), e.actor, e.action, e.kind, e.key, e.before, e.after)
        for e in session.scalars(query)
    ]


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
