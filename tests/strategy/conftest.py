"""Toy measures and verdicts registered in the measures registry, so these tests need no other context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from missionos import measures
from missionos.errors import NotFoundError
from missionos.measures import Direction, Measure, Point, Scope, Series, Verdict, Window, default_registry
from missionos.store import Database

TODAY = dt.date(2026, 11, 24)


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


@dataclass
class Toys:
    """Series by (measure, scope) and verdicts by experiment key, served by the toy publishers."""

    series: dict[tuple[str, Scope], list[tuple[dt.date, float]]] = field(default_factory=dict)
    verdicts: dict[str, Verdict] = field(default_factory=dict)

    def set(self, name: str, scope: Scope, points: list[tuple[dt.date, float]]) -> None:
        self.series[(name, scope)] = points

    def weekly(self, name: str, scope: Scope, values: list[float], *, last: dt.date) -> None:
        """Weekly points ending with the week that starts at `last`."""
        start = last - dt.timedelta(days=7 * (len(values) - 1))
        self.set(name, scope, [(start + dt.timedelta(days=7 * i), v) for i, v in enumerate(values)])


_TOYS: list[Toys] = []


def _verdicts(_db: Database, key: str) -> Verdict | None:
    return _TOYS[-1].verdicts.get(key) if _TOYS else None


TOY_MEASURES = (
    ("toy.lead_time", Direction.LOWER_IS_BETTER, ("org", "service", "stream")),
    ("toy.throughput", Direction.HIGHER_IS_BETTER, ("org", "service", "team")),
    ("delivery.production_deployments", Direction.HIGHER_IS_BETTER, ("service",)),
)


@pytest.fixture
def toys() -> Iterator[Toys]:
    measures.load_publishers()  # the real publishers first, so the toys are not overwritten later
    state = Toys()
    saved: dict[str, Measure | None] = {}
    for name, direction, scopes in TOY_MEASURES:
        try:
            saved[name] = measures.get(name)
        except NotFoundError:
            saved[name] = None

        def compute(db: Database, scope: Scope, window: Window, name: str = name) -> Series:
            points = state.series.get((name, scope), [])
            return Series(name, scope, "n", tuple(Point(at(d), v) for d, v in points if at(d) in window))

        default_registry.register(Measure(name, "n", direction, "toy", compute, scopes))
    measures.register_verdict_source(_verdicts)
    _TOYS.append(state)
    yield state
    _TOYS.pop()
    for name, previous in saved.items():
        default_registry.unregister(name)
        if previous is not None:
            default_registry.register(previous)
