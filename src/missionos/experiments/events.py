"""Exposures and metric events: reading record files and importing them, idempotently."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from missionos import recordfiles
from missionos.errors import InputError
from missionos.experiments.design import _parse_time, list_experiments
from missionos.experiments.models import Exposure, MetricEvent


def read_records(text: str, *, source: str, fmt: str | None = None) -> list[tuple[int, dict[str, Any]]]:
    """Records of a JSON Lines or CSV file, each with its line number; the format is told by `fmt` or the
    file name's extension (.csv, else JSON Lines). The rules are `missionos.recordfiles`'s."""
    return recordfiles.records_of_text(text, source=source, fmt=fmt)


def iter_file_records(
    path: Path, *, source: str, fmt: str | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The records of a JSON Lines or CSV file read one line at a time (the file is never held whole), each
    with its line number; the format is told by `fmt` or the file name's extension."""
    return recordfiles.iter_records(path, source=source, fmt=fmt, option="--input-format")


CHUNK = 5000


def _chunks(rows: Iterable[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _text(
    record: Mapping[str, Any], name: str, *, source: str, line: int | None, aliases: Sequence[str] = ()
) -> str:
    for key in (name, *aliases):
        value = record.get(key)
        if value not in (None, ""):
            return str(value)
    raise InputError(f"field '{name}': expected a non-empty value", source=source, line=line)


def import_exposures(
    session: Session,
    records: Iterable[tuple[int | None, Mapping[str, Any]]],
    *,
    source: str,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Store exposures `{experiment, unit_id, variation, timestamp}`; the whole batch, or none of it.

    Every record is checked: the experiment must exist and the variation must be one of its own. Records are
    stored in chunks as they are read (a bad one raises, and the caller's transaction drops the batch), so a
    large file is never held in memory. Re-importing the same exposures adds nothing. `progress(n)` is told
    after each chunk."""
    designs = {e.key: e for e in list_experiments(session)}

    def rows() -> Iterator[dict[str, Any]]:
        for line, rec in records:
            experiment = _text(rec, "experiment", source=source, line=line, aliases=("experiment_key",))
            design = designs.get(experiment)
            if design is None:
                raise InputError(
                    f"field 'experiment': no experiment named {experiment!r}", source=source, line=line
                )
            variation = _text(rec, "variation", source=source, line=line)
            if variation not in design.variations:
                raise InputError(
                    f"field 'variation': expected one of {', '.join(design.variations)} for {experiment}, "
                    f"got {variation!r}",
                    source=source,
                    line=line,
                )
            yield {
                "experiment_key": experiment,
                "unit_id": _text(rec, "unit_id", source=source, line=line, aliases=("unit", "user_id", "id")),
                "variation": variation,
                "exposed_at": _parse_time(
                    _text(rec, "timestamp", source=source, line=line, aliases=("exposed_at", "at")),
                    "field 'timestamp'",
                    source=source,
                    line=line,
                ),
            }

    read = added = 0
    for chunk in _chunks(rows()):
        read += len(chunk)
        added += _insert_ignoring_duplicates(
            session, Exposure.__table__, chunk, ["experiment_key", "unit_id", "variation", "exposed_at"]
        )
        if progress is not None:
            progress(len(chunk))
    return {"read": read, "added": added}


def event_key(unit_id: str, event: str, at: dt.datetime, value: float, external_id: str | None = None) -> str:
    """The natural key of a metric event: its external id if it has one, else a digest of its content."""
    basis = external_id or f"{unit_id}\x1f{event}\x1f{at.isoformat()}\x1f{value!r}"
    return hashlib.sha256(basis.encode()).hexdigest()[:32]


def import_events(
    session: Session,
    records: Iterable[tuple[int | None, Mapping[str, Any]]],
    *,
    source: str,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Store metric events `{unit_id, event, value?, timestamp, id?}`; the whole batch, or none of it. Stored
    in chunks as they are read, as `import_exposures`."""

    def rows() -> Iterator[dict[str, Any]]:
        for line, rec in records:
            unit = _text(rec, "unit_id", source=source, line=line, aliases=("unit", "user_id"))
            name = _text(rec, "event", source=source, line=line, aliases=("metric",))
            raw_value = rec.get("value", 1.0)
            if raw_value in (None, ""):
                raw_value = 1.0
            try:
                value = float(raw_value)
            except (TypeError, ValueError):
                value = math.nan
            if isinstance(raw_value, bool) or not math.isfinite(value):
                raise InputError(
                    f"field 'value': expected a finite number, got {raw_value!r}", source=source, line=line
                )
            at = _parse_time(
                _text(rec, "timestamp", source=source, line=line, aliases=("occurred_at", "at")),
                "field 'timestamp'",
                source=source,
                line=line,
            )
            ext = rec.get("id")
            yield {
                "key": event_key(unit, name, at, value, str(ext) if ext not in (None, "") else None),
                "unit_id": unit,
                "event": name,
                "value": value,
                "occurred_at": at,
            }

    read = added = 0
    for chunk in _chunks(rows()):
        read += len(chunk)
        added += _insert_ignoring_duplicates(session, MetricEvent.__table__, chunk, ["key"])
        if progress is not None:
            progress(len(chunk))
    return {"read": read, "added": added}


def _insert_ignoring_duplicates(
    session: Session, tbl: Any, rows: list[dict[str, Any]], keys: list[str]
) -> int:
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    maker = pg_insert if dialect == "postgresql" else sqlite_insert
    added = 0
    for start in range(0, len(rows), 5000):
        chunk = rows[start : start + 5000]
        # RETURNING yields a row per inserted record only, so skipped duplicates are not counted.
        stmt = maker(tbl).on_conflict_do_nothing(index_elements=keys).returning(tbl.c.id)
        added += len(session.execute(stmt, chunk).all())
    return added


def clear_experiment_data(session: Session, experiment: str) -> None:
    """Remove an experiment's exposures (used when regenerating demo data)."""
    session.execute(delete(Exposure).where(Exposure.experiment_key == experiment))
