"""Registry of named measures and verdict sources (see the package docstring)."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from missionos.contexts import publishers
from missionos.errors import FieldError, NotFoundError

if TYPE_CHECKING:
    from missionos.store import Database


class Direction(StrEnum):
    """Which way is better for a measure."""

    HIGHER_IS_BETTER = "higher"
    LOWER_IS_BETTER = "lower"


SCOPE_KINDS = ("org", "team", "service", "stream", "system", "series", "flag")


@dataclass(frozen=True)
class Scope:
    """What a measure is taken over: the whole organization, or one team, service, stream, system...

    `Scope.parse({"service": "intake-web"})` reads the plan-file form; an empty mapping is the organization.
    """

    kind: str = "org"
    name: str | None = None

    @classmethod
    def parse(cls, raw: Mapping[str, Any] | None, *, field_path: str = "scope") -> Scope:
        if not raw:
            return cls()
        if len(raw) != 1:
            raise FieldError(field_path, f"exactly one of {', '.join(SCOPE_KINDS)}")
        ((kind, name),) = raw.items()
        if kind not in SCOPE_KINDS:
            raise FieldError(f"{field_path}.{kind}", f"one of {', '.join(SCOPE_KINDS)}")
        if kind != "org" and (not isinstance(name, str) or not name):
            raise FieldError(f"{field_path}.{kind}", "a name")
        return cls(kind, None if kind == "org" else name)

    def as_dict(self) -> dict[str, str | None]:
        return {self.kind: self.name}

    def __str__(self) -> str:
        return "org" if self.kind == "org" else f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class Window:
    """A half-open time window [since, until), in UTC."""

    since: dt.datetime
    until: dt.datetime

    def __post_init__(self) -> None:
        if self.since.tzinfo is None or self.until.tzinfo is None:
            raise ValueError("window bounds must be timezone-aware")
        if self.until < self.since:
            raise ValueError("window ends before it starts")

    @classmethod
    def last(cls, days: int, *, until: dt.datetime | None = None) -> Window:
        end = until or dt.datetime.now(dt.UTC)
        return cls(end - dt.timedelta(days=days), end)

    def __contains__(self, moment: dt.datetime) -> bool:
        return self.since <= moment < self.until


@dataclass(frozen=True)
class Point:
    """One value of a series: the value at (the end of the period starting) `at`."""

    at: dt.datetime
    value: float | None


@dataclass(frozen=True)
class Series:
    """A measure's values over a window, oldest first; `latest` is the newest non-null value."""

    measure: str
    scope: Scope
    unit: str
    points: tuple[Point, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=dict)

    @property
    def latest(self) -> Point | None:
        for point in reversed(self.points):
            if point.value is not None:
                return point
        return None


MeasureFn = Callable[["Database", Scope, Window], Series]

T = TypeVar("T")

# The memo of the innermost `reading()` block of this thread or task; None outside any.
_memo: ContextVar[dict[Hashable, Any] | None] = ContextVar("missionos_measures_memo", default=None)


