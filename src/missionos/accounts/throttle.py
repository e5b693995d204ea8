"""Rate limits counted in the database, so every worker and host sees the same attempts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from missionos.accounts.models import Throttle
from missionos.store import utcnow


def attempt(session: Session, bucket: str, *, limit: int, per: dt.timedelta) -> int | None:
    """Count one attempt in `bucket`; None when it is within `limit` per `per`, else seconds to wait."""
    now = utcnow()
    since = now - per
    session.execute(delete(Throttle).where(Throttle.bucket == bucket, Throttle.at < since))
    used = session.scalar(select(func.count()).where(Throttle.bucket == bucket, Throttle.at >= since)) or 0
    if used >= limit:
        oldest = session.scalar(select(func.min(Throttle.at)).where(Throttle.bucket == bucket))
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=dt.UTC)
        wait = (oldest + per - now).total_seconds() if oldest else per.total_seconds()
        return max(1, int(wait + 0.999))
    session.add(Throttle(bucket=bucket, at=now))
    return None
