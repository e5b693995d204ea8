"""What a blocker costs, as pure arithmetic (docs/friction.md defines each figure).

- cost of delay per month = the wait it adds to each item (days) × items through its step per month × what a
  day of one item's delay is worth;
- CD3 (cost of delay divided by duration) = that monthly cost ÷ the days of effort it takes to remove it. The
  register is ranked by CD3: the blockers that buy the most per day of effort come first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DAYS_PER_MONTH = 30.0


@dataclass(frozen=True)
class Price:
    """A blocker's price, or the reason it has none yet (`missing`)."""

    wait_days: float | None
    wait_source: str  # "declared" (on the blocker), "measured" (the step's median wait), or "unknown"
    items_per_month: float | None
    value_per_day: float | None
    currency: str
    effort_days: float
    missing: str = ""

    @property
    def cost_per_month(self) -> float | None:
        if self.wait_days is None or self.items_per_month is None or self.value_per_day is None:
            return None
        return self.wait_days * self.items_per_month * self.value_per_day

    @property
    def cd3(self) -> float | None:
        cost = self.cost_per_month
        return None if cost is None else cost / self.effort_days

    def as_dict(self) -> dict[str, Any]:
        return {
            "wait_days": self.wait_days,
            "wait_source": self.wait_source,
            "items_per_month": self.items_per_month,
            "value_per_day": self.value_per_day,
            "currency": self.currency,
            "cost_of_delay_per_month": self.cost_per_month,
            "effort_days": self.effort_days,
            "cd3": self.cd3,
            "missing": self.missing or None,
        }


def items_per_month(items: int, window_days: float) -> float:
    """A count of items over a window of `window_days`, as a rate per 30 days."""
    return items * DAYS_PER_MONTH / window_days if window_days > 0 else 0.0


def price(
    *,
    declared_wait_days: float | None,
    measured_wait_hours: float | None,
    items: int | None,
    window_days: float,
    value_per_day: float | None,
    currency: str,
    effort_days: float,
) -> Price:
    """Price a blocker from what was declared on it and what the flow data measured over `window_days`."""
    if declared_wait_days is not None:
        wait, source = declared_wait_days, "declared"
    elif measured_wait_hours is not None:
        wait, source = measured_wait_hours / 24.0, "measured"
    else:
        wait, source = None, "unknown"
    rate = None if items is None else items_per_month(items, window_days)
    missing = []
    if wait is None:
        missing.append("no wait is measured before its step: name the step it slows, or the wait it adds")
    if rate is None:
        missing.append("no step is named, so the items it slows cannot be counted")
    if value_per_day is None:
        missing.append("the stream has no value per day: set it with `missionos friction value`")
    return Price(wait, source, rate, value_per_day, currency, effort_days, "; ".join(missing))


def ranked(prices: list[tuple[Any, Price]]) -> list[tuple[Any, Price]]:
    """Highest CD3 first; the unpriced last, in their given order."""
    return sorted(prices, key=lambda pair: (pair[1].cd3 is None, -(pair[1].cd3 or 0.0)))
