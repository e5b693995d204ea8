"""Flow and value-stream-map arithmetic (metrics.md §2) as pure functions over plain records.

Times are handled as POSIX seconds inside; results are in hours (steps) or days (flow time). Nothing here
touches the database: `missionos.flow.loading` loads the records, and the service modules call these
functions.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from missionos.errors import FieldError
from missionos.flow.records import WORK_TYPES, StreamDefinition, TransitionRecord, WorkItemRecord
from missionos.measures import Window

DAY = 86400.0
HOUR = 3600.0
WEEK = 7 * DAY
BACKLOG = "Backlog"


def percentile(values: Sequence[float], q: float) -> float | None:
    """The linearly interpolated `q`th percentile (numpy's default, SQL's PERCENTILE_CONT); None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float | None:
    return percentile(values, 50)


class StreamIndex:
    """Where each status sits in a stream: its step index and kind (`active`, `wait`, `done`, `backlog`).

    Statuses are matched case-insensitively. Done statuses sit at index `len(steps)`; backlog at -1.
    """

    def __init__(self, stream: StreamDefinition) -> None:
        self.stream = stream
        self.steps = stream.steps
        self.n = len(self.steps)
        self._by_key: dict[str, tuple[int, str]] = {}
        self.labels: dict[str, str] = {}
        for entry in stream.entries:
            for status in entry.statuses:
                self._by_key[status.casefold()] = (self.steps.index(entry.name), entry.kind)
                self.labels[status.casefold()] = status
        for status in stream.done:
            self._by_key[status.casefold()] = (self.n, "done")
            self.labels[status.casefold()] = status
        self.memo: dict[str | None, tuple[int, str]] = {}
        self.plans: dict[tuple[bool, tuple[str | None, ...], tuple[str, ...]], _Plan] = {}

    def classify(self, status: str | None) -> tuple[int, str]:
        """(step index, kind) of `status`; (-1, 'backlog') for a status the stream does not name."""
        found = self.memo.get(status)
        if found is None:
            key = status.casefold() if status is not None else ""
            found = self._by_key.get(key, (-1, "backlog"))
            self.memo[status] = found
        return found

    def label(self, status: str | None) -> str:
        """The stream's spelling of `status`, or BACKLOG for statuses it does not name."""
        if status is None:
            return BACKLOG
        return self.labels.get(status.casefold(), BACKLOG)


class Interval(NamedTuple):
    """The item sat in `status` from `begin` to `end` (POSIX seconds; `end` is inf while still there)."""

    status: str | None
    begin: float
    end: float


Move = tuple[float, str | None, str]
"""A status change as the fast path carries it: (POSIX seconds, from status or None, to status)."""


@dataclass(frozen=True)
class ItemFlow:
    """The per-item figures of metrics.md §2 for one item in one stream (seconds).

    The item's history is kept as parallel tuples: `statuses[k]` from `begins[k]` to `ends[k]`, of `kinds[k]`
    (the last end is inf); `spans` are the merged stretches in which it was started and not done.
    """

    item: WorkItemRecord
    statuses: tuple[str | None, ...]
    begins: tuple[float, ...]
    ends: tuple[float, ...]
    kinds: tuple[str, ...]
    start: float | None
    done: float | None
    active: float
    wait: float
    step_active: tuple[float, ...]
    step_wait: tuple[float, ...]
    visited: tuple[bool, ...]
    forward: tuple[int, ...]
    backward: tuple[int, ...]
    unnamed: frozenset[str]
    spans: tuple[tuple[float, float], ...] = ()

    @cached_property
    def intervals(self) -> tuple[Interval, ...]:
        """The status intervals, oldest first."""
        return tuple(map(Interval, self.statuses, self.begins, self.ends))

    @property
    def flow_time(self) -> float | None:
        """done − start, in seconds; None for an item never done."""
        if self.start is None or self.done is None:
            return None
        return self.done - self.start

    @property
    def efficiency(self) -> float | None:
        """active time / flow time; None when flow time is zero or the item is not done."""
        ft = self.flow_time
        return self.active / ft if ft else None

    def time_in(self, status: str) -> float:
        """The sum of the intervals the item spent in `status` (case-insensitive), up to its last change."""
        key = status.casefold()
        return sum(
            i.end - i.begin
            for i in self.intervals
            if i.status is not None and i.status.casefold() == key and math.isfinite(i.end)
        )

    def in_progress(self) -> tuple[tuple[float, float], ...]:
        """The stretches in which the item was started and not done (adjacent intervals merged)."""
        return self.spans


