"""`measures.reading()`: within one read each (measure, scope, window) is computed once, and never after."""

from __future__ import annotations

import datetime as dt

from missionos.measures import Direction, Point, Registry, Scope, Series, Window, measure, memoized, reading
from missionos.store import Database

WINDOW = Window(dt.datetime(2026, 1, 5, tzinfo=dt.UTC), dt.datetime(2026, 1, 12, tzinfo=dt.UTC))


def _counting_registry(calls: list[Scope]) -> Registry:
    reg = Registry()

    def count(db: Database, scope: Scope, window: Window) -> Series:
        calls.append(scope)
        return Series("toy.calls", scope, "calls", (Point(window.since, float(len(calls))),))

    measure(
        "toy.calls",
        unit="calls",
        direction=Direction.HIGHER_IS_BETTER,
        description="How often it was computed",
        scopes=("org", "team"),
        registry=reg,
    )(count)
    return reg


def test_a_reading_computes_each_measure_scope_and_window_once(db: Database) -> None:
    calls: list[Scope] = []
    reg = _counting_registry(calls)
    team = Scope("team", "Intake")
    with reading():
        first = reg.query(db, "toy.calls", Scope(), WINDOW)
        again = reg.query(db, "toy.calls", Scope(), WINDOW)
        other = reg.query(db, "toy.calls", team, WINDOW)
        wider = reg.query(db, "toy.calls", Scope(), Window(WINDOW.since, WINDOW.until + dt.timedelta(days=7)))
    assert again is first, "the same measure, scope and window is answered from the read's memo"
    assert calls == [Scope(), team, Scope()], "another scope or another window is computed on its own"
    assert [other.points[0].value, wider.points[0].value] == [2.0, 3.0]


def test_nothing_is_kept_after_the_reading_nor_outside_one(db: Database) -> None:
    calls: list[Scope] = []
    reg = _counting_registry(calls)
    with reading():
        reg.query(db, "toy.calls", Scope(), WINDOW)
        with reading():  # a nested read shares the outer memo
            reg.query(db, "toy.calls", Scope(), WINDOW)
    assert len(calls) == 1
    reg.query(db, "toy.calls", Scope(), WINDOW)
    reg.query(db, "toy.calls", Scope(), WINDOW)
    assert len(calls) == 3, "outside a reading every query computes afresh (a write in between is seen)"
    with reading():
        reg.query(db, "toy.calls", Scope(), WINDOW)
    assert len(calls) == 4, "a new reading starts with an empty memo"


def test_publishers_share_work_through_memoized() -> None:
    work: list[str] = []

    def compute() -> str:
        work.append("done")
        return f"result {len(work)}"

    assert memoized("k", compute) == "result 1" and memoized("k", compute) == "result 2"
    with reading():
        assert [memoized("k", compute), memoized("k", compute), memoized("j", compute)] == [
            "result 3",
            "result 3",
            "result 4",
        ]


def test_memoized_already_answers_only_what_the_reading_computed() -> None:
    from missionos.measures import memoized_already

    assert memoized_already("k") is None, "outside a reading nothing is kept"
    with reading():
        assert memoized_already("k") is None
        memoized("k", lambda: "value")
        assert memoized_already("k") == "value"
    with reading():
        assert memoized_already("k") is None, "a new reading starts with an empty memo"