@contextmanager
def reading() -> Iterator[None]:
    """A read-only block (one page view, one report): inside it each (measure, scope, window) is computed once
    per database, and publishers share work between their measures through `memoized`.

    Nothing is kept after the block, so no figure outlives the request that read it. Do not write inside the
    block and then read again: the second read answers from the memo. Nested blocks share the outer memo.
    """
    if _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def memoized(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, once per `key` within the current `reading()` block (every time outside one)."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    result: T = memo[key]
    return result


def memoized_already(key: Hashable) -> Any | None:
    """What `memoized(key, ...)` computed earlier in the current `reading()` block; None if nothing (or
    outside a block). For publishers that can cut a figure from a larger one when it is at hand."""
    memo = _memo.get()
    return None if memo is None else memo.get(key)


@dataclass(frozen=True)
class Measure:
    """A named measure: what it means, its unit, which direction is better, and how to compute it."""

    name: str
    unit: str
    direction: Direction
    description: str
    compute: MeasureFn
    scopes: tuple[str, ...] = ("org",)

    def __call__(self, db: Database, scope: Scope, window: Window) -> Series:
        if scope.kind not in self.scopes:
            raise FieldError("scope", f"one of {', '.join(self.scopes)} for measure {self.name}")
        return self.compute(db, scope, window)


@dataclass(frozen=True)
class Verdict:
    """An experiment's verdict on a bet, as published by the experiments context (metrics.md §3)."""

    experiment: str
    status: str  # validated | invalidated | inconclusive | invalid | too early
    evidence_url: str
    decided_at: dt.datetime | None = None
    summary: str = ""
    # What the loop compares the plan with (docs/loop.md); None where the publisher does not know.
    primary_metric: str | None = None  # the metric the experiment judges the bet on
    allocation: float | None = None  # the share of units the flag exposes now (0..1)
    effect: float | None = None  # the primary metric's relative lift of the first treatment
    ci: tuple[float, float] | None = None  # its confidence (or credible) interval
    started_at: dt.datetime | None = None  # when the experiment started
    running: bool | None = None  # whether the experiment is still running


VerdictSource = Callable[["Database", str], "Verdict | None"]


class Registry:
    """Holds measures by name and the sources of experiment verdicts."""

    def __init__(self) -> None:
        self._measures: dict[str, Measure] = {}
        self._verdict_sources: list[VerdictSource] = []

    def register(self, item: Measure) -> Measure:
        if "." not in item.name:
            raise ValueError(f"measure names are '<context>.<name>', got {item.name!r}")
        self._measures[item.name] = item
        return item

    def unregister(self, name: str) -> None:
        self._measures.pop(name, None)

    def get(self, name: str) -> Measure:
        try:
            return self._measures[name]
        except KeyError:
            raise NotFoundError("measure", name) from None

    def names(self) -> list[str]:
        return sorted(self._measures)

    def query(self, db: Database, name: str, scope: Scope, window: Window) -> Series:
        found = self.get(name)
        return memoized((id(self), id(db), name, scope, window), lambda: found(db, scope, window))

    def register_verdict_source(self, source: VerdictSource) -> VerdictSource:
        if source not in self._verdict_sources:
            self._verdict_sources.append(source)
        return source

    def verdict_for(self, db: Database, experiment: str) -> Verdict | None:
        for source in self._verdict_sources:
            found = source(db, experiment)
            if found is not None:
                return found
        return None


default_registry = Registry()

# Modules that publish measures when imported: the contexts whose row in `missionos.contexts` says so.
PUBLISHERS = publishers()


def load_publishers() -> None:
    """Import every context's `measures` module so that its measures are registered."""
    for module in PUBLISHERS:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def measure(
    name: str,
    *,
    unit: str,
    direction: Direction,
    description: str,
    scopes: tuple[str, ...] = ("org",),
    registry: Registry | None = None,
) -> Callable[[MeasureFn], MeasureFn]:
    """Decorator: register `fn` as the measure `name` in the default (or given) registry."""

    def wrap(fn: MeasureFn) -> MeasureFn:
        (registry or default_registry).register(Measure(name, unit, direction, description, fn, scopes))
        return fn

    return wrap


def get(name: str) -> Measure:
    load_publishers()
    return default_registry.get(name)


def names() -> list[str]:
    load_publishers()
    return default_registry.names()


def describe() -> list[Measure]:
    load_publishers()
    return [default_registry.get(n) for n in default_registry.names()]


def query(db: Database, name: str, scope: Scope, window: Window) -> Series:
    """The series of measure `name` over `scope` and `window`."""
    load_publishers()
    return default_registry.query(db, name, scope, window)


def register_verdict_source(source: VerdictSource) -> VerdictSource:
    return default_registry.register_verdict_source(source)


def verdict_for(db: Database, experiment: str) -> Verdict | None:
    """The latest verdict any context publishes for `experiment` (a flag or experiment key), if any."""
    load_publishers()
    return default_registry.verdict_for(db, experiment)
