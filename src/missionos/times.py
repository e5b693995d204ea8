"""Times and windows: one way to read a time stamp, to make a stored time UTC, and to cut a window.

Time stamps are stored in UTC. An input that carries an offset is converted; an input without one is an error
(unless the user names its zone, as the trackers' importers allow). A window is half-open, [since, until), and
`since` always comes before `until`.

Cheap to import (the standard library and `missionos.errors` only): the CLI reads its options with it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Literal, overload

from missionos.errors import FieldError, InputError

if TYPE_CHECKING:
    from missionos.measures import Window

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SPAN = re.compile(r"(\d+)([dw])")


@overload
def as_utc(moment: dt.datetime) -> dt.datetime: ...


@overload
def as_utc(moment: None) -> None: ...


@overload
def as_utc(moment: dt.datetime | None) -> dt.datetime | None: ...


def as_utc(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored time as an aware UTC datetime; None stays None.

    SQLite hands moments back without an offset (they are stored in UTC); PostgreSQL in its session's zone.
    """
    if moment is None:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def read_iso(text: str) -> dt.datetime:
    """ISO 8601 / RFC 3339 text as a datetime, a trailing `Z` meaning UTC; naive when the text carries no
    offset. A `ValueError` when it is not ISO 8601: each caller words that error for its own users."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)


@overload
def parse_time(
    value: object,
    *,
    field: str,
    source: str | None = None,
    line: int | None = None,
    required: Literal[True] = True,
) -> dt.datetime: ...


@overload
def parse_time(
    value: object, *, field: str, source: str | None = None, line: int | None = None, required: bool
) -> dt.datetime | None: ...


def parse_time(
    value: object, *, field: str, source: str | None = None, line: int | None = None, required: bool = True
) -> dt.datetime | None:
    """An ISO 8601 time with an offset, as UTC; a time without an offset is an error naming the field, the
    file and the line. An absent value (None or "") is an error when `required`, else None."""
    if value is None or value == "":
        if required:
            raise InputError(f"{field}: expected an ISO 8601 time with an offset", source=source, line=line)
        return None
    if not isinstance(value, str):
        raise InputError(f"{field}: expected an ISO 8601 time string", source=source, line=line)
    try:
        moment = read_iso(value)
    except ValueError:
        raise InputError(
            f"{field}: expected an ISO 8601 time, got {value!r}", source=source, line=line
        ) from None
    if moment.tzinfo is None:
        raise InputError(
            f"{field}: expected a time with a UTC offset (e.g. +00:00), got {value!r}",
            source=source,
            line=line,
        )
    return moment.astimezone(dt.UTC)


def parse_moment(text: str, *, field: str) -> dt.datetime:
    """An ISO date or date-time, as UTC; a date means its midnight UTC, a time without offset is refused."""
    try:
        if _DATE.fullmatch(text):
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.UTC)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise FieldError(field, "an ISO 8601 date or date-time, e.g. 2026-01-31") from None
    if moment.tzinfo is None:
        raise FieldError(field, "a time with a UTC offset, e.g. 2026-01-31T09:00:00+00:00")
    return moment.astimezone(dt.UTC)


def is_span(text: str) -> bool:
    """Whether `text` is a span back in time (`30d`, `12w`) rather than a moment."""
    return _SPAN.fullmatch(text) is not None


def parse_span(text: str, *, field: str = "since") -> dt.timedelta:
    """A span back in time: a whole number of days (`30d`) or weeks (`12w`)."""
    found = _SPAN.fullmatch(text)
    if not found:
        raise FieldError(field, "a span such as 30d or 12w")
    return dt.timedelta(days=int(found.group(1)) * (7 if found.group(2) == "w" else 1))


def window(
    since: dt.datetime | dt.timedelta | None,
    until: dt.datetime | None,
    *,
    default_days: int = 90,
    field: str = "since",
    expected: str = "a moment before until",
) -> Window:
    """The window [since, until): `until` defaults to now, `since` to `default_days` before `until`, and a
    span counts back from `until`. A `since` not before `until` is refused, naming `field` with `expected`."""
    from missionos.measures import Window

    end = until if until is not None else dt.datetime.now(dt.UTC)
    if since is None:
        start = end - dt.timedelta(days=default_days)
    elif isinstance(since, dt.timedelta):
        start = end - since
    else:
        start = since
    if not start < end:
        raise FieldError(field, expected)
    return Window(start, end)