def _ts(moment: dt.datetime) -> float:
    return moment.timestamp()


def item_flow(item: WorkItemRecord, transitions: Sequence[TransitionRecord], index: StreamIndex) -> ItemFlow:
    """The figures of one item: its status intervals, start, done, and active/wait time between them.

    `transitions` are the item's own, in any order (sorted here by time, stably). start is the first
    moment the item is in a status of the stream (the creation time if it was created in one); done is
    the moment it last moved from a not-done status into a done status, provided it is still in a done status.
    """
    moves = sorted(((t.at.timestamp(), t.from_status, t.to_status) for t in transitions), key=_first)
    return flow_of(item, item.created_at.timestamp(), moves, index)


def _first(move: Move) -> float:
    return move[0]


@dataclass(frozen=True, slots=True)
class _Plan:
    """What an item's figures take from its sequence of statuses alone (shared by every item whose path is
    the same): which intervals start and finish it, which add to which step, its moves forward and back."""

    statuses: tuple[str | None, ...]
    kinds: tuple[str, ...]
    first: int
    last: int
    terms: tuple[tuple[int, int, bool], ...]
    spans: tuple[tuple[int, int], ...]
    visited: tuple[bool, ...]
    forward: tuple[int, ...]
    backward: tuple[int, ...]
    unnamed: frozenset[str]


def _plan(
    statuses: list[str | None], froms: Sequence[str | None], has_moves: bool, index: StreamIndex
) -> _Plan:
    classify = index.classify
    classes = [classify(x) for x in statuses]
    count, n = len(classes), index.n
    first = next((k for k in range(count) if classes[k][0] >= 0), -1)
    last = -1
    terms: list[tuple[int, int, bool]] = []
    spans: list[tuple[int, int]] = []
    visited = [False] * n
    if first >= 0:
        if has_moves and classes[count - 1][1] == "done":
            last = count - 1
            while last > 0 and classes[last - 1][1] == "done":
                last -= 1
            # Between start and done every interval lies whole inside [start, done].
            for k in range(first, last):
                idx, kind = classes[k]
                if 0 <= idx < n:
                    terms.append((k, idx, kind == "active"))
                    visited[idx] = True
        lo = -1
        for k in range(first, count):
            if classes[k][1] == "done":
                if lo >= 0:
                    spans.append((lo, k))
                    lo = -1
            elif lo < 0:
                lo = k
        if lo >= 0:
            spans.append((lo, -1))
    forward = [0] * n
    backward = [0] * n
    offset = len(statuses) - len(froms)  # 1 when the item sat in its first from-status before its first move
    previous = statuses[0]
    for j, src in enumerate(froms):
        dst = statuses[j + offset]
        f = classify(src or previous)[0]
        to = classify(dst)[0]
        if to > f >= 0 and f < n:
            forward[f] += 1
        elif to < f and f >= 1:
            backward[f - 1] += 1
        previous = dst
    return _Plan(
        statuses=tuple(statuses),
        kinds=tuple(c[1] for c in classes),
        first=first,
        last=last,
        terms=tuple(terms),
        spans=tuple(spans),
        visited=tuple(visited),
        forward=tuple(forward),
        backward=tuple(backward),
        unnamed=frozenset(x for x, c in zip(statuses, classes, strict=True) if c[0] < 0 and x is not None),
    )


def flow_of(item: WorkItemRecord, created: float, moves: Sequence[Move], index: StreamIndex) -> ItemFlow:
    """`item_flow` over plain (seconds, from, to) tuples already in time order."""
    if not moves:
        return flow_parts(item, created, (), (), [], index)
    ats, froms, tos = zip(*moves, strict=True)
    return flow_parts(item, created, froms, tos, list(ats), index)


