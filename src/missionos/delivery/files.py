"""Reading deployment and incident records from JSON Lines or CSV files (metrics.md §1 fields).

Every problem names the file and line. Times must be ISO 8601 with an offset; `remediates` is a JSON list
or, in CSV, a `;`-separated list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from missionos import recordfiles, times
from missionos.delivery.records import DeploymentRecord, IncidentRecord
from missionos.errors import InputError

T = TypeVar("T")

DEPLOYMENT_FIELDS = (
    "id", "service", "environment", "status", "started_at", "finished_at", "revision", "kind", "remediates",
)  # fmt: skip
INCIDENT_FIELDS = ("id", "service", "started_at", "resolved_at", "severity", "cause", "remediation")


def _rows(path: Path) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """The records of a JSON Lines or CSV file (`missionos.recordfiles`)."""
    return recordfiles.iter_records(path)


def parse_time(value: Any, field: str, *, required: bool, source: str, line: int) -> dt.datetime | None:
    """An ISO 8601 time with an offset, as UTC; a time without an offset is an error."""
    return times.parse_time(value, field=field, required=required, source=source, line=line)


def _text(row: Mapping[str, Any], field: str, *, source: str, line: int, default: str | None = None) -> str:
    value = row.get(field)
    if value is None or value == "":
        if default is not None:
            return default
        raise InputError(f"{field}: expected a value", source=source, line=line)
    if not isinstance(value, str | int):
        raise InputError(f"{field}: expected text", source=source, line=line)
    return str(value)


def deployment_from(row: Mapping[str, Any], *, source: str, line: int) -> DeploymentRecord:
    raw = row.get("remediates") or []
    if isinstance(raw, str):
        remediates = tuple(p.strip() for p in raw.split(";") if p.strip())
    elif isinstance(raw, list) and all(isinstance(p, str) for p in raw):
        remediates = tuple(raw)
    else:
        raise InputError("remediates: expected a list of deployment ids", source=source, line=line)
    finished = parse_time(row.get("finished_at"), "finished_at", required=True, source=source, line=line)
    assert finished is not None
    return DeploymentRecord(
        id=_text(row, "id", source=source, line=line),
        service=_text(row, "service", source=source, line=line),
        environment=_text(row, "environment", source=source, line=line),
        status=_text(row, "status", source=source, line=line),
        started_at=parse_time(row.get("started_at"), "started_at", required=False, source=source, line=line),
        finished_at=finished,
        revision=_text(row, "revision", source=source, line=line),
        kind=_text(row, "kind", source=source, line=line, default="planned"),
        remediates=remediates,
        kind_explicit=row.get("kind") not in (None, ""),
    )


def incident_from(row: Mapping[str, Any], *, source: str, line: int) -> IncidentRecord:
    started = parse_time(row.get("started_at"), "started_at", required=True, source=source, line=line)
    assert started is not None
    cause = row.get("cause")
    return IncidentRecord(
        id=_text(row, "id", source=source, line=line),
        service=_text(row, "service", source=source, line=line),
        started_at=started,
        resolved_at=parse_time(
            row.get("resolved_at"), "resolved_at", required=False, source=source, line=line
        ),
        severity=_text(row, "severity", source=source, line=line, default=""),
        cause=str(cause) if cause not in (None, "") else None,
        remediation=_text(row, "remediation", source=source, line=line, default="") or None,
    )


def _read(path: Path, build: Callable[..., T]) -> tuple[list[T], list[int]]:
    records: list[T] = []
    lines: list[int] = []
    for line, row in _rows(path):
        records.append(build(row, source=str(path), line=line))
        lines.append(line)
    return records, lines


def read_deployments(path: Path) -> tuple[list[DeploymentRecord], list[int]]:
    """The deployments of a JSON Lines or CSV file, with the line each came from."""
    return _read(path, deployment_from)


def read_incidents(path: Path) -> tuple[list[IncidentRecord], list[int]]:
    """The incidents of a JSON Lines or CSV file, with the line each came from."""
    return _read(path, incident_from)
