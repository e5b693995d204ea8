"""`missionos.times`: stored times as UTC, time stamps read with an offset, spans and windows."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from missionos import times
from missionos.errors import FieldError, InputError
from missionos.measures import Window

UTC = dt.UTC
PLUS_TWO = dt.timezone(dt.timedelta(hours=2))


# -- as_utc ------------------------------------------------------------------------------------------------


def test_as_utc_reads_a_naive_stored_time_as_utc() -> None:
    assert times.as_utc(dt.datetime(2026, 1, 31, 9, 0)) == dt.datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    assert times.as_utc(dt.datetime(2026, 1, 31, 9, 0)).tzinfo is UTC


def test_as_utc_converts_other_offsets_to_utc() -> None:
    moment = times.as_utc(dt.datetime(2026, 1, 31, 11, 0, tzinfo=PLUS_TWO))
    assert moment == dt.datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    assert moment.utcoffset() == dt.timedelta(0)
    assert moment.isoformat() == "2026-01-31T09:00:00+00:00"


def test_as_utc_lets_none_pass() -> None:
    assert times.as_utc(None) is None


# -- parse_time --------------------------------------------------------------------------------------------


def test_parse_time_accepts_z_as_utc() -> None:
    moment = times.parse_time("2026-01-31T09:00:00Z", field="at")
    assert moment == dt.datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    assert moment.tzinfo is UTC


def test_parse_time_converts_other_offsets_to_utc() -> None:
    moment = times.parse_time("2026-01-31T11:00:00+02:00", field="at")
    assert moment.isoformat() == "2026-01-31T09:00:00+00:00"
    assert times.parse_time("2026-01-31T04:00:00-05:00", field="at").hour == 9


def test_parse_time_refuses_a_time_without_offset_naming_field_file_and_line() -> None:
    with pytest.raises(InputError) as caught:
        times.parse_time("2026-01-31T09:00:00", field="finished_at", source="deploys.jsonl", line=7)
    error = caught.value
    assert (
        error.message
        == "finished_at: expected a time with a UTC offset (e.g. +00:00), got '2026-01-31T09:00:00'"
    )
    assert error.location == "deploys.jsonl:7"
    assert str(error).startswith("deploys.jsonl:7: finished_at: ")


def test_parse_time_refuses_text_that_is_not_a_time() -> None:
    with pytest.raises(InputError) as caught:
        times.parse_time("yesterday", field="started_at", source="deploys.csv", line=3)
    assert caught.value.message == "started_at: expected an ISO 8601 time, got 'yesterday'"
    assert caught.value.location == "deploys.csv:3"
    with pytest.raises(InputError, match="at: expected an ISO 8601 time string"):
        times.parse_time(1769850000, field="at")


def test_parse_time_absent_is_an_error_only_when_required() -> None:
    with pytest.raises(InputError) as caught:
        times.parse_time("", field="finished_at", source="deploys.jsonl", line=2)
    assert caught.value.message == "finished_at: expected an ISO 8601 time with an offset"
    assert caught.value.location == "deploys.jsonl:2"
    with pytest.raises(InputError):
        times.parse_time(None, field="finished_at")
    assert times.parse_time(None, field="started_at", required=False) is None
    assert times.parse_time("", field="started_at", required=False) is None


def test_read_iso_keeps_naive_text_naive_for_its_caller_to_judge() -> None:
    assert times.read_iso("2026-01-31T09:00:00").tzinfo is None
    assert times.read_iso("2026-01-31T09:00:00Z").utcoffset() == dt.timedelta(0)
    with pytest.raises(ValueError):
        times.read_iso("31/01/2026")


# -- parse_moment ------------------------------------------------------------------------------------------


def test_parse_moment_reads_a_date_as_its_midnight_utc() -> None:
    assert times.parse_moment("2026-01-31", field="--since") == dt.datetime(2026, 1, 31, tzinfo=UTC)


def test_parse_moment_converts_offsets_and_refuses_naive_times() -> None:
    assert (
        times.parse_moment("2026-01-31T11:00:00+02:00", field="--at").isoformat()
        == "2026-01-31T09:00:00+00:00"
    )
    with pytest.raises(FieldError) as caught:
        times.parse_moment("2026-01-31T09:00:00", field="--at")
    assert caught.value.field == "--at"
    assert caught.value.expected == "a time with a UTC offset, e.g. 2026-01-31T09:00:00+00:00"
    with pytest.raises(FieldError) as bad:
        times.parse_moment("soon", field="--until")
    assert bad.value.field == "--until"
    assert bad.value.expected == "an ISO 8601 date or date-time, e.g. 2026-01-31"


# -- parse_span --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "days"), [("30d", 30), ("12w", 84), ("1d", 1), ("0w", 0)])
def test_parse_span_reads_days_and_weeks(text: str, days: int) -> None:
    assert times.is_span(text)
    assert times.parse_span(text) == dt.timedelta(days=days)


@pytest.mark.parametrize("text", ["30", "d", "3h", "1.5d", "-3d", "30 d", "2026-01-31", ""])
def test_parse_span_refuses_anything_else_naming_the_field(text: str) -> None:
    assert not times.is_span(text)
    with pytest.raises(FieldError) as caught:
        times.parse_span(text, field="--since")
    assert caught.value.field == "--since"
    assert caught.value.expected == "a span such as 30d or 12w"


# -- window ------------------------------------------------------------------------------------------------


def test_window_defaults_to_the_last_default_days_before_now() -> None:
    before = dt.datetime.now(UTC)
    found = times.window(None, None, default_days=30)
    after = dt.datetime.now(UTC)
    assert isinstance(found, Window)
    assert before <= found.until <= after
    assert found.until - found.since == dt.timedelta(days=30)


def test_window_counts_a_span_back_from_until() -> None:
    end = dt.datetime(2026, 3, 1, tzinfo=UTC)
    assert times.window(dt.timedelta(weeks=2), end) == Window(dt.datetime(2026, 2, 15, tzinfo=UTC), end)
    assert times.window(None, end, default_days=1) == Window(dt.datetime(2026, 2, 28, tzinfo=UTC), end)


def test_window_takes_since_and_until_as_given() -> None:
    start, end = dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2026, 2, 1, tzinfo=UTC)
    assert times.window(start, end) == Window(start, end)


@pytest.mark.parametrize("gap", [dt.timedelta(0), dt.timedelta(days=1)])
def test_window_refuses_since_not_before_until_naming_since(gap: dt.timedelta) -> None:
    end = dt.datetime(2026, 2, 1, tzinfo=UTC)
    with pytest.raises(FieldError) as caught:
        times.window(end + gap, end)
    assert caught.value.field == "since"
    assert caught.value.expected == "a moment before until"
    with pytest.raises(FieldError) as worded:
        times.window(end + gap, end, field="--since", expected="a moment before --until")
    assert worded.value.field == "--since"
    assert str(worded.value) == "--since: expected a moment before --until"


def test_window_refuses_an_empty_span() -> None:
    with pytest.raises(FieldError) as caught:
        times.window(dt.timedelta(0), dt.datetime(2026, 2, 1, tzinfo=UTC))
    assert caught.value.field == "since"


# -- cost --------------------------------------------------------------------------------------------------


def test_importing_times_loads_neither_the_database_layer_nor_the_measures() -> None:
    code = (
        "import sys, missionos.times; print(sorted(m for m in sys.modules"
        " if m.split('.')[0] in {'sqlalchemy', 'numpy'} or m.startswith('missionos.')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['missionos.errors', 'missionos.times']"