def flow_parts(
    item: WorkItemRecord,
    created: float,
    froms: tuple[str | None, ...],
    tos: tuple[str, ...],
    begins: list[float],
    index: StreamIndex,
) -> ItemFlow:
    """The fast path of a stream: an item's moves as parallel tuples in time order (from statuses may be
    None or ''), `begins` their times in POSIX seconds (a list this function extends).

    The structure of the item's path (which statuses, in which order) is worked out once per distinct path
    and kept on the index; only the times are the item's own.
    """
    inf = math.inf
    if begins:
        lead = created < begins[0]
        if lead:
            begins.insert(0, created)
        ends = [*begins[1:], inf]
    else:
        lead, begins, ends = True, [created], [inf]
    key = (lead, froms, tos)
    plan = index.plans.get(key)
    if plan is None:
        statuses: list[str | None] = [*(((froms[0] or None) if froms else None,) if lead else ()), *tos]
        plan = index.plans[key] = _plan(statuses, froms, bool(tos), index)

    n = index.n
    step_active = [0.0] * n
    step_wait = [0.0] * n
    active = wait = 0.0
    for k, idx, is_active in plan.terms:
        span = ends[k] - begins[k]
        if is_active:
            step_active[idx] += span
            active += span
        else:
            step_wait[idx] += span
            wait += span
    return ItemFlow(
        item=item,
        statuses=plan.statuses,
        begins=tuple(begins),
        ends=tuple(ends),
        kinds=plan.kinds,
        start=begins[plan.first] if plan.first >= 0 else None,
        done=begins[plan.last] if plan.last >= 0 else None,
        active=active,
        wait=wait,
        step_active=tuple(step_active),
        step_wait=tuple(step_wait),
        visited=plan.visited,
        forward=plan.forward,
        backward=plan.backward,
        unnamed=plan.unnamed,
        spans=tuple((begins[a], begins[b] if b >= 0 else inf) for a, b in plan.spans),
    )


def item_flows(
    items: Iterable[WorkItemRecord], transitions: Iterable[TransitionRecord], stream: StreamDefinition
) -> list[ItemFlow]:
    """`item_flow` for every item, with the transitions grouped by item key."""
    index = StreamIndex(stream)
    by_item: dict[str, list[TransitionRecord]] = {}
    for t in transitions:
        by_item.setdefault(t.item, []).append(t)
    return [item_flow(i, by_item.get(i.id, ()), index) for i in items]


# --- stream figures ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepFigures:
    """One step of the value-stream map (hours), with its %C&A and the items that visited it."""

    name: str
    process_time_hours: float | None
    wait_before_hours: float | None
    pct_complete_accurate: float | None
    items: int
    forward_moves: int
    backward_moves: int
    total_hours: float

    @property
    def lead_time_hours(self) -> float | None:
        if self.process_time_hours is None or self.wait_before_hours is None:
            return None
        return self.process_time_hours + self.wait_before_hours

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "process_time_hours": self.process_time_hours,
            "wait_before_hours": self.wait_before_hours,
            "lead_time_hours": self.lead_time_hours,
            "pct_complete_accurate": self.pct_complete_accurate,
            "items": self.items,
            "forward_moves": self.forward_moves,
            "backward_moves": self.backward_moves,
        }


@dataclass(frozen=True)
class AgingItem:
    item: str
    source: str
    title: str
    status: str | None
    age_days: float
    over_p85: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "source": self.source,
            "title": self.title,
            "status": self.status,
            "age_days": self.age_days,
            "over_p85": self.over_p85,
        }


