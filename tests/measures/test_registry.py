"""The measures registry, exercised with a registered toy measure."""

from __future__ import annotations

import datetime as dt

import pytest

from missionos.errors import FieldError, NotFoundError
from missionos.measures import Direction, Point, Registry, Scope, Series, Window, measure
from missionos.store import Database

T0 = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


def _services_per_team(db: Database, scope: Scope, window: Window) -> Series:
    from missionos.delivery.service import list_services

    with db.session() as session:
        services = [s for s in list_services(session) if scope.kind == "org" or s.team == scope.name]
    return Series("toy.services", scope, "services", (Point(window.until, float(len(services))),))


@pytest.fixture
def registry() -> Registry:
    reg = Registry()
    measure(
        "toy.services",
        unit="services",
        direction=Direction.HIGHER_IS_BETTER,
        description="How many services",
        scopes=("org", "team"),
        registry=reg,
    )(_services_per_team)
    return reg


def test_toy_measure_reads_the_database_through_the_registry(registry: Registry, db: Database) -> None:
    from missionos.delivery.service import ensure_service

    with db.session() as session:
        ensure_service(session, "a", team="T1")
        ensure_service(session, "b", team="T1")
        ensure_service(session, "c", team="T2")
    window = Window(T0, T0 + dt.timedelta(days=7))
    org = registry.query(db, "toy.services", Scope(), window)
    team = registry.query(db, "toy.services", Scope("team", "T1"), window)
    assert org.latest == Point(window.until, 3.0)
    assert team.latest is not None and team.latest.value == 2.0
    assert registry.get("toy.services").direction is Direction.HIGHER_IS_BETTER


def test_unknown_measure_is_not_found(registry: Registry) -> None:
    with pytest.raises(NotFoundError, match=r"no measure named 'toy\.nope'"):
        registry.get("toy.nope")


def test_scope_outside_the_measures_scopes_names_the_field(registry: Registry, db: Database) -> None:
    with pytest.raises(FieldError) as info:
        registry.query(db, "toy.services", Scope("stream", "claims"), Window(T0, T0))
    assert "scope" in str(info.value) and "org, team" in str(info.value)


def test_scope_parse_reads_plan_file_form() -> None:
    assert Scope.parse({"service": "intake-web"}) == Scope("service", "intake-web")
    assert Scope.parse(None) == Scope()
    with pytest.raises(FieldError, match=r"goals\[0\]\.measure\.scope\.planet"):
        Scope.parse({"planet": "mars"}, field_path="goals[0].measure.scope")


def test_latest_skips_null_points() -> None:
    s = Series("x.y", Scope(), "n", (Point(T0, 1.0), Point(T0 + dt.timedelta(days=1), None)))
    assert s.latest == Point(T0, 1.0)


def test_window_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="timezone"):
        Window(dt.datetime(2026, 1, 1), dt.datetime(2026, 1, 2))


def test_verdict_sources_answer_in_order(db: Database) -> None:
    from missionos.measures import Verdict

    reg = Registry()
    reg.register_verdict_source(lambda _db, key: None)
    reg.register_verdict_source(
        lambda _db, key: Verdict(key, "validated", f"/experiments/{key}") if key == "x" else None
    )
    found = reg.verdict_for(db, "x")
    assert found is not None and found.status == "validated"
    assert reg.verdict_for(db, "y") is None
