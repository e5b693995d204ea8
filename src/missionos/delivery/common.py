"""Helpers shared by the delivery service's subjects: stored times as UTC, and a service's production
environments."""

from __future__ import annotations

import datetime as dt

from missionos.delivery.models import Service


def utc(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored time as timezone-aware UTC (SQLite hands back naive datetimes)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _production_names(service: Service) -> list[str]:
    return [n for n in service.production_environments.split(",") if n.strip()]