@dataclass(frozen=True)
class StreamFigures:
    """Everything `flow metrics` reports for one stream and window (see the JSON shape in docs/flow.md)."""

    stream: str
    window: Window
    items_done: int
    flow_time_median_days: float | None
    flow_time_p85_days: float | None
    flow_efficiency: float | None
    velocity_per_week: float
    distribution: dict[str, float]
    load_mean: float | None
    load_now: int
    aging_wip: tuple[AgingItem, ...]
    steps: tuple[StepFigures, ...]
    constraint: tuple[tuple[str, float], ...]
    unnamed_statuses: dict[str, int] = field(default_factory=dict)

    @property
    def activity_ratio(self) -> float | None:
        pts = [s.process_time_hours for s in self.steps]
        lts = [s.lead_time_hours for s in self.steps]
        if any(v is None for v in lts):
            known = [(p, lt) for p, lt in zip(pts, lts, strict=True) if lt is not None and p is not None]
        else:
            known = [(p or 0.0, lt or 0.0) for p, lt in zip(pts, lts, strict=True)]
        total = sum(lt for _, lt in known)
        return sum(p for p, _ in known) / total if total else None

    @property
    def rolled_pct_complete_accurate(self) -> float | None:
        values = [s.pct_complete_accurate for s in self.steps if s.pct_complete_accurate is not None]
        return math.prod(values) if values else None

    @property
    def total_lead_time_hours(self) -> float:
        return sum(s.lead_time_hours or 0.0 for s in self.steps)

    @property
    def total_process_time_hours(self) -> float:
        return sum(s.process_time_hours or 0.0 for s in self.steps)

    def as_dict(self) -> dict[str, Any]:
        return {
            "window": {"since": self.window.since.isoformat(), "until": self.window.until.isoformat()},
            "stream": self.stream,
            "items_done": self.items_done,
            "flow_time": {"median_days": self.flow_time_median_days, "p85_days": self.flow_time_p85_days},
            "flow_efficiency": self.flow_efficiency,
            "velocity_per_week": self.velocity_per_week,
            "distribution": self.distribution,
            "load": {"mean": self.load_mean, "now": self.load_now},
            "aging_wip": [a.as_dict() for a in self.aging_wip],
            "steps": [s.as_dict() for s in self.steps],
            "activity_ratio": self.activity_ratio,
            "rolled_pct_complete_accurate": self.rolled_pct_complete_accurate,
            "total_lead_time_hours": self.total_lead_time_hours,
            "total_process_time_hours": self.total_process_time_hours,
            "constraint": [{"step": s, "share": share} for s, share in self.constraint],
            "unnamed_statuses": self.unnamed_statuses,
        }


def done_in(flows: Iterable[ItemFlow], window: Window) -> list[ItemFlow]:
    """The items whose done time falls in [since, until)."""
    lo, hi = _ts(window.since), _ts(window.until)
    return [f for f in flows if f.done is not None and lo <= f.done < hi]


def day_ends(window: Window) -> list[float]:
    """The sample instants of daily figures: the end of each UTC day of the window (capped at until)."""
    lo, hi = _ts(window.since), _ts(window.until)
    first = dt.datetime.combine(window.since.astimezone(dt.UTC).date(), dt.time(), dt.UTC).timestamp()
    out: list[float] = []
    moment = first + DAY
    while moment - DAY < hi:
        out.append(min(moment, hi))
        moment += DAY
    return [m for m in out if m > lo] or [hi]


def step_figures(done: Sequence[ItemFlow], steps: Sequence[str]) -> tuple[StepFigures, ...]:
    """P/T, W/T and %C&A per step, over the items that visited each step (metrics.md §2)."""
    n = len(steps)
    if done:
        visited = list(zip(*(f.visited for f in done), strict=True))
        actives = list(zip(*(f.step_active for f in done), strict=True))
        waits = list(zip(*(f.step_wait for f in done), strict=True))
        forwards = list(zip(*(f.forward for f in done), strict=True))
        backwards = list(zip(*(f.backward for f in done), strict=True))
    else:
        visited = actives = waits = forwards = backwards = [()] * n
    out = []
    for k, name in enumerate(steps):
        forward, backward = sum(forwards[k]), sum(backwards[k])
        pt = median([a / HOUR for a, v in zip(actives[k], visited[k], strict=True) if v])
        wt = median([w / HOUR for w, v in zip(waits[k], visited[k], strict=True) if v])
        out.append(
            StepFigures(
                name=name,
                process_time_hours=pt,
                wait_before_hours=wt,
                pct_complete_accurate=(1 - backward / forward) if forward else None,
                items=sum(visited[k]),
                forward_moves=forward,
                backward_moves=backward,
                total_hours=(math.fsum(actives[k]) + math.fsum(waits[k])) / HOUR,
            )
        )
    return tuple(out)


