"""The stream's fast path (rows read as plain tuples, items not relevant to the window left out in SQL,
shared per-path plans) gives the figures the record-level functions give, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from missionos.flow import metrics, service
from missionos.flow.records import TransitionRecord, WorkItemRecord
from missionos.measures import Window
from missionos.store import Database
from tests.flow.test_metrics import STREAM, h, records

# Done long before the windows below (hour -500), and one item that never moves.
OLD = [
    WorkItemRecord("OLD", "feature", "done long ago", h(-600)),
    WorkItemRecord("IDLE", "feature", "never moved", h(-600)),
]
OLD_MOVES = [
    TransitionRecord("OLD", None, "Todo", h(-600)),
    TransitionRecord("OLD", "Todo", "Doing A", h(-550)),
    TransitionRecord("OLD", "Doing A", "Done", h(-500)),
]
WINDOWS = [
    Window(h(0), h(100)),
    Window(h(9), h(12)),  # Y done at 11 in it; X, W in progress
    Window(h(43), h(60)),  # Y reopened at 50 and done at 53
    Window(h(-700), h(-400)),  # OLD done in it
    Window(h(200), h(300)),  # nothing done; W in progress
]


@pytest.fixture
def stored(db: Database) -> Database:
    items, moves = records(dt.timezone(dt.timedelta(hours=8)))
    with db.session() as s:
        service.upsert_work(s, [*items, *OLD], [*moves, *OLD_MOVES], source="csv")
        service.apply_stream(s, STREAM)
    return db


@pytest.mark.parametrize("window", WINDOWS, ids=lambda w: f"{w.since:%d%H}-{w.until:%d%H}")
def test_stream_metrics_equal_the_record_level_figures(stored: Database, window: Window) -> None:
    items, moves = records()
    reference = metrics.stream_figures(
        metrics.item_flows([*items, *OLD], [*moves, *OLD_MOVES], STREAM), STREAM, window
    ).as_dict()
    with stored.session() as s:
        fast = service.stream_metrics(s, STREAM.name, window).as_dict()
    # Items left out as irrelevant to the window count in no figure but the unnamed-status tally.
    reference.pop("unnamed_statuses")
    fast.pop("unnamed_statuses")
    assert _close(fast, reference)


def _close(a: object, b: object) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys()
        return all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b)
        return all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-12)
        return True
    assert a == b
    return True


def test_items_done_before_the_window_are_not_loaded(stored: Database) -> None:
    with stored.session() as s:
        keys = {r.id for r, _ in service.stream_flows(s, STREAM, Window(h(0), h(100)))}
        every = {r.id for r, _ in service.stream_flows(s, STREAM)}
    assert every - keys == {"OLD"}  # IDLE never moved, so it is not done: it stays (and counts nowhere)


def test_fast_and_record_paths_agree_item_by_item(stored: Database) -> None:
    items, moves = records()
    reference = {f.item.id: f for f in metrics.item_flows([*items, *OLD], [*moves, *OLD_MOVES], STREAM)}
    with stored.session() as s:
        fast = {r.id: f for r, f in service.stream_flows(s, STREAM)}
    assert fast.keys() == reference.keys()
    for key, f in fast.items():
        ref = reference[key]
        assert (f.start, f.done, f.active, f.wait) == (ref.start, ref.done, ref.active, ref.wait), key
        assert (f.visited, f.forward, f.backward, f.spans) == (
            ref.visited,
            ref.forward,
            ref.backward,
            ref.spans,
        )
        assert f.intervals == ref.intervals
