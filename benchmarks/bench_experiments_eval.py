"""Flag evaluation rate: Mission OS's evaluator against the `growthbook` Python SDK, side by side.

The same feature set (a mix of plain defaults, targeting conditions, 5% rollouts and experiments) and the same
users go through both in one process. GrowthBook is measured with one reused instance (attributes set per
user) and with an instance per user; we evaluate with the compiled `FeatureSet` (the serving path) and with
the reference evaluator. Every result is compared, so the
rate is for identical answers.
"""

from __future__ import annotations

import random
import time
import warnings
from typing import Any

from missionos.experiments.compiled import FeatureSet
from missionos.experiments.evaluation import EvalContext, evaluate_feature

USERS = 20_000


def feature_set() -> dict[str, Any]:
    features: dict[str, Any] = {}
    for i in range(5):
        features[f"default-{i}"] = {"defaultValue": i % 2 == 0}
    for i in range(5):
        features[f"targeted-{i}"] = {
            "defaultValue": False,
            "rules": [
                {"condition": {"country": {"$in": ["US", "CA"]}, "plan": "pro"}, "force": True},
                {"condition": {"age": {"$gte": 40}, "browser": {"$regex": "^Fire"}}, "force": True},
            ],
        }
    for i in range(5):
        features[f"rollout-{i}"] = {
            "defaultValue": False,
            "rules": [{"force": True, "coverage": 0.05, "hashAttribute": "id", "seed": f"rollout-{i}"}],
        }
    for i in range(5):
        features[f"experiment-{i}"] = {
            "defaultValue": "control",
            "rules": [
                {
                    "key": f"experiment-{i}",
                    "variations": ["control", "a", "b"],
                    "weights": [0.34, 0.33, 0.33],
                    "coverage": 0.8,
                    "hashVersion": 2,
                    "condition": {"country": {"$ne": "FR"}},
                }
            ],
        }
    return features


def users(n: int) -> list[dict[str, Any]]:
    rng = random.Random(3)
    return [
        {
            "id": f"user-{i}",
            "country": rng.choice(["US", "CA", "FR", "DE", "GB"]),
            "plan": rng.choice(["free", "pro"]),
            "age": rng.randrange(18, 80),
            "browser": rng.choice(["Firefox", "Chrome", "Safari"]),
        }
        for i in range(n)
    ]


def ours(features: dict[str, Any], people: list[dict[str, Any]]) -> list[Any]:
    keys = list(features)
    out = []
    compiled = FeatureSet(features)  # compiled once per run, inside the timing
    evaluate = compiled.evaluate
    for attrs in people:
        out.extend(evaluate(attrs, k)["value"] for k in keys)
    return out


def ours_reference(features: dict[str, Any], people: list[dict[str, Any]]) -> list[Any]:
    keys = list(features)
    out = []
    for attrs in people:
        ctx = EvalContext(attributes=attrs, features=features)
        out.extend(evaluate_feature(ctx, k)["value"] for k in keys)
    return out


def growthbook_reused(features: dict[str, Any], people: list[dict[str, Any]]) -> list[Any]:
    from growthbook import GrowthBook

    keys = list(features)
    out = []
    gb = GrowthBook(features=features)
    for attrs in people:
        gb.set_attributes(dict(attrs))  # destroy() clears the dict it was given
        out.extend(gb.eval_feature(k).value for k in keys)
    gb.destroy()
    return out


def growthbook_per_user(features: dict[str, Any], people: list[dict[str, Any]]) -> list[Any]:
    from growthbook import GrowthBook

    keys = list(features)
    out = []
    for attrs in people:
        gb = GrowthBook(attributes=dict(attrs), features=features)
        out.extend(gb.eval_feature(k).value for k in keys)
        gb.destroy()
    return out


def _time(fn: Any, *args: Any) -> tuple[float, list[Any]]:
    best, result = float("inf"), []
    for _ in range(3):
        started = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    warnings.simplefilter("ignore", DeprecationWarning)
    import logging

    logging.getLogger("growthbook").setLevel(logging.ERROR)
    features, people = feature_set(), users(USERS)
    evaluations = len(features) * len(people)
    t_ours, r_ours = _time(ours, features, people)
    t_gb, r_gb = _time(growthbook_reused, features, people)
    t_gb_new, r_gb_new = _time(growthbook_per_user, features, people)
    t_ref, r_ref = _time(ours_reference, features, people)
    assert r_ours == r_gb == r_gb_new == r_ref, "the evaluators disagree"
    print(
        f"work: {len(features)} flags (defaults, conditions, 5% rollouts, experiments), {len(people):,} users"
    )
    print(f"  = {evaluations:,} evaluations, identical results from all four (best of 3 runs)")
    print(f"missionos, compiled set:      {t_ours:6.2f} s  {evaluations / t_ours:>10,.0f} flags/s")
    print(f"missionos, reference path:    {t_ref:6.2f} s  {evaluations / t_ref:>10,.0f} flags/s")
    print(f"growthbook, reused instance:  {t_gb:6.2f} s  {evaluations / t_gb:>10,.0f} flags/s")
    print(f"growthbook, instance per user:{t_gb_new:6.2f} s  {evaluations / t_gb_new:>10,.0f} flags/s")
    print(f"ratio vs reused instance: {t_gb / t_ours:.2f}x; vs instance per user: {t_gb_new / t_ours:.2f}x")


if __name__ == "__main__":
    main()
