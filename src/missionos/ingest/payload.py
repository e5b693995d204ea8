"""Reading a webhook's JSON document: values at dotted paths, and the times senders write.

Shared by each context's payload mapping (`delivery.hooks`, `flow.hooks`) and by the dispatch that hands a
delivery to them (`ingest.batches`). Every missing or malformed value is a `FieldError` naming its path.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from missionos.errors import FieldError


def parse_time(value: Any, *, field_name: str) -> dt.datetime:
    """An ISO 8601 time (or GitLab's `2026-01-31 09:00:00 +0100` / `... UTC`) as aware UTC."""
    if not isinstance(value, str) or not value:
        raise FieldError(field_name, "a date-time with a UTC offset")
    text = value.strip()
    text = re.sub(r" UTC$", "+00:00", text)
    text = re.sub(r"^(\S+) (\S+) ([+-]\d{2}):?(\d{2})$", r"\1T\2\3:\4", text)
    text = re.sub(r"Z$", "+00:00", text)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise FieldError(field_name, "a date-time with a UTC offset") from None
    if moment.tzinfo is None:
        raise FieldError(field_name, "a date-time with a UTC offset")
    return moment.astimezone(dt.UTC)


def _maybe_time(value: Any, *, field_name: str) -> dt.datetime | None:
    return parse_time(value, field_name=field_name) if value else None


def _get(doc: Any, path: str) -> Any:
    node = doc
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise FieldError(path, "a value (missing from the payload)")
        node = node[part]
    return node


def _opt(doc: Any, path: str, default: Any = None) -> Any:
    try:
        value = _get(doc, path)
    except FieldError:
        return default
    return default if value is None else value
