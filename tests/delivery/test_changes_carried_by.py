"""`changes_carried_by`: which production deployment first carried each change, from plain records."""

from __future__ import annotations

import datetime as dt

from missionos.delivery.attribution import GraphCommit, changes_carried_by


def day(n: int) -> dt.datetime:
    return dt.datetime(2026, 1, n, tzinfo=dt.UTC)


def history(*commits: tuple[str, str, int], outside: str = "") -> dict[str, GraphCommit]:
    """Commits as (sha, space-separated parents, day committed); shas in `outside` are not changes."""
    return {
        sha: GraphCommit(parents.split(), day(n), sha not in outside.split() and len(parents.split()) < 2)
        for sha, parents, n in commits
    }


LINE = history(("a", "", 1), ("b", "a", 2), ("c", "b", 3), ("d", "c", 4), ("e", "d", 5))


def test_each_deployment_carries_what_it_reaches_past_the_one_before() -> None:
    carried = changes_carried_by([(1, "b"), (2, "d"), (3, "e")], LINE)
    assert carried == {"c": 2, "d": 2, "e": 3}


def test_the_first_deployment_carries_nothing_without_a_history_start() -> None:
    assert changes_carried_by([(1, "e")], LINE) == {}
    assert changes_carried_by([], LINE) == {}


def test_with_a_history_start_the_first_deployment_carries_the_changes_since_then() -> None:
    assert changes_carried_by([(1, "d")], LINE, history_start=day(3)) == {"c": 1, "d": 1}
    assert changes_carried_by([(1, "b"), (2, "d")], LINE, history_start=day(3)) == {"c": 2, "d": 2}


def test_merges_and_commits_outside_the_prefix_are_not_changes() -> None:
    graph = history(("a", "", 1), ("b", "a", 2), ("c", "a", 3), ("x", "c", 4), ("m", "b x", 5), outside="x")
    assert changes_carried_by([(1, "a"), (2, "m")], graph) == {"b": 2, "c": 2}


def test_a_revision_outside_the_repository_is_passed_over() -> None:
    assert changes_carried_by([(1, "b"), (2, "elsewhere"), (3, "d")], LINE) == {"c": 3, "d": 3}


def test_a_change_is_carried_by_the_first_deployment_that_reaches_it() -> None:
    # 3 rolls back to b: it carries nothing; 4 reaches c again and d, and carries d only
    carried = changes_carried_by([(1, "a"), (2, "c"), (3, "b"), (4, "d")], LINE)
    assert carried == {"b": 2, "c": 2, "d": 4}


def test_the_changes_come_in_the_order_the_deployments_carried_them() -> None:
    carried = changes_carried_by([(1, "a"), (2, "b"), (3, "c"), (4, "e")], LINE)
    assert list(carried.values()) == sorted(carried.values())
    assert carried == {"b": 2, "c": 3, "d": 4, "e": 4}
