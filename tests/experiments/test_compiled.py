"""The compiled feature set agrees with the reference evaluator on generated users and feature sets."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from missionos.experiments.compiled import FeatureSet
from missionos.experiments.evaluation import EvalContext, evaluate_feature

attribute_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 100),
    st.floats(-5, 100, allow_nan=False),
    st.sampled_from(["US", "CA", "FR", "pro", "free", "", "Firefox", "1.2.3"]),
    st.lists(st.sampled_from(["US", "pro", "beta"]), max_size=3),
)
users = st.dictionaries(
    st.sampled_from(["id", "country", "plan", "age", "tags", "browser"]), attribute_values
)
conditions = st.one_of(
    st.fixed_dictionaries({"country": st.sampled_from(["US", {"$in": ["US", "CA"]}, {"$nin": ["FR"]}])}),
    st.fixed_dictionaries({"age": st.sampled_from([{"$gte": 40}, {"$lt": 30, "$gt": 3}, {"$eq": 50}, 42])}),
    st.fixed_dictionaries({"plan": st.sampled_from([{"$ne": "free"}, {"$regex": "^pr"}, {"$exists": True}])}),
    st.fixed_dictionaries({"tags": st.sampled_from([{"$elemMatch": {"$eq": "beta"}}, {"$size": 2}, "pro"])}),
    st.just({"$or": [{"country": "US"}, {"plan": "pro"}]}),
)
rules = st.one_of(
    st.builds(
        lambda c, cov, force: {"condition": c, "coverage": cov, "force": force},
        conditions,
        st.sampled_from([0, 0.05, 0.5, 1]),
        st.sampled_from([True, "x", 0]),
    ),
    st.builds(
        lambda c, cov, hv, n: {
            "variations": list(range(n)),
            "coverage": cov,
            "hashVersion": hv,
            "condition": c,
            "meta": [{"key": f"v{i}", "passthrough": i == 1 and n > 2} for i in range(n)],
        },
        conditions,
        st.sampled_from([0.2, 1.0]),
        st.sampled_from([1, 2]),
        st.integers(1, 4),
    ),
    st.builds(lambda r: {"force": True, "range": r}, st.sampled_from([[0, 0.3], [0.5, 1]])),
)
features = st.dictionaries(
    st.sampled_from(["a", "b", "c"]),
    st.builds(
        lambda d, r: {"defaultValue": d, "rules": r},
        st.sampled_from([False, "off", 0, None]),
        st.lists(rules, max_size=3),
    ),
    min_size=1,
)


@settings(max_examples=300, deadline=None)
@given(feats=features, people=st.lists(users, min_size=1, max_size=5))
def test_compiled_matches_reference(feats: dict[str, Any], people: list[dict[str, Any]]) -> None:
    compiled = FeatureSet(feats)
    for attrs in people:
        for key in [*feats, "missing"]:
            expected = evaluate_feature(EvalContext(attributes=dict(attrs), features=feats), key)
            assert compiled.evaluate(attrs, key) == expected, (key, attrs)


@settings(max_examples=100, deadline=None)
@given(
    ids=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=30),
    low=st.floats(0, 1),
    high=st.floats(0, 1),
    weights=st.sampled_from([None, [0.5, 0.5], [0.9, 0.1], [0.2, 0.3, 0.5]]),
)
def test_raising_coverage_never_rebuckets(
    ids: list[str], low: float, high: float, weights: list[float] | None
) -> None:
    """Users in an experiment at a lower coverage are in it, in the same variation, at any higher one."""
    low, high = min(low, high), max(low, high)
    n = len(weights) if weights else 2

    def assign(coverage: float) -> dict[str, int]:
        rule: dict[str, Any] = {
            "key": "e",
            "variations": list(range(n)),
            "coverage": coverage,
            "hashVersion": 2,
        }
        if weights:
            rule["weights"] = weights
        feats = {"f": {"defaultValue": -1, "rules": [rule]}}
        compiled = FeatureSet(feats)
        out = {}
        for uid in ids:
            res = compiled.evaluate({"id": uid}, "f")
            if res["source"] == "experiment":
                out[uid] = res["value"]
        return out

    before, after = assign(low), assign(high)
    assert all(after.get(uid) == variation for uid, variation in before.items())
