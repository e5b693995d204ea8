"""The delivery settings as stored, with their defaults and how each is read and checked (what each one
means: `settings`). Attribution and the figures read them here; `settings` re-exports all of it and adds
`update`, which derives every production deployment's kind again through attribution."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from missionos.delivery.metrics import ATTRIBUTION_WINDOW, KindRules
from missionos.delivery.models import DeliverySettings
from missionos.errors import FieldError

DEFAULT_ROLLBACK = r"rollback|revert"
DEFAULT_HOTFIX = r"hotfix"
MIN_WINDOW = dt.timedelta(hours=1)
MAX_WINDOW = dt.timedelta(days=90)
_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dhm]?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Settings:
    infer_kinds: bool = True
    rollback_pattern: str = DEFAULT_ROLLBACK
    hotfix_pattern: str = DEFAULT_HOTFIX
    attribution_window: dt.timedelta = ATTRIBUTION_WINDOW

    @property
    def kind_rules(self) -> KindRules:
        return KindRules.of(self.rollback_pattern, self.hotfix_pattern, infer=self.infer_kinds)

    def as_dict(self) -> dict[str, Any]:
        return {
            "infer_kinds": self.infer_kinds,
            "rollback_pattern": self.rollback_pattern,
            "hotfix_pattern": self.hotfix_pattern,
            "attribution_window": format_span(self.attribution_window),
            "attribution_window_hours": self.attribution_window.total_seconds() / 3600,
        }


DEFAULTS = Settings()


def parse_span(value: str, *, field: str = "attribution_window") -> dt.timedelta:
    """`7d`, `36h`, `90m` or a bare number of days, between an hour and 90 days."""
    found = _SPAN.match(str(value))
    if not found:
        raise FieldError(field, f"a span such as 7d, 36h or 90m (got {value!r})")
    amount, unit = float(found[1]), (found[2] or "d").lower()
    span = dt.timedelta(**{{"d": "days", "h": "hours", "m": "minutes"}[unit]: amount})
    if not MIN_WINDOW <= span <= MAX_WINDOW:
        raise FieldError(field, f"a span from 1h to 90d (got {value!r})")
    return dt.timedelta(minutes=round(span.total_seconds() / 60))


def format_span(span: dt.timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def check_pattern(value: str, field: str) -> str:
    """A regular expression (case-insensitive when used) that compiles and does not match empty text."""
    if not value.strip():
        raise FieldError(field, "a regular expression (use --no-infer-kinds to turn inference off)")
    if len(value) > 1000:
        raise FieldError(field, "a regular expression of at most 1000 characters")
    try:
        compiled = re.compile(value, re.IGNORECASE)
    except re.error as exc:
        raise FieldError(field, f"a valid regular expression ({exc.msg} at position {exc.pos})") from None
    if compiled.search(""):
        raise FieldError(field, f"a pattern that does not match empty text (got {value!r})")
    return value


def load(session: Session) -> Settings:
    """The stored settings, or the defaults."""
    row = session.get(DeliverySettings, 1)
    if row is None:
        return DEFAULTS
    return Settings(
        infer_kinds=row.infer_kinds,
        rollback_pattern=row.rollback_pattern or DEFAULT_ROLLBACK,
        hotfix_pattern=row.hotfix_pattern or DEFAULT_HOTFIX,
        attribution_window=dt.timedelta(minutes=row.attribution_window_minutes),
    )