def constraint(steps: Sequence[StepFigures], top: int = 3) -> tuple[tuple[str, float], ...]:
    """The steps with the largest total time (their time plus the wait before them), with their shares."""
    total = sum(s.total_hours for s in steps)
    if not total:
        return ()
    ranked = sorted(steps, key=lambda s: (-s.total_hours, s.name))
    return tuple((s.name, s.total_hours / total) for s in ranked[:top] if s.total_hours > 0)


def load_series(flows: Iterable[ItemFlow], samples: Sequence[float]) -> list[int]:
    """Flow load at each sample instant: items started and not done then."""
    diff = [0] * (len(samples) + 1)
    for f in flows:
        for lo, hi in f.in_progress():
            a = bisect.bisect_left(samples, lo)
            b = bisect.bisect_left(samples, hi) if math.isfinite(hi) else len(samples)
            if a < b:
                diff[a] += 1
                diff[b] -= 1
    out, running = [], 0
    for d in diff[:-1]:
        running += d
        out.append(running)
    return out


def status_at(flow: ItemFlow, moment: float) -> str | None:
    k = bisect.bisect_right(flow.begins, moment) - 1
    return flow.statuses[k] if k >= 0 and moment < flow.ends[k] else None


def stream_figures(
    flows: Sequence[ItemFlow], stream: StreamDefinition, window: Window, *, aging_limit: int = 50
) -> StreamFigures:
    """The stream figures of metrics.md §2 over the items done in `window`."""
    done = done_in(flows, window)
    times = [f.flow_time or 0.0 for f in done]
    total_flow = sum(times)
    p85 = percentile([t / DAY for t in times], 85)
    types = Counter(f.item.type for f in done)
    distribution = {t: (types[t] / len(done) if done else 0.0) for t in WORK_TYPES}
    weeks = (_ts(window.until) - _ts(window.since)) / WEEK
    samples = day_ends(window)
    until = _ts(window.until)
    loads = load_series(flows, samples)
    load_now = load_series(flows, [until])[0]
    aging = []
    for f in flows:
        if f.start is None or f.start > until:
            continue
        if any(lo <= until < hi for lo, hi in f.in_progress()):
            age = (until - f.start) / DAY
            aging.append(
                AgingItem(
                    f.item.id,
                    f.item.source,
                    f.item.title,
                    status_at(f, until),
                    age,
                    p85 is not None and age > p85,
                )
            )
    aging.sort(key=lambda a: (-a.age_days, a.item))
    steps = step_figures(done, stream.steps)
    unnamed: Counter[str] = Counter()
    for f in flows:
        unnamed.update(f.unnamed)
    return StreamFigures(
        stream=stream.name,
        window=window,
        items_done=len(done),
        flow_time_median_days=median([t / DAY for t in times]),
        flow_time_p85_days=p85,
        flow_efficiency=(sum(f.active for f in done) / total_flow) if total_flow else None,
        velocity_per_week=len(done) / weeks if weeks else 0.0,
        distribution=distribution,
        load_mean=(sum(loads) / len(loads)) if loads else None,
        load_now=load_now,
        aging_wip=tuple(aging[:aging_limit]),
        steps=steps,
        constraint=constraint(steps),
        unnamed_statuses=dict(sorted(unnamed.items())),
    )


# --- series -----------------------------------------------------------------------------------------------


def week_starts(window: Window) -> list[dt.datetime]:
    """The Mondays (00:00 UTC) of the weeks that meet the window."""
    since = window.since.astimezone(dt.UTC)
    monday = dt.datetime.combine(since.date() - dt.timedelta(days=since.weekday()), dt.time(), dt.UTC)
    out = []
    while monday < window.until:
        out.append(monday)
        monday += dt.timedelta(days=7)
    return out


@dataclass(frozen=True)
class WeekFigures:
    week: dt.datetime
    items_done: int
    flow_time_median_days: float | None
    flow_efficiency: float | None
    load_mean: float | None
    by_type: dict[str, int]
    step_hours: dict[str, float]


