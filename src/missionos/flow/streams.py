"""Value-stream definitions: parsed from their document or file form, stored, read back, and limited to the
streams of the teams a principal may see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos import safeload
from missionos.accounts import Principal, limits
from missionos.errors import FieldError, InputError, NotFoundError
from missionos.flow.models import Stream
from missionos.flow.records import STEP_KINDS, StreamDefinition, StreamEntry
from missionos.store import utcnow


def parse_stream(doc: Any, *, source: str | None = None) -> StreamDefinition:
    """A stream definition from its YAML/JSON document form, with every field checked."""
    if not isinstance(doc, dict):
        raise InputError("expected a mapping with name, team, done and steps", source=source)
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise FieldError("name", "a stream name of 1 to 200 characters", source=source)
    team = doc.get("team")
    if team is not None and not isinstance(team, str):
        raise FieldError("team", "a team name", source=source)
    done = doc.get("done")
    if not isinstance(done, list) or not done or not all(isinstance(d, str) and d for d in done):
        raise FieldError("done", "a non-empty list of done status names", source=source)
    steps = doc.get("steps")
    if not isinstance(steps, list) or not steps:
        raise FieldError("steps", "a non-empty list of {name, statuses, kind}", source=source)
    entries = []
    seen: dict[str, str] = {d.casefold(): "done" for d in done}
    for k, raw in enumerate(steps):
        where = f"steps[{k}]"
        if not isinstance(raw, dict):
            raise FieldError(where, "a mapping {name, statuses, kind}", source=source)
        step = raw.get("name")
        if not isinstance(step, str) or not step.strip():
            raise FieldError(f"{where}.name", "a step name", source=source)
        statuses = raw.get("statuses")
        if isinstance(statuses, str):
            statuses = [statuses]
        if (
            not isinstance(statuses, list)
            or not statuses
            or not all(isinstance(s, str) and s for s in statuses)
        ):
            raise FieldError(f"{where}.statuses", "a non-empty list of status names", source=source)
        kind = raw.get("kind", "active")
        if kind not in STEP_KINDS:
            raise FieldError(f"{where}.kind", "active or wait", source=source)
        for status in statuses:
            if status.casefold() in seen:
                raise FieldError(
                    f"{where}.statuses",
                    f"each status once in the stream ({status!r} is repeated)",
                    source=source,
                )
            seen[status.casefold()] = step
        entries.append(StreamEntry(step, tuple(statuses), kind))
    names = [e.name for e in entries]
    for k, entry in enumerate(entries):
        if entry.name in names[:k] and names[k - 1] != entry.name:
            raise FieldError(
                f"steps[{k}].name", f"the entries of step {entry.name!r} next to each other", source=source
            )
    description = doc.get("description", "")
    return StreamDefinition(
        name=name.strip(),
        team=team,
        done=tuple(done),
        entries=tuple(entries),
        description=description if isinstance(description, str) else "",
    )


def read_stream_file(path: Path) -> StreamDefinition:
    """Parse a stream file (YAML); errors name the file and the field."""
    try:
        doc = safeload.load(path.read_text(encoding="utf-8"), source=str(path))
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            f"not valid YAML: {getattr(exc, 'problem', exc)}",
            source=str(path),
            line=mark.line + 1 if mark is not None else None,
        ) from None
    return parse_stream(doc, source=str(path))


def apply_stream(session: Session, stream: StreamDefinition) -> str:
    """Create or replace the stream named `stream.name`; returns 'created', 'updated' or 'unchanged'."""
    row = session.scalar(select(Stream).where(Stream.name == stream.name))
    definition = stream.as_dict()
    if row is None:
        session.add(Stream(name=stream.name, team=stream.team, definition=definition, updated_at=utcnow()))
        session.flush()
        return "created"
    if row.definition == definition and row.team == stream.team:
        return "unchanged"
    row.team, row.definition, row.updated_at = stream.team, definition, utcnow()
    session.flush()
    return "updated"


def _definition(doc: dict[str, Any]) -> StreamDefinition:
    return parse_stream(doc)


def list_streams(session: Session) -> list[StreamDefinition]:
    return [_definition(r.definition) for r in session.scalars(select(Stream).order_by(Stream.name))]


def get_stream(session: Session, name: str) -> StreamDefinition:
    row = session.scalar(select(Stream).where(Stream.name == name))
    if row is None:
        raise NotFoundError("value stream", name)
    return _definition(row.definition)


def streams_of_team(session: Session, team: str) -> list[StreamDefinition]:
    return [s for s in list_streams(session) if s.team is not None and s.team.lower() == team.lower()]


# --- team limits -------------------------------------------------------------------------------------------


def require_stream(session: Session, who: Principal | None, name: str, role: str = "viewer") -> None:
    """ForbiddenError unless `who` holds `role` for the team of value stream `name` (NotFoundError: none)."""
    if who is None:
        return
    limits.require_team(who, get_stream(session, name).team, role)


def visible_streams(session: Session, who: Principal | None) -> list[StreamDefinition]:
    """The value streams of `who`'s teams (and those of no team)."""
    return limits.filter_teams(who, list_streams(session))
