"""Warehouse sources that cannot be read, --alpha out of range, and event imports that stream their file."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from missionos.errors import InputError
from missionos.experiments import service
from missionos.experiments.models import MetricEvent
from missionos.store import Database
from tests.conftest import Cli, free_port

FLAGS = """
metrics:
  - {key: purchase, type: proportion, event: purchase}
experiments:
  - {key: checkout, variations: [control, redesign], primary_metric: purchase}
"""


@pytest.fixture
def applied(cli: Cli, tmp_path: Path) -> Cli:
    path = tmp_path / "flags.yaml"
    path.write_text(FLAGS)
    assert cli("experiments", "flags", "apply", str(path)).exit_code == 0
    return cli


def _refused(cli: Cli, *args: str) -> str:
    result = cli("experiments", "analyze", "checkout", *args)
    assert result.exit_code == 2, result.stdout
    assert "Traceback" not in result.stderr
    return result.stderr


def test_a_source_that_is_not_a_url_is_named(applied: Cli) -> None:
    message = _refused(applied, "--source", "warehouse.duckdb")
    assert "--source" in message and "SQLAlchemy URL" in message and "'warehouse.duckdb'" in message


def test_an_unreachable_warehouse_is_named_without_its_password(applied: Cli) -> None:
    url = f"postgresql://analyst:s3cret@127.0.0.1:{free_port()}/warehouse"
    message = _refused(applied, "--source", url)
    assert "--source" in message and "could not be reached" in message and "127.0.0.1" in message
    assert "s3cret" not in message


def test_a_missing_table_or_column_is_named(applied: Cli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE exposures (experiment_key TEXT, unit_id TEXT, variation TEXT)"))
        conn.execute(text("CREATE TABLE events (unit_id TEXT, event TEXT, value REAL, occurred_at TEXT)"))
    engine.dispose()
    message = _refused(
        applied, "--source", url, "--exposures-table", "exposure_log", "--events-table", "events"
    )
    assert "--exposures-table" in message and "no table 'exposure_log'" in message
    message = _refused(applied, "--source", url, "--exposures-table", "exposures", "--events-table", "events")
    assert "--exposures-table" in message and "lacks exposed_at" in message


@pytest.mark.parametrize("alpha", ["0", "1", "1.5", "-0.05"])
def test_alpha_outside_zero_one_is_refused(applied: Cli, tmp_path: Path, alpha: str) -> None:
    assert "--alpha" in _refused(applied, "--alpha", alpha)
    doc = {
        "metric": {"type": "proportion"},
        "variations": [
            {"name": "control", "n": 100, "sum": 10, "sum_squares": 10},
            {"name": "treatment", "n": 100, "sum": 12, "sum_squares": 12},
        ],
    }
    path = tmp_path / "stats.json"
    path.write_text(json.dumps(doc))
    result = applied("experiments", "analyze", "--stats", str(path), "--alpha", alpha)
    assert result.exit_code == 2 and "--alpha" in result.stderr


# --- the event import streams ------------------------------------------------------------------------------


def _events(path: Path, count: int, *, bad_last: bool = False) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            out.write(
                json.dumps(
                    {
                        "unit_id": f"u{i}",
                        "event": "purchase",
                        "timestamp": "2026-11-02T10:00:00Z",
                        "id": f"e{i}",
                    }
                )
                + "\n"
            )
        if bad_last:
            out.write('{"unit_id": "u-last", "event": "purchase", "timestamp": "yesterday"}\n')
    return path


def _peak(db: Database, path: Path) -> int:
    tracemalloc.start()
    try:
        with db.session() as session:
            records = service.iter_file_records(path, source=path.name)
            service.import_events(session, records, source=path.name)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_event_import_holds_a_chunk_not_the_file(db: Database, tmp_path: Path) -> None:
    small = _peak(db, _events(tmp_path / "small.jsonl", 10_000))
    large = _peak(db, _events(tmp_path / "large.jsonl", 50_000))
    # Five times the rows: held whole, the peak grew about fivefold; streamed, it stays near a chunk's.
    assert large < 2 * small, (small, large)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(MetricEvent)) == 50_000


def test_a_bad_last_line_still_rejects_the_whole_file(cli: Cli, db: Database, tmp_path: Path) -> None:
    path = _events(tmp_path / "events.jsonl", 12_000, bad_last=True)
    result = cli("experiments", "import", "events", str(path))
    assert result.exit_code == 2 and "events.jsonl:12001" in result.stderr and "timestamp" in result.stderr
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(MetricEvent)) == 0


def test_a_file_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(
        b"unit_id,event,timestamp\nu1,purchase,2026-11-02T10:00:00Z\nu2,caf\xe9,2026-11-02T10:00:00Z\n"
    )
    with pytest.raises(InputError, match="UTF-8"):
        list(service.iter_file_records(path, source="events.csv"))
