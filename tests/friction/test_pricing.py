"""The friction arithmetic on hand-computed values (no database)."""

from __future__ import annotations

import pytest

from missionos.friction.pricing import items_per_month, price, ranked


def test_cost_of_delay_is_wait_times_items_times_value() -> None:
    # 2 days of wait × (45 items in 90 days = 15 a month) × 100 a day = 3,000 a month; ÷ 5 days = CD3 600.
    p = price(
        declared_wait_days=None,
        measured_wait_hours=48.0,
        items=45,
        window_days=90,
        value_per_day=100.0,
        currency="EUR",
        effort_days=5,
    )
    assert p.wait_source == "measured"
    assert p.items_per_month == pytest.approx(15.0)
    assert p.cost_per_month == pytest.approx(3000.0)
    assert p.cd3 == pytest.approx(600.0)
    assert p.as_dict()["currency"] == "EUR" and p.missing == ""


def test_a_declared_wait_wins_over_the_measured_one() -> None:
    p = price(
        declared_wait_days=0.5,
        measured_wait_hours=240.0,
        items=30,
        window_days=30,
        value_per_day=10.0,
        currency="USD",
        effort_days=1,
    )
    assert p.wait_source == "declared" and p.cost_per_month == pytest.approx(0.5 * 30 * 10)


def test_an_unpriced_blocker_says_what_is_missing() -> None:
    p = price(
        declared_wait_days=None,
        measured_wait_hours=None,
        items=None,
        window_days=90,
        value_per_day=None,
        currency="USD",
        effort_days=2,
    )
    assert p.cost_per_month is None and p.cd3 is None
    assert "name the step" in p.missing and "missionos friction value" in p.missing


def test_ranking_puts_the_highest_cd3_first_and_the_unpriced_last() -> None:
    def make(wait: float | None, effort: float) -> object:
        return price(
            declared_wait_days=wait,
            measured_wait_hours=None,
            items=30,
            window_days=30,
            value_per_day=1.0,
            currency="USD",
            effort_days=effort,
        )

    small_cheap, big_costly, unpriced = make(1, 1), make(10, 20), make(None, 1)
    order = ranked([("a", big_costly), ("b", unpriced), ("c", small_cheap)])  # type: ignore[list-item]
    # CD3: c = 30 / 1 = 30 beats a = 300 / 20 = 15, although a costs more a month.
    assert [name for name, _ in order] == ["c", "a", "b"]


def test_items_per_month_scales_a_window_to_thirty_days() -> None:
    assert items_per_month(9, 90) == pytest.approx(3.0)
    assert items_per_month(9, 0) == 0.0
