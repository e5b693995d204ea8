"""The pure arithmetic of metrics.md §1, on plain records with hand-computed values (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from missionos.delivery import levels, metrics
from missionos.delivery.records import DeploymentRecord, IncidentRecord
from missionos.measures import Window

UTC = dt.UTC


def at(day: int, hour: float = 12, month: int = 6) -> dt.datetime:
    return dt.datetime(2026, month, day, tzinfo=UTC) + dt.timedelta(hours=hour)


def dep(
    did: str, finished: dt.datetime, kind: str = "planned", remediates: tuple[str, ...] = ()
) -> DeploymentRecord:
    return DeploymentRecord(did, "svc", "production", "success", None, finished, "sha", kind, remediates)


JUNE = Window(at(1, 0), at(29, 0))  # Monday 1 June to Monday 29 June 2026: four whole weeks


def test_frequency_on_demand_needs_three_distinct_days_in_the_median_week() -> None:
    # weeks 1-3 deploy on Mon, Tue, Wed (several times a day); week 4 deploys on one day
    finished = [at(d + w * 7, h) for w in range(3) for d in (1, 2, 3) for h in (9, 15)] + [at(22)]
    assert metrics.frequency_category(finished, JUNE) == "on demand"  # distinct days [3, 3, 3, 1]: median 3
    assert metrics.frequency_category(finished[:12], JUNE) == "daily-to-weekly"  # [3, 3, 0, 0]: median 1.5
    assert metrics.frequency_category([at(2)], JUNE) == "weekly-to-monthly"  # one in the month
    assert metrics.frequency_category([], JUNE) == "monthly or less"


def test_frequency_calendar_counts_days_without_deployments() -> None:
    # two deployment weeks out of four: the median of weekly counts [1, 1, 0, 0] is 0.5, under one
    assert metrics.frequency_category([at(1), at(8)], JUNE) == "weekly-to-monthly"
    assert metrics.frequency_category([at(1), at(8), at(15)], JUNE) == "daily-to-weekly"


def test_explicit_remediation_and_the_default_previous_one() -> None:
    d1, d2 = dep("D1", at(1)), dep("D2", at(2))
    fix = dep("H1", at(3), "hotfix", ("D1",))
    rollback = dep("R1", at(4), "rollback")
    found = metrics.remediations([rollback, fix, d2, d1])
    assert {k[1]: v.id for k, v in found.items()} == {"D1": "H1", "H1": "R1"}


def test_heuristic_attribution_respects_the_seven_day_window() -> None:
    deployments = [dep("D1", at(1)), dep("D2", at(3))]
    incidents = [
        IncidentRecord("in", "svc", at(3) + dt.timedelta(days=7)),  # exactly 7 days: attributed
        IncidentRecord("out", "svc", at(3) + dt.timedelta(days=7, seconds=1)),
        IncidentRecord("before", "svc", at(1) - dt.timedelta(hours=1)),
        IncidentRecord("named", "svc", at(9), cause="D1"),
        IncidentRecord("unknown", "svc", at(4), cause="nope"),  # a cause that names nothing decides: none
    ]
    result = metrics.attribute_incidents(incidents, deployments)
    assert {k[1]: (v[1] if v else None) for k, v in result.items()} == {
        "in": "D2",
        "out": None,
        "before": None,
        "named": "D1",
        "unknown": None,
    }


def test_lead_time_skips_spans_of_zero_or_less() -> None:
    changes = [
        metrics.DeployedChange("a", "svc", "D1", at(1, 0), at(1, 10)),
        metrics.DeployedChange("b", "svc", "D1", at(1, 10), at(1, 10)),
        metrics.DeployedChange("c", "svc", "D1", at(1, 11), at(1, 10)),
        metrics.DeployedChange("d", "svc", "D2", at(1, 0), at(2, 0)),
        metrics.DeployedChange("e", "svc", "D3", at(1, 0), at(29, 0)),  # deployed outside the window
    ]
    figures = metrics.lead_time(changes, JUNE)
    assert (figures["count"], figures["skipped"]) == (2, 2)
    assert figures["median_hours"] == pytest.approx(17.0)
    assert figures["p90_hours"] == pytest.approx(10 + 0.9 * 14)
    assert figures["parts"]["coding_hours"] is None


def test_kind_from_change_messages_and_labels() -> None:
    assert metrics.kind_from_texts("planned", ["Fix typo", "HOTFIX: null check"]) == "hotfix"
    assert metrics.kind_from_texts("planned", ['Revert "Add cache"']) == "rollback"
    assert metrics.kind_from_texts("planned", ["Add cache"]) == "planned"
    assert metrics.kind_from_texts("hotfix", ["Revert x"]) == "hotfix", "the record's kind wins"


def test_production_is_prod_or_production_unless_configured() -> None:
    assert metrics.is_production_environment("PROD")
    assert metrics.is_production_environment("Production")
    assert not metrics.is_production_environment("production-eu")
    assert metrics.is_production_environment("live", ["live", "prod-eu"])
    assert not metrics.is_production_environment("prod", ["live"])


def test_levels_come_from_the_report_year() -> None:
    assert levels.level("change_failure_rate", 0.05) == "elite"
    assert levels.level("change_failure_rate", 0.12) == "medium"
    assert levels.level("change_failure_rate", 0.12, year=2024) == "high"
    assert levels.level("lead_time", 30.0) == "high"
    assert levels.level("recovery_time", None) is None
    assert all(levels.SOURCES[y] for y in levels.TABLES)


def test_weeks_start_on_monday_and_clip_to_the_window() -> None:
    window = Window(at(3, 6), at(17, 0))  # Wednesday 3 June 06:00 to Wednesday 17 June
    weeks = metrics.weeks(window)
    assert [(w.since, w.until) for w in weeks] == [
        (at(3, 6), at(8, 0)),
        (at(8, 0), at(15, 0)),
        (at(15, 0), at(17, 0)),
    ]


def test_readiness() -> None:
    now = at(28)
    assert metrics.readiness(at(1), [], now)["status"] == "never shipped"
    stalled = metrics.readiness(at(1, 0, month=4), [at(2, 0, month=4), at(20, 0, month=5)], now)
    assert stalled["status"] == "stalled"
    assert stalled["time_to_first_deployment_days"] == pytest.approx(1.0)
    assert metrics.readiness(at(1), [at(3)], now)["status"] == "shipping"


def test_deployments_finished_at_the_same_time_are_ordered_by_service_then_id() -> None:
    # the hotfix naming nothing remediates the deployment just before it: among deployments of its service
    # finished at the same moment, the one with the greater id
    same = at(2)
    records = [
        dep("B", same),
        DeploymentRecord("Z", "other", "production", "success", None, same, "sha"),
        dep("A", same),
        dep("H", at(3), "hotfix"),
    ]
    columns = metrics.Deployments.of(records)
    assert [columns.key(i) for i in range(len(columns))] == [
        ("other", "Z"),
        ("svc", "A"),
        ("svc", "B"),
        ("svc", "H"),
    ]
    assert {k: v.id for k, v in metrics.remediations(records).items()} == {("svc", "B"): "H"}


def test_database_epoch_seconds_round_to_the_millisecond_as_python_rounds() -> None:
    from missionos.delivery.queries import micros

    seconds = [1794921071.8374999, 1794921071.8375001, 0.0004999, 1794922208.0, 1794922208.0005]
    assert micros(seconds).tolist() == [round(round(s, 3) * 1000) * 1000 for s in seconds]


def test_counts_per_bucket_puts_each_moment_in_the_last_bucket_starting_at_or_before_it() -> None:
    monday = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    starts = metrics.micros_array([monday + dt.timedelta(days=7 * i) for i in range(4)])
    moments = metrics.micros_array(
        [
            monday,  # the first instant of week 0
            monday + dt.timedelta(days=6, hours=23),  # still week 0
            monday + dt.timedelta(days=7),  # the first instant of week 1
            monday + dt.timedelta(days=22),  # week 3, the last bucket runs on
            monday + dt.timedelta(days=40),
        ]
    )
    assert metrics.counts_per_bucket(starts, moments) == {0: 2, 1: 1, 3: 2}
    assert metrics.counts_per_bucket(starts, metrics.micros_array([])) == {}
