"""Time stamps from trackers: ISO 8601 with an offset (+08:00 or +0800), converted to UTC."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from missionos import times
from missionos.errors import FieldError, InputError

_BASIC_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


def zone(name: str | None) -> dt.tzinfo | None:
    """The time zone named by `--tz` (an IANA name or UTC), or None."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise FieldError("--tz", "an IANA time-zone name such as Europe/Berlin or UTC") from None


def parse_time(
    text: object,
    *,
    where: str,
    source: str | None = None,
    line: int | None = None,
    tz: dt.tzinfo | None = None,
) -> dt.datetime:
    """`text` as an aware UTC datetime; a time without an offset is an error unless `tz` names its zone."""
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{where}: expected an ISO 8601 time with an offset", source=source, line=line)
    raw = text.strip()
    raw = _BASIC_OFFSET.sub(r"\1:\2", raw) if "T" in raw or " " in raw else raw
    try:
        moment = times.read_iso(raw)
    except ValueError:
        raise InputError(
            f"{where}: expected an ISO 8601 time with an offset, got {text!r}", source=source, line=line
        ) from None
    if moment.tzinfo is None:
        if tz is None:
            raise InputError(
                f"{where}: {text!r} has no UTC offset; add one, or name the zone with --tz",
                source=source,
                line=line,
            )
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(dt.UTC)
