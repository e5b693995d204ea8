"""The organization's delivery settings (metrics.md §1, rework and incident attribution).

- Whether a deployment's kind is inferred from its changes at all, and the two patterns that infer it: a
  change message or pull-request label matching the rollback pattern makes the deployment a rollback, one
  matching the hotfix pattern a hotfix. An explicit kind (on the deployment, or a `Change-Kind:` trailer on
  a change) always wins over them.
- The attribution window: how long after a production deployment an incident with no cause is still
  attributed to it.

Kept in one row of `delivery_settings`; with no row, the defaults below apply. Changing the kind rules
re-derives the effective kind of every production deployment at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlalchemy.orm import Session

from missionos.delivery.attribution import refresh_all_kinds
from missionos.delivery.models import DeliverySettings
from missionos.delivery.stored_settings import DEFAULT_HOTFIX as DEFAULT_HOTFIX
from missionos.delivery.stored_settings import DEFAULT_ROLLBACK as DEFAULT_ROLLBACK
from missionos.delivery.stored_settings import DEFAULTS as DEFAULTS
from missionos.delivery.stored_settings import MAX_WINDOW as MAX_WINDOW
from missionos.delivery.stored_settings import MIN_WINDOW as MIN_WINDOW
from missionos.delivery.stored_settings import Settings as Settings
from missionos.delivery.stored_settings import check_pattern as check_pattern
from missionos.delivery.stored_settings import format_span as format_span
from missionos.delivery.stored_settings import load as load
from missionos.delivery.stored_settings import parse_span as parse_span
from missionos.errors import FieldError
from missionos.store import utcnow


def update(
    session: Session,
    *,
    infer_kinds: bool | None = None,
    rollback_pattern: str | None = None,
    hotfix_pattern: str | None = None,
    attribution_window: dt.timedelta | str | None = None,
    reset: bool = False,
    actor: str,
) -> Settings:
    """Change some settings (each checked before any is stored; audited as `actor` when they change); the
    kinds of every production deployment are derived again when the kind rules changed. `reset` starts from
    the defaults."""
    before = load(session)
    after = DEFAULTS if reset else before
    if infer_kinds is not None:
        after = replace(after, infer_kinds=infer_kinds)
    if rollback_pattern is not None:
        after = replace(after, rollback_pattern=check_pattern(rollback_pattern, "rollback_pattern"))
    if hotfix_pattern is not None:
        after = replace(after, hotfix_pattern=check_pattern(hotfix_pattern, "hotfix_pattern"))
    if attribution_window is not None:
        span = parse_span(attribution_window) if isinstance(attribution_window, str) else attribution_window
        if not MIN_WINDOW <= span <= MAX_WINDOW:
            raise FieldError("attribution_window", f"a span from 1h to 90d (got {format_span(span)})")
        after = replace(after, attribution_window=span)
    row = session.get(DeliverySettings, 1)
    if row is None:
        row = DeliverySettings(id=1)
        session.add(row)
    row.infer_kinds = after.infer_kinds
    row.rollback_pattern = after.rollback_pattern
    row.hotfix_pattern = after.hotfix_pattern
    row.attribution_window_minutes = round(after.attribution_window.total_seconds() / 60)
    row.updated_at = utcnow()
    session.flush()
    if after != before:
        from missionos.accounts import audit

        audit.record(
            session,
            actor=actor,
            action="update",
            kind="delivery.settings",
            key="delivery",
            before=before.as_dict(),
            after=after.as_dict(),
        )
    if after.kind_rules != before.kind_rules:
        refresh_all_kinds(session)
    return after
