"""Checking a blocker or a register document: every field of a blocker, every problem found at once.

`check_blocker` turns one blocker's fields (see `FIELDS`) into a `BlockerIn`, or adds what is wrong to the
problems; `read_register_file` reads a register file (YAML or JSON). The streams and their steps are read
through the flow context's service.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from missionos import flow, safeload
from missionos.errors import FieldError, InputError, Problem
from missionos.times import parse_moment

KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
FIELDS = {
    "key",
    "title",
    "owner",
    "teams",
    "stream",
    "step",
    "raised",
    "decision",
    "effort_days",
    "wait_days",
}


@dataclass(frozen=True)
class BlockerIn:
    """A validated blocker, ready to store."""

    key: str
    title: str
    owner: str
    teams: tuple[str, ...]
    stream: str
    step: str | None
    raised_at: dt.datetime
    decision: str
    effort_days: float
    wait_days: float | None


def _moment(value: Any, field: str, problems: list[Problem]) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), dt.UTC)
    elif isinstance(value, str):
        try:
            return parse_moment(value, field=field)
        except FieldError as problem:
            problems.append(Problem(field, problem.expected))
            return None
    else:
        problems.append(Problem(field, "an ISO 8601 date or date-time, e.g. 2026-01-31"))
        return None
    if moment.tzinfo is None:
        problems.append(Problem(field, "a time with a UTC offset, e.g. 2026-01-31T09:00:00+00:00"))
        return None
    return moment.astimezone(dt.UTC)


def _text(doc: dict[str, Any], name: str, at: str, problems: list[Problem], *, limit: int) -> str:
    value = doc.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        problems.append(Problem(f"{at}{name}", f"a non-empty text of at most {limit} characters"))
        return ""
    return value.strip()


def _number(value: Any, field: str, problems: list[Problem], *, positive: bool) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        problems.append(Problem(field, "a number of days" + (" above 0" if positive else ", 0 or more")))
        return None
    if value < 0 or (positive and value == 0) or value > 36_500:
        problems.append(Problem(field, "a number of days" + (" above 0" if positive else ", 0 or more")))
        return None
    return float(value)


def check_blocker(
    doc: Any, *, at: str, streams: Callable[[str], Sequence[str] | None], problems: list[Problem]
) -> BlockerIn | None:
    """`doc` as a blocker, or None with what is wrong added to `problems` (every field at once).

    `streams(name)` gives a stream's step names, or None when there is no such stream."""
    if not isinstance(doc, dict):
        problems.append(Problem(at.rstrip(".") or "blocker", "a mapping of blocker fields"))
        return None
    before = len(problems)
    for name in sorted(set(doc) - FIELDS):
        problems.append(Problem(f"{at}{name}", f"one of the fields {', '.join(sorted(FIELDS))}"))
    key = doc.get("key")
    if not isinstance(key, str) or not KEY.fullmatch(key):
        problems.append(Problem(f"{at}key", "a key of lower-case letters, digits, '.', '_' or '-', e.g. cab"))
    title = _text(doc, "title", at, problems, limit=500)
    owner = _text(doc, "owner", at, problems, limit=200)
    stream = _text(doc, "stream", at, problems, limit=200)
    step = doc.get("step")
    steps = streams(stream) if stream else None
    if stream and steps is None:
        problems.append(Problem(f"{at}stream", f"a value stream that exists; there is none named {stream!r}"))
    if step is not None:
        if not isinstance(step, str) or not step.strip():
            problems.append(Problem(f"{at}step", "the name of a step of the stream"))
        elif steps is not None and step not in steps:
            problems.append(Problem(f"{at}step", f"a step of {stream}: {', '.join(steps)}"))
    teams = doc.get("teams", [])
    if isinstance(teams, str):
        teams = [teams]
    if not isinstance(teams, list) or not all(isinstance(t, str) and t.strip() for t in teams):
        problems.append(Problem(f"{at}teams", "a list of team names"))
        teams = []
    raised = _moment(doc.get("raised"), f"{at}raised", problems) if "raised" in doc else None
    if "raised" not in doc:
        problems.append(Problem(f"{at}raised", "the date the blocker was raised, e.g. 2026-01-31"))
    decision = doc.get("decision", "")
    if not isinstance(decision, str) or len(decision) > 2000:
        problems.append(Problem(f"{at}decision", "the decision needed, as text of at most 2000 characters"))
    effort = _number(doc.get("effort_days", 5), f"{at}effort_days", problems, positive=True)
    wait = doc.get("wait_days")
    wait_days = None if wait is None else _number(wait, f"{at}wait_days", problems, positive=False)
    if len(problems) > before or raised is None or effort is None:
        return None
    return BlockerIn(
        key=str(key),
        title=title,
        owner=owner,
        teams=tuple(t.strip() for t in teams),
        stream=stream,
        step=step.strip() if isinstance(step, str) else None,
        raised_at=raised,
        decision=str(decision).strip(),
        effort_days=float(effort),
        wait_days=wait_days,
    )


def _stream_steps(session: Session) -> Callable[[str], Sequence[str] | None]:
    known = {s.name: tuple(s.steps) for s in flow.list_streams(session)}
    return known.get


def _fail(problems: list[Problem], source: str | None = None) -> None:
    if problems:
        raise InputError("; ".join(str(p) for p in problems), source=source)


def read_register_file(path: Path) -> Any:
    """The document of a register file (YAML or JSON), with the file named in any error."""
    text = safeload.read_text(path, what="a readable register file (YAML or JSON)", limit=5_000_000)
    return safeload.load_document(text, source=str(path), expected="YAML or JSON")[0]
