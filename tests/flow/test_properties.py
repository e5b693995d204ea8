"""Property tests: the CSV and Jira time-stamp parsers on generated input, and the per-item arithmetic's
invariants (metrics.md §2) on generated status histories."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from missionos.flow import metrics
from missionos.flow.importers.csvfiles import read_items, read_transitions
from missionos.flow.importers.times import parse_time
from missionos.flow.records import StreamDefinition, StreamEntry, TransitionRecord, WorkItemRecord
from missionos.flow.typemap import DEFAULTS, TypeMap
from missionos.measures import Window

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# --- time stamps ------------------------------------------------------------------------------------------

# Real UTC offsets run from -12:00 to +14:00; quarter hours cover every one in use (+05:45, +08:45, -09:30).
offsets = st.integers(min_value=-12 * 4, max_value=14 * 4).map(lambda q: dt.timedelta(minutes=15 * q))
moments = st.datetimes(
    min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2090, 12, 31), timezones=st.just(dt.UTC)
)


def offset_text(offset: dt.timedelta, *, colon: bool) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hh, mm = divmod(abs(minutes), 60)
    return f"{sign}{hh:02d}{':' if colon else ''}{mm:02d}"


@SETTINGS
@given(moment=moments, offset=offsets)
def test_jira_time_stamps_with_any_offset_are_the_same_instant(
    moment: dt.datetime, offset: dt.timedelta
) -> None:
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)  # Jira sends milliseconds
    local = moment.astimezone(dt.timezone(offset))
    # Jira's own form: 2020-06-12T08:13:13.360+0800
    jira = f"{local:%Y-%m-%dT%H:%M:%S}.{local.microsecond // 1000:03d}{offset_text(offset, colon=False)}"
    parsed = parse_time(jira, where="created")
    assert parsed == moment and parsed.tzinfo == dt.UTC
    assert parse_time(local.isoformat(), where="created") == moment  # +08:00 form
    assert parse_time(f"{moment:%Y-%m-%dT%H:%M:%S.%f}Z", where="created") == moment


@SETTINGS
@given(moment=moments.map(lambda m: m.replace(tzinfo=None)))
def test_a_time_without_an_offset_is_refused_unless_a_zone_is_named(moment: dt.datetime) -> None:
    text = moment.isoformat()
    try:
        parse_time(text, where="at", source="moves.csv", line=3)
    except Exception as exc:  # the InputError names the file, line and field
        assert "moves.csv:3" in str(exc) and "at:" in str(exc) and "no UTC offset" in str(exc)
    else:
        raise AssertionError("accepted a time without an offset")
    zone = dt.timezone(dt.timedelta(hours=-5))
    assert parse_time(text, where="at", tz=zone) == moment.replace(tzinfo=zone)


# --- CSV rows ---------------------------------------------------------------------------------------------

texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(',"\n\r;'), max_size=40
)
keys = st.text(
    alphabet=st.characters(categories=("L", "N"), include_characters="-_#/"), min_size=1, max_size=12
)
statuses = (
    st.text(alphabet=st.characters(categories=("L", "N", "Zs")), min_size=1, max_size=15)
    .map(str.strip)
    .filter(bool)
)
type_names = st.sampled_from(sorted({n for names in DEFAULTS.values() for n in names}))


@st.composite
def csv_work(
    draw: st.DrawFn,
) -> tuple[list[tuple[str, str, str, dt.datetime, str]], list[tuple[str, str, str, dt.datetime]]]:
    ids = draw(st.lists(keys, min_size=1, max_size=6, unique=True))
    items = [(k, draw(type_names), draw(texts), draw(moments), draw(texts)) for k in ids]
    moves = [
        (draw(st.sampled_from(ids)), draw(st.one_of(st.just(""), statuses)), draw(statuses), draw(moments))
        for _ in range(draw(st.integers(0, 8)))
    ]
    return items, moves


@SETTINGS
@given(work=csv_work(), offset=offsets, colon=st.booleans())
def test_csv_rows_read_back_as_written(
    tmp_path_factory: object, work: tuple[list, list], offset: dt.timedelta, colon: bool
) -> None:
    items, moves = work
    folder = Path(tmp_path_factory.mktemp("csv"))  # type: ignore[attr-defined]
    zone = dt.timezone(offset)

    def stamp(moment: dt.datetime) -> str:
        local = moment.astimezone(zone)
        return f"{local:%Y-%m-%dT%H:%M:%S.%f}{offset_text(offset, colon=colon)}"

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "type", "title", "created_at", "team"])
    writer.writerows([k, kind, title, stamp(created), team] for k, kind, title, created, team in items)
    (folder / "items.csv").write_text(out.getvalue(), encoding="utf-8", newline="")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["item", "from_status", "to_status", "at"])
    writer.writerows([k, src, dst, stamp(at)] for k, src, dst, at in moves)
    (folder / "moves.csv").write_text(out.getvalue(), encoding="utf-8", newline="")

    types = TypeMap()
    read = list(read_items(folder / "items.csv", types, tz=None, source="csv"))
    assert [(r.id, r.title, r.created_at, r.team) for r in read] == [
        (k.strip(), title, created, team.strip() or None) for k, _kind, title, created, team in items
    ]
    assert [r.type for r in read] == [types(kind) for _k, kind, *_ in items]
    assert all(r.created_at.tzinfo == dt.UTC for r in read)
    back = [move for _line, move in read_transitions(folder / "moves.csv", tz=None)]
    assert back == [
        TransitionRecord(k.strip(), src.strip() or None, dst.strip(), at) for k, src, dst, at in moves
    ]


# --- per-item arithmetic ----------------------------------------------------------------------------------

STREAM = StreamDefinition(
    name="p",
    team=None,
    done=("Done", "Released"),
    entries=(
        StreamEntry("A", ("Ready A",), "wait"),
        StreamEntry("A", ("Doing A",), "active"),
        StreamEntry("B", ("Doing B",), "active"),
        StreamEntry("C", ("Ready C",), "wait"),
        StreamEntry("C", ("Doing C",), "active"),
    ),
)
PATH_STATUSES = ["Todo", "Blocked", *STREAM.statuses()]  # Todo and Blocked are backlog
T0 = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


@st.composite
def histories(draw: st.DrawFn) -> tuple[WorkItemRecord, list[TransitionRecord]]:
    """An item with up to 12 moves among stream, done and backlog statuses, minutes to weeks apart (ties
    included), some with a recorded from-status that is not where the item was."""
    created = T0 + dt.timedelta(seconds=draw(st.integers(0, 86400 * 30)))
    item = WorkItemRecord("I-1", "feature", "", created)
    moves: list[TransitionRecord] = []
    at, previous = created, draw(st.sampled_from([None, "Todo"]))
    for _ in range(draw(st.integers(0, 12))):
        at = at + dt.timedelta(
            seconds=draw(st.sampled_from([0, 60, 3600, 86400, 7 * 86400]) | st.integers(0, 10**6))
        )
        status = draw(st.sampled_from(PATH_STATUSES))
        source = draw(st.sampled_from([previous, previous, None, "Todo"]))
        moves.append(TransitionRecord("I-1", source, status, at))
        previous = status
    return item, moves


@SETTINGS
@given(history=histories())
def test_per_item_arithmetic_invariants(history: tuple[WorkItemRecord, list[TransitionRecord]]) -> None:
    item, moves = history
    f = metrics.item_flow(item, moves, metrics.StreamIndex(STREAM))
    eps = 1e-6
    assert f.active >= 0 and f.wait >= 0
    assert math.isclose(sum(f.step_active), f.active, abs_tol=eps)
    assert math.isclose(sum(f.step_wait), f.wait, abs_tol=eps)
    if f.done is None:
        assert f.flow_time is None and f.efficiency is None and f.active == 0 and f.wait == 0
    else:
        assert f.start is not None and f.start <= f.done
        assert f.flow_time is not None
        assert f.active + f.wait <= f.flow_time + eps  # backlog and reopened-from-done time are neither
        if f.efficiency is not None:
            assert 0.0 <= f.efficiency <= 1.0 + eps
        assert any(f.visited) or f.active + f.wait == 0
    # Only visited steps hold time; a step's moves are counted once each.
    for k in range(len(STREAM.steps)):
        if not f.visited[k]:
            assert f.step_active[k] == 0 and f.step_wait[k] == 0
    assert sum(f.forward) + sum(f.backward) <= len(moves)
    # In-progress stretches lie after start, are ordered, and never overlap.
    previous_end = -math.inf
    for lo, hi in f.in_progress():
        assert f.start is not None and lo >= f.start and lo <= hi and lo >= previous_end
        previous_end = hi
    # The fast path over tuples gives the same figures.
    ordered = sorted(moves, key=lambda t: t.at)
    fast = metrics.flow_parts(
        item,
        item.created_at.timestamp(),
        tuple(t.from_status or "" for t in ordered),
        tuple(t.to_status for t in ordered),
        [t.at.timestamp() for t in ordered],
        metrics.StreamIndex(STREAM),
    )
    assert (fast.start, fast.done, fast.active, fast.wait) == (f.start, f.done, f.active, f.wait)
    assert (fast.forward, fast.backward, fast.visited, fast.spans) == (
        f.forward,
        f.backward,
        f.visited,
        f.spans,
    )


@SETTINGS
@given(many=st.lists(histories(), min_size=1, max_size=8))
def test_stream_figures_stay_in_range(many: list[tuple[WorkItemRecord, list[TransitionRecord]]]) -> None:
    index = metrics.StreamIndex(STREAM)
    flows = [
        metrics.item_flow(
            WorkItemRecord(f"I-{k}", "feature", "", item.created_at),
            [TransitionRecord(f"I-{k}", t.from_status, t.to_status, t.at) for t in moves],
            index,
        )
        for k, (item, moves) in enumerate(many)
    ]
    fig = metrics.stream_figures(flows, STREAM, Window(T0, T0 + dt.timedelta(days=400)))
    if fig.flow_efficiency is not None:
        assert 0.0 <= fig.flow_efficiency <= 1.0 + 1e-9
    for step in fig.steps:
        if step.pct_complete_accurate is not None:
            assert step.pct_complete_accurate <= 1.0
    if fig.constraint:  # three steps, so the top three are all that hold time: their shares sum to 1
        assert math.isclose(sum(share for _s, share in fig.constraint), 1.0)
        shares = [share for _s, share in fig.constraint]
        assert shares == sorted(shares, reverse=True) and all(0 < x <= 1 for x in shares)
    assert fig.items_done == sum(1 for f in flows if f.done is not None)
    if fig.activity_ratio is not None:
        assert 0.0 <= fig.activity_ratio <= 1.0 + 1e-9
