"""The Flow overview's small pictures: where an item's time goes, and the median flow time by week."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from missionos.flow import glance
from missionos.flow.metrics import StepFigures, StreamFigures, WeekFigures
from missionos.measures import Window

WINDOW = Window(dt.datetime(2026, 9, 1, tzinfo=dt.UTC), dt.datetime(2026, 9, 22, tzinfo=dt.UTC))


def step(name: str, wait: float | None, work: float | None) -> StepFigures:
    return StepFigures(name, work, wait, 1.0, 10, 10, 0, (wait or 0) + (work or 0))


def figures(steps: tuple[StepFigures, ...], constraint: tuple[tuple[str, float], ...] = ()) -> StreamFigures:
    return StreamFigures(
        stream='cab <&> "board"',
        window=WINDOW,
        items_done=10,
        flow_time_median_days=2.0,
        flow_time_p85_days=3.0,
        flow_efficiency=0.2,
        velocity_per_week=3.0,
        distribution={},
        load_mean=2.0,
        load_now=2,
        aging_wip=(),
        steps=steps,
        constraint=constraint,
    )


def rects(svg: str) -> list[ET.Element]:
    return [e for e in ET.fromstring(svg).iter("rect")]


def test_each_part_is_as_wide_as_its_share_of_the_hours_in_step_order() -> None:
    svg = glance.time_strip(
        figures((step("Build", 10, 30), step("CAB <approval>", 50, 10)), (("CAB <approval>", 0.6),)),
        width=200,
    )
    parts = rects(svg)
    assert [(r.get("data-step"), r.get("data-part")) for r in parts] == [
        ("Build", "waits"),
        ("Build", "worked"),
        ("CAB <approval>", "waits"),
        ("CAB <approval>", "worked"),
    ]
    widths = [float(r.get("width") or 0) for r in parts]
    assert widths == [20.0, 60.0, 100.0, 20.0]
    xs = [float(r.get("x") or 0) for r in parts]
    assert xs == [0.0, 20.0, 80.0, 180.0], "parts follow one another without gaps"
    assert [r.get("fill") for r in parts] == [glance.WAIT, glance.WORK, glance.HOT_WAIT, glance.RED]
    assert parts[2].findtext("title") == "CAB <approval>: waits 2.1 d"


def test_a_strip_names_the_waiting_and_the_constraint_for_screen_readers() -> None:
    svg = glance.time_strip(figures((step("Build", 6, 2), step("Test", 2, 2)), (("Build", 0.67),)))
    label = ET.fromstring(svg).get("aria-label") or ""
    assert (
        label
        == 'Where an item\'s time goes in cab <&> "board": 8.0 h waiting of 12.0 h; the constraint is Build'
    )
    assert "cab &lt;&amp;&gt; &quot;board&quot;" in svg, "the stream's name is escaped in the attribute"


def test_a_stream_with_nothing_done_draws_an_empty_strip() -> None:
    svg = glance.time_strip(figures((step("Build", None, None),)))
    assert [r.get("data-step") for r in rects(svg)] == [None]
    assert "no item done in the window" in (ET.fromstring(svg).get("aria-label") or "")


def week(day: int, median: float | None, done: int) -> WeekFigures:
    return WeekFigures(dt.datetime(2026, 9, day, tzinfo=dt.UTC), done, median, None, None, {}, {})


def test_weekly_bars_are_as_tall_as_the_week_median_and_an_empty_week_is_a_tick() -> None:
    svg = glance.weekly_bars(
        "claims", [week(1, 2.0, 4), week(8, None, 0), week(15, 4.0, 3)], width=90, height=32
    )
    bars = rects(svg)
    heights = [float(r.get("height") or 0) for r in bars]
    assert heights == [15.0, 1.0, 30.0]
    assert [float(r.get("y") or 0) + h for r, h in zip(bars, heights, strict=True)] == [32.0, 32.0, 32.0]
    assert bars[2].get("fill") == "#0a3069", "the last week is darker"
    assert bars[1].findtext("title") == "week of 2026-09-08: nothing done"
    assert re.search(r"2 weeks with items done, from 2\.0 to 4\.0 days", svg)