def weekly(flows: Sequence[ItemFlow], window: Window, steps: Sequence[str] = ()) -> list[WeekFigures]:
    """Per week of the window (weeks start on Monday, clipped to it): the flow figures of that week."""
    out = []
    for week in week_starts(window):
        span = Window(max(week, window.since), min(week + dt.timedelta(days=7), window.until))
        done = done_in(flows, span)
        times = [f.flow_time or 0.0 for f in done]
        loads = load_series(flows, day_ends(span))
        types = Counter(f.item.type for f in done)
        out.append(
            WeekFigures(
                week=week,
                items_done=len(done),
                flow_time_median_days=median([t / DAY for t in times]),
                flow_efficiency=(sum(f.active for f in done) / sum(times)) if sum(times) else None,
                load_mean=(sum(loads) / len(loads)) if loads else None,
                by_type={t: types[t] for t in WORK_TYPES},
                step_hours={
                    s: sum(f.step_active[k] + f.step_wait[k] for f in done) / HOUR
                    for k, s in enumerate(steps)
                },
            )
        )
    return out


def cumulative_flow(
    flows: Iterable[ItemFlow], stream: StreamDefinition, window: Window
) -> tuple[list[dt.datetime], dict[str, list[int]]]:
    """The count of items in each status at the end of each day; unnamed statuses are counted as Backlog."""
    index = StreamIndex(stream)
    samples = day_ends(window)
    labels = [BACKLOG, *dict.fromkeys(stream.statuses())]
    diffs = {label: [0] * (len(samples) + 1) for label in labels}
    for f in flows:
        for iv in f.intervals:
            a = bisect.bisect_left(samples, iv.begin)
            b = bisect.bisect_left(samples, iv.end) if math.isfinite(iv.end) else len(samples)
            if a < b:
                diff = diffs[index.label(iv.status)]
                diff[a] += 1
                diff[b] -= 1
    counts: dict[str, list[int]] = {}
    for label, changes in diffs.items():
        running, series = 0, list[int]()
        for change in changes[:-1]:
            running += change
            series.append(running)
        counts[label] = series
    return [dt.datetime.fromtimestamp(s, dt.UTC) for s in samples], counts


# --- what-if ----------------------------------------------------------------------------------------------

WHAT_IF = re.compile(r"^\s*(?P<step>[^=]+?)\.(?P<part>wait|process)\s*=\s*(?P<factor>[0-9]*\.?[0-9]+)\s*$")


def parse_what_if(text: str, steps: Sequence[str]) -> list[tuple[str, str, float]]:
    """Parse `Step.wait=0.5[,Step.process=0.8]` into (step, part, factor) triples; steps must exist."""
    out = []
    for k, part in enumerate(p for p in text.split(",") if p.strip()):
        m = WHAT_IF.match(part)
        if not m:
            raise FieldError(
                f"--what-if[{k}]", "STEP.wait=FACTOR or STEP.process=FACTOR, e.g. Release.wait=0.5"
            )
        step = next((s for s in steps if s.casefold() == m["step"].strip().casefold()), None)
        if step is None:
            raise FieldError(f"--what-if[{k}]", f"a step of the stream: {', '.join(steps)}")
        out.append((step, m["part"], float(m["factor"])))
    return out


def what_if(
    steps: Sequence[StepFigures], changes: Sequence[tuple[str, str, float]]
) -> tuple[StepFigures, ...]:
    """The steps with each named step's wait (W/T) or process time (P/T) scaled by its factor."""
    out = []
    for s in steps:
        pt, wt, total = s.process_time_hours, s.wait_before_hours, s.total_hours
        for step, part, factor in changes:
            if step != s.name:
                continue
            if part == "wait" and wt is not None:
                wt *= factor
            elif part == "process" and pt is not None:
                pt *= factor
        out.append(
            StepFigures(
                s.name, pt, wt, s.pct_complete_accurate, s.items, s.forward_moves, s.backward_moves, total
            )
        )
    return tuple(out)
