"""Performance levels of the DORA metrics, keyed by the year of the DORA report they come from.

Every threshold carries its source. The reports publish the cluster values of each performance group; the
product reads each group's value as the upper (or, for deployment frequency, lower) bound of that group.
Where a report gives its low group the same value as its medium group (2023's lead time: "between one week
and one month" for both), low is read as everything beyond medium's bound, and the source says so.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_YEAR = 2023

SOURCES = {
    2023: "DORA, Accelerate State of DevOps Report 2023 (Google Cloud), software delivery performance table",
    2024: "DORA, Accelerate State of DevOps Report 2024 (Google Cloud), software delivery performance levels",
}

# Deployment frequency is classified by the fourkeys rule (metrics.md §1); the report names the same groups.
FREQUENCY_LEVELS = {
    "on demand": "elite",
    "daily-to-weekly": "high",
    "weekly-to-monthly": "medium",
    "monthly or less": "low",
}


@dataclass(frozen=True)
class Threshold:
    level: str
    limit: float  # inclusive upper bound of the group, in the metric's unit
    source: str


# Lead time and recovery time in hours, change failure rate as a share.
TABLES: dict[int, dict[str, tuple[Threshold, ...]]] = {
    2023: {
        "lead_time": (
            Threshold("elite", 24, "2023: elite, less than one day"),
            Threshold("high", 24 * 7, "2023: high, between one day and one week"),
            Threshold("medium", 24 * 30, "2023: medium, between one week and one month"),
            Threshold(
                "low",
                float("inf"),
                "2023: low, between one week and one month, as medium; read as beyond medium",
            ),
        ),
        "change_failure_rate": (
            Threshold("elite", 0.05, "2023: elite, 5%"),
            Threshold("high", 0.10, "2023: high, 10%"),
            Threshold("medium", 0.15, "2023: medium, 15%"),
            Threshold("low", 1.0, "2023: low, 64%"),
        ),
        "recovery_time": (
            Threshold("elite", 1, "2023: elite, less than one hour"),
            Threshold("high", 24, "2023: high, less than one day"),
            Threshold("medium", 24 * 7, "2023: medium, between one day and one week"),
            Threshold("low", float("inf"), "2023: low, between one month and six months"),
        ),
    },
    2024: {
        "lead_time": (
            Threshold("elite", 24, "2024: elite, less than one day"),
            Threshold("high", 24 * 7, "2024: high, between one day and one week"),
            Threshold("medium", 24 * 30, "2024: medium, between one week and one month"),
            Threshold("low", float("inf"), "2024: low, between one month and six months"),
        ),
        "change_failure_rate": (
            Threshold("elite", 0.05, "2024: elite, 5%"),
            Threshold("medium", 0.10, "2024: medium, 10%"),
            Threshold("high", 0.20, "2024: high, 20%"),
            Threshold("low", 1.0, "2024: low, 40%"),
        ),
        "recovery_time": (
            Threshold("elite", 1, "2024: elite, less than one hour"),
            Threshold("high", 24, "2024: high and medium, less than one day"),
            Threshold("low", float("inf"), "2024: low, between one week and one month"),
        ),
    },
}


def level(metric: str, value: float | None, *, year: int = DEFAULT_YEAR) -> str | None:
    """The performance group of `value` for `metric` in the report of `year`; None without a value."""
    if value is None:
        return None
    for threshold in TABLES[year][metric]:
        if value <= threshold.limit:
            return threshold.level
    return None


def frequency_level(category: str) -> str:
    """The performance group of a fourkeys deployment-frequency category."""
    return FREQUENCY_LEVELS[category]
