"""What the pages and the API read: a stream's figures (and its weeks), everything its page draws, its items
with their figures, and one item's detail; the arithmetic lives in `missionos.flow.metrics`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos.errors import NotFoundError
from missionos.flow import metrics
from missionos.flow.loading import gc_paused, stream_flows
from missionos.flow.models import Transition, WorkItem
from missionos.flow.records import StreamDefinition, TransitionRecord, WorkItemRecord
from missionos.flow.streams import get_stream, list_streams
from missionos.measures import Window
from missionos.times import as_utc


def stream_metrics(session: Session, name: str, window: Window) -> metrics.StreamFigures:
    """`flow metrics`: the stream figures of metrics.md §2 over the items done in `window`."""
    stream = get_stream(session, name)
    flows = [f for _, f in stream_flows(session, stream, window)]
    with gc_paused():
        return metrics.stream_figures(flows, stream, window)


def stream_glance(
    session: Session, name: str, window: Window
) -> tuple[metrics.StreamFigures, list[metrics.WeekFigures]]:
    """The stream figures of `window` and its weeks, from one read of the stream's items (the overview)."""
    stream = get_stream(session, name)
    flows = [f for _, f in stream_flows(session, stream, window)]
    with gc_paused():
        return metrics.stream_figures(flows, stream, window), metrics.weekly(flows, window, stream.steps)


@dataclass(frozen=True)
class StreamView:
    """Everything the stream page draws, computed in one pass over the stream's items."""

    stream: StreamDefinition
    figures: metrics.StreamFigures
    weeks: list[metrics.WeekFigures]
    cfd_days: list[dt.datetime]
    cfd: dict[str, list[int]]
    done: list[metrics.ItemFlow]
    load_days: list[dt.datetime]
    load: list[int]

    def cfd_changes(self) -> list[tuple[str, int, int]]:
        """Each status of the stream's steps (neither backlog nor done), with its count on the window's first
        and last day, the one that grew most first (a band that widens is work piling up: metrics.md §2)."""
        named = {s for e in self.stream.entries for s in e.statuses} - set(self.stream.done)
        rows = [(s, c[0], c[-1]) for s, c in self.cfd.items() if c and s in named]
        return sorted(rows, key=lambda r: (-(r[2] - r[1]), r[0]))

    def cfd_done(self) -> int:
        """Items that reached a done status during the window (the done band's growth)."""
        return sum(c[-1] - c[0] for s, c in self.cfd.items() if c and s in set(self.stream.done))


def stream_view(session: Session, name: str, window: Window) -> StreamView:
    stream = get_stream(session, name)
    flows = [f for _, f in stream_flows(session, stream)]
    with gc_paused():
        return _view(stream, flows, window)


def _view(stream: StreamDefinition, flows: list[metrics.ItemFlow], window: Window) -> StreamView:
    days, cfd = metrics.cumulative_flow(flows, stream, window)
    samples = metrics.day_ends(window)
    return StreamView(
        stream=stream,
        figures=metrics.stream_figures(flows, stream, window),
        weeks=metrics.weekly(flows, window, stream.steps),
        cfd_days=days,
        cfd=cfd,
        done=sorted(metrics.done_in(flows, window), key=lambda f: f.done or 0.0),
        load_days=days,
        load=metrics.load_series(flows, samples),
    )


@dataclass(frozen=True)
class ItemRow:
    """One item of a stream as listed on its items page."""

    source: str
    key: str
    type: str
    title: str
    status: str | None
    start: dt.datetime | None
    done: dt.datetime | None
    flow_time_days: float | None
    efficiency: float | None
    backward_moves: int


def _moment(ts: float | None) -> dt.datetime | None:
    return None if ts is None else dt.datetime.fromtimestamp(ts, dt.UTC)


def stream_items(
    session: Session, name: str, *, state: str = "all", step: str | None = None
) -> list[ItemRow]:
    """The stream's items with their per-item figures; `state` is all, done or wip; `step` keeps visitors."""
    stream = get_stream(session, name)
    k = stream.steps.index(step) if step in stream.steps else None
    rows = []
    for record, f in stream_flows(session, stream):
        if state == "done" and f.done is None:
            continue
        if state == "wip" and (f.start is None or f.done is not None):
            continue
        if k is not None and not f.visited[k]:
            continue
        last = f.intervals[-1].status if f.intervals else None
        rows.append(
            ItemRow(
                source=record.source,
                key=record.id,
                type=record.type,
                title=record.title,
                status=last,
                start=_moment(f.start),
                done=_moment(f.done),
                flow_time_days=None if f.flow_time is None else f.flow_time / metrics.DAY,
                efficiency=f.efficiency,
                backward_moves=sum(f.backward),
            )
        )
    rows.sort(key=lambda r: (r.done is None, r.done or r.start or dt.datetime.max.replace(tzinfo=dt.UTC)))
    return rows


@dataclass(frozen=True)
class ItemDetail:
    record: WorkItemRecord
    transitions: tuple[TransitionRecord, ...]
    time_in_status_hours: dict[str, float]
    flows: dict[str, metrics.ItemFlow]


def item_detail(session: Session, source: str, key: str) -> ItemDetail:
    """One item with its transitions, time in each status, and its figures in every stream of its team."""
    row = session.scalar(select(WorkItem).where(WorkItem.source == source, WorkItem.key == key))
    if row is None:
        raise NotFoundError("work item", f"{source}:{key}")
    record = WorkItemRecord(
        row.key, row.type, row.title, as_utc(row.created_at), row.team, row.parent, row.source
    )
    transitions = tuple(
        TransitionRecord(key, r.from_status or None, r.to_status, as_utc(r.at))
        for r in session.scalars(
            select(Transition).where(Transition.item_id == row.id).order_by(Transition.at, Transition.id)
        )
    )
    streams = [
        s for s in list_streams(session) if s.team is None or (row.team or "").lower() == s.team.lower()
    ]
    flows = {s.name: metrics.item_flow(record, transitions, metrics.StreamIndex(s)) for s in streams}
    hours: dict[str, float] = {}
    for i, t in enumerate(transitions):
        if i + 1 < len(transitions):
            span = (transitions[i + 1].at - t.at).total_seconds() / 3600
            hours[t.to_status] = hours.get(t.to_status, 0.0) + span
    return ItemDetail(record, transitions, hours, flows)
