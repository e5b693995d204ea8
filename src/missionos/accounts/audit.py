"""The audit log: record every write, list and export it.

The log is append-only: nothing here updates or deletes an entry, and the database refuses UPDATE and
DELETE on its table (triggers in the accounts migrations).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from missionos.accounts.identity import Principal
from missionos.accounts.limits import require_all_teams
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


def _query(
    *,
    kind: str | None = None,
    key: str | None = None,
    actor: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> Select[AuditEvent]:
    query = select(AuditEvent)
    if kind:
        query = query.where(AuditEvent.kind == kind)
    if key:
        query = query.where(AuditEvent.key == key)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    return query


def _entry(e: AuditEvent) -> AuditEntry:
    return AuditEntry(e.id, _aware(e.at), e.actor, e.action, e.kind, e.key, e.before, e.after)


def entries(
    session: Session,
    *,
    kind: str | None = None,
    key: str | None = None,
    actor: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    before_id: int | None = None,
    limit: int | None = None,
    by: Principal | None = None,
) -> list[AuditEntry]:
    """Audit entries, newest first, optionally for one kind of object, one object, one actor or a window
    [since, until); `before_id` pages back from an entry. The log spans every team, so `by` must be an admin
    limited to no team."""
    require_all_teams(by, "admin")
    query = _query(kind=kind, key=key, actor=actor, since=since, until=until).order_by(AuditEvent.id.desc())
    if before_id:
        query = query.where(AuditEvent.id < before_id)
    if limit:
        query = query.limit(limit)
    return [_entry(e) for e in session.scalars(query)]


def export_lines(
    session: Session,
    *,
    kind: str | None = None,
    actor: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    by: Principal | None = None,
) -> Iterator[str]:
    """The log as JSON Lines, oldest first: one `AuditEntry.as_dict()` object per line (`by`: an admin of
    every team, checked before the first line)."""
    require_all_teams(by, "admin")
    return _export_lines(session, kind=kind, actor=actor, since=since, until=until)


def _export_lines(
    session: Session,
    *,
    kind: str | None,
    actor: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> Iterator[str]:
    query = _query(kind=kind, actor=actor, since=since, until=until).order_by(AuditEvent.id)
    for e in session.scalars(query.execution_options(yield_per=1000)):
        yield json.dumps(_entry(e).as_dict(), sort_keys=True, default=str) + "\n"


def actors_and_kinds(session: Session, by: Principal | None = None) -> tuple[list[str], list[str]]:
    """Every actor and every kind of object in the log (for filters; `by`: an admin of every team)."""
    require_all_teams(by, "admin")
    actors = list(session.scalars(select(AuditEvent.actor).distinct().order_by(AuditEvent.actor)))
    kinds = list(session.scalars(select(AuditEvent.kind).distinct().order_by(AuditEvent.kind)))
    return actors, kinds


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
