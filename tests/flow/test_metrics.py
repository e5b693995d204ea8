"""metrics.md §2 on hand-computed scenarios, as pure functions over plain records (no database).

The stream: A (wait `Ready A`, active `Doing A`), B (active `Doing B`), C (wait `Ready C`, active `Doing C`);
done `Done`; `Todo` is backlog. Times are hours after T0, a Monday at 00:00 UTC.

- X: 10 Ready A, 12 Doing A, 20 Doing B, 24 Doing A (back), 26 Doing B, 30 Ready C, 40 Doing C, 42 Done.
- Y: 1 Doing A, 5 Doing B, 9 Doing C, 11 Done, 50 Doing C (reopened), 53 Done.
- Z: 2 Doing A, 6 Ready C (skips B), 7 Doing C, 8 Done.
- W: 5 Doing A, never done.
- V: 1 Doing A, 2 Done, 3 Doing A (reopened, not done again).
"""

from __future__ import annotations

import datetime as dt

import pytest

from missionos.errors import FieldError
from missionos.flow import metrics
from missionos.flow.records import StreamDefinition, StreamEntry, TransitionRecord, WorkItemRecord
from missionos.measures import Window

T0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
STREAM = StreamDefinition(
    name="abc",
    team=None,
    done=("Done",),
    entries=(
        StreamEntry("A", ("Ready A",), "wait"),
        StreamEntry("A", ("Doing A",), "active"),
        StreamEntry("B", ("Doing B",), "active"),
        StreamEntry("C", ("Ready C",), "wait"),
        StreamEntry("C", ("Doing C",), "active"),
    ),
)
PATHS = {
    "X": ("feature", [(10, "Ready A"), (12, "Doing A"), (20, "Doing B"), (24, "Doing A"), (26, "Doing B"),
                      (30, "Ready C"), (40, "Doing C"), (42, "Done")]),
    "Y": ("defect", [(1, "Doing A"), (5, "Doing B"), (9, "Doing C"), (11, "Done"),
                     (50, "Doing C"), (53, "Done")]),
    "Z": ("debt", [(2, "Doing A"), (6, "Ready C"), (7, "Doing C"), (8, "Done")]),
    "W": ("feature", [(5, "Doing A")]),
    "V": ("risk", [(1, "Doing A"), (2, "Done"), (3, "Doing A")]),
}  # fmt: skip


def h(hours: float, tz: dt.tzinfo = dt.UTC) -> dt.datetime:
    return (T0 + dt.timedelta(hours=hours)).astimezone(tz)


def records(tz: dt.tzinfo = dt.UTC) -> tuple[list[WorkItemRecord], list[TransitionRecord]]:
    items, moves = [], []
    for key, (kind, path) in PATHS.items():
        items.append(WorkItemRecord(key, kind, f"item {key}", h(0, tz)))
        moves.append(TransitionRecord(key, None, "Todo", h(0, tz)))
        previous = "Todo"
        for at, status in path:
            moves.append(TransitionRecord(key, previous, status, h(at, tz)))
            previous = status
    return items, moves


def flows(tz: dt.tzinfo = dt.UTC) -> dict[str, metrics.ItemFlow]:
    items, moves = records(tz)
    return {f.item.id: f for f in metrics.item_flows(items, moves, STREAM)}


WINDOW = Window(h(0), h(100))
HOUR = 3600.0


def test_start_is_the_first_move_out_of_the_backlog_and_flow_time_is_done_minus_start() -> None:
    f = flows()["X"]
    assert f.start == h(10).timestamp()
    assert f.done == h(42).timestamp()
    assert f.flow_time == 32 * HOUR


def test_active_and_wait_time_between_start_and_done_and_item_efficiency() -> None:
    f = flows()["X"]
    assert f.active == 20 * HOUR  # Doing A 8+2, Doing B 4+4, Doing C 2
    assert f.wait == 12 * HOUR  # Ready A 2, Ready C 10
    assert f.efficiency == pytest.approx(20 / 32)


def test_time_in_a_status_sums_its_intervals() -> None:
    assert flows()["X"].time_in("Doing A") == 10 * HOUR
    assert flows()["X"].time_in("doing b") == 8 * HOUR


def test_reopened_item_is_done_at_the_last_done() -> None:
    f = flows()["Y"]
    assert f.start == h(1).timestamp()
    assert f.done == h(53).timestamp()
    assert f.flow_time == 52 * HOUR
    assert f.active == 13 * HOUR  # the 39 h spent in Done before reopening is neither active nor wait
    assert f.efficiency == pytest.approx(0.25)


def test_item_reopened_and_not_done_again_is_not_done() -> None:
    assert flows()["V"].done is None
    assert flows()["V"].flow_time is None


def test_item_never_done_has_no_flow_time() -> None:
    f = flows()["W"]
    assert f.start == h(5).timestamp()
    assert f.done is None and f.efficiency is None


def test_item_that_skips_a_step_does_not_visit_it() -> None:
    f = flows()["Z"]
    assert f.visited == (True, False, True)
    assert f.step_active == (4 * HOUR, 0.0, 1 * HOUR)
    assert f.step_wait == (0.0, 0.0, 1 * HOUR)


def test_stream_figures_over_items_done_in_the_window() -> None:
    fig = metrics.stream_figures(list(flows().values()), STREAM, WINDOW)
    assert fig.items_done == 3
    assert fig.flow_time_median_days == pytest.approx(32 / 24)
    assert fig.flow_time_p85_days == pytest.approx(46 / 24)  # 32 + 0.7 × (52 − 32)
    assert fig.flow_efficiency == pytest.approx(38 / 90)
    assert fig.velocity_per_week == pytest.approx(3 / (100 / 168))
    assert fig.distribution == pytest.approx({"feature": 1 / 3, "defect": 1 / 3, "risk": 0.0, "debt": 1 / 3})


def test_process_time_wait_and_lead_time_per_step_are_medians_over_visitors() -> None:
    steps = {s.name: s for s in metrics.stream_figures(list(flows().values()), STREAM, WINDOW).steps}
    assert (steps["A"].process_time_hours, steps["A"].wait_before_hours) == (4, 0)  # X 10, Y 4, Z 4 / 2, 0, 0
    assert (steps["B"].process_time_hours, steps["B"].items) == (6, 2)  # X 8, Y 4; Z skipped B
    assert (steps["C"].process_time_hours, steps["C"].wait_before_hours) == (2, 1)  # 2,5,1 / 10,0,1
    assert steps["C"].lead_time_hours == 3


def test_activity_ratio_and_pct_complete_accurate() -> None:
    fig = metrics.stream_figures(list(flows().values()), STREAM, WINDOW)
    assert fig.activity_ratio == pytest.approx(12 / 13)
    steps = {s.name: s for s in fig.steps}
    # A: forward X 2 + Y 1 + Z 1 = 4; X moved back from B into A once.
    assert steps["A"].pct_complete_accurate == pytest.approx(0.75)
    assert steps["B"].pct_complete_accurate == 1.0
    # C: forward X 1 + Y 2 + Z 1 = 4; Y was reopened from Done (the step after C) into C once.
    assert steps["C"].pct_complete_accurate == pytest.approx(0.75)
    assert fig.rolled_pct_complete_accurate == pytest.approx(0.5625)


def test_constraint_is_the_step_with_the_largest_total_time() -> None:
    fig = metrics.stream_figures(list(flows().values()), STREAM, WINDOW)
    # A: X 12 + Y 4 + Z 4 = 20; C: X 12 + Y 5 + Z 2 = 19; B: X 8 + Y 4 = 12; total 51.
    assert [s for s, _ in fig.constraint] == ["A", "C", "B"]
    assert [share for _, share in fig.constraint] == pytest.approx([20 / 51, 19 / 51, 12 / 51])


def test_load_daily_mean_and_now_and_aging_wip() -> None:
    fig = metrics.stream_figures(list(flows().values()), STREAM, WINDOW)
    # Day ends 24, 48, 72, 96 and the window's end 100: X, W, V at 24 h; W and V after.
    assert fig.load_mean == pytest.approx((3 + 2 + 2 + 2 + 2) / 5)
    assert fig.load_now == 2
    aging = {a.item: a for a in fig.aging_wip}
    assert set(aging) == {"W", "V"}
    assert aging["W"].age_days == pytest.approx(95 / 24)
    assert aging["V"].age_days == pytest.approx(99 / 24)
    assert aging["W"].over_p85 and aging["V"].over_p85
    assert aging["W"].status == "Doing A"


def test_empty_window() -> None:
    fig = metrics.stream_figures(list(flows().values()), STREAM, Window(h(200), h(300)))
    assert fig.items_done == 0
    assert fig.flow_time_median_days is None and fig.flow_efficiency is None
    assert fig.velocity_per_week == 0
    assert fig.constraint == ()
    assert all(s.process_time_hours is None for s in fig.steps)
    assert fig.activity_ratio is None and fig.rolled_pct_complete_accurate is None
    assert fig.load_now == 2


def test_time_zone_offsets_give_the_same_figures() -> None:
    utc = metrics.stream_figures(list(flows().values()), STREAM, WINDOW).as_dict()
    plus8 = dt.timezone(dt.timedelta(hours=8))
    shifted = metrics.stream_figures(list(flows(plus8).values()), STREAM, WINDOW).as_dict()
    assert shifted == utc


def test_cumulative_flow_counts_items_per_status_at_each_day_end() -> None:
    days, counts = metrics.cumulative_flow(flows().values(), STREAM, WINDOW)
    assert days[0] == h(24)
    assert counts["Doing A"][0] == 3  # X, W, V
    assert counts["Done"][0] == 2  # Y (before it reopens) and Z
    assert counts["Done"][1] == 3  # X, Y, Z at 48 h
    assert sum(c[0] for c in counts.values()) == 5


def test_statuses_the_stream_does_not_name_are_reported() -> None:
    fig = metrics.stream_figures(list(flows().values()), STREAM, WINDOW)
    assert fig.unnamed_statuses == {"Todo": 5}


def test_weekly_series_and_what_if() -> None:
    weeks = metrics.weekly(list(flows().values()), WINDOW)
    assert [w.items_done for w in weeks] == [3]
    fig = metrics.stream_figures(list(flows().values()), STREAM, WINDOW)
    changed = metrics.what_if(
        fig.steps, metrics.parse_what_if("C.wait=0.5, a.process=2", [s.name for s in fig.steps])
    )
    assert [s.lead_time_hours for s in changed] == [8, 6, 2.5]
    with pytest.raises(FieldError):
        metrics.parse_what_if("Nope.wait=1", ["A"])
    with pytest.raises(FieldError):
        metrics.parse_what_if("A.wait=half", ["A"])


def test_percentile_is_linearly_interpolated() -> None:
    assert metrics.percentile([1, 2, 3, 4], 50) == 2.5
    assert metrics.percentile([10], 85) == 10
    assert metrics.percentile([], 50) is None
