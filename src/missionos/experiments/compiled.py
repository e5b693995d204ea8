"""A feature set compiled once for fast evaluation of many users (servers, the OpenFeature provider).

`FeatureSet(features).evaluate(attributes, key)` returns exactly what `evaluation.evaluate_feature` returns
for a plain context (no forced variations, sticky buckets or URL). Rules are turned into closures once: the
conditions' common operators become direct comparisons, and each experiment's bucket ranges, seed and hash
version are worked out ahead. Anything rarer (prerequisites, filters, namespaces, contextual bandits, nested
paths and logical operators) is handed to the reference evaluator, so the answers cannot drift apart; the
test suite checks both against GrowthBook's vectors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from missionos.experiments import bucketing as bk
from missionos.experiments import evaluation as ev
from missionos.experiments import targeting as tg

Predicate = Callable[[Any], bool]
AttrPredicate = Callable[[Mapping[str, Any]], bool]
RuleFn = Callable[[Mapping[str, Any]], "dict[str, Any] | None"]

_NUMBER = (int, float)


def _compile_operator(op: str, expected: Any, groups: Mapping[str, Any]) -> Predicate:
    if op in ("$in", "$nin") and isinstance(expected, list) and all(type(e) is str for e in expected):
        pool = frozenset(expected)
        negate = op == "$nin"

        def member(v: Any) -> bool:
            if type(v) is str:
                return (v in pool) is not negate
            return tg.eval_operator(op, v, expected, groups)

        return member
    if op in ("$eq", "$ne") and type(expected) in (str, int, float):
        want = op == "$eq"

        def equal(v: Any) -> bool:
            if type(v) is type(expected) or (type(v) in _NUMBER and type(expected) in _NUMBER):
                return (v == expected) is want
            return tg.eval_operator(op, v, expected, groups)

        return equal
    if op in ("$gt", "$gte", "$lt", "$lte") and type(expected) in _NUMBER:
        compare: Callable[[Any], bool] = {
            "$gt": lambda a: a > expected,
            "$gte": lambda a: a >= expected,
            "$lt": lambda a: a < expected,
            "$lte": lambda a: a <= expected,
        }[op]

        def order(v: Any) -> bool:
            if type(v) in _NUMBER:
                return bool(compare(v))
            return tg.eval_operator(op, v, expected, groups)

        return order
    if op == "$regex" and isinstance(expected, str):
        try:
            pattern = re.compile(expected)
        except re.error:
            return lambda _v: False

        def search(v: Any) -> bool:
            return pattern.search(v if type(v) is str else tg.js_string(v)) is not None

        return search
    return lambda v: tg.eval_operator(op, v, expected, groups)


def _compile_value(condition: Any, groups: Mapping[str, Any]) -> Predicate:
    if type(condition) is str:
        return lambda v: v == condition if type(v) is str else tg.js_string(v) == condition
    if tg.is_operator_object(condition):
        preds = [_compile_operator(op, expected, groups) for op, expected in condition.items()]
        if len(preds) == 1:
            return preds[0]
        return lambda v: all(p(v) for p in preds)
    return lambda v: tg.eval_value(condition, v, groups)


def compile_condition(condition: Mapping[str, Any], groups: Mapping[str, Any]) -> AttrPredicate:
    """A predicate on a user's attributes equivalent to `eval_condition(attrs, condition, groups)`."""
    parts: list[AttrPredicate] = []
    for key, value in condition.items():
        if key.startswith("$") or "." in key:
            single = {key: value}
            parts.append(lambda a, c=single: tg.eval_condition(a, c, groups))  # type: ignore[misc]
        else:
            pred = _compile_value(value, groups)
            parts.append(lambda a, k=key, p=pred: p(a.get(k)))  # type: ignore[misc]
    if len(parts) == 1:
        return parts[0]
    return lambda a: all(p(a) for p in parts)


_GENERIC_RULE_KEYS = {"parentConditions", "filters", "namespace", "contextualBanditRef"}


class FeatureSet:
    """Features compiled for evaluation; thread-safe to share (it holds no per-user state)."""

    def __init__(self, features: Mapping[str, Any], saved_groups: Mapping[str, Any] | None = None) -> None:
        self.features = features
        self.saved_groups = saved_groups or {}
        self._compiled: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
            key: self._compile_feature(key, feature) for key, feature in features.items()
        }

    def evaluate(self, attributes: Mapping[str, Any], key: str) -> dict[str, Any]:
        """The GrowthBook feature result of `key` for a user with `attributes`."""
        fn = self._compiled.get(key)
        if fn is None:
            return ev.feature_result(None, "unknownFeature")
        return fn(attributes)

    def _generic(self, key: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
        features, groups = self.features, self.saved_groups

        def run(attributes: Mapping[str, Any]) -> dict[str, Any]:
            ctx = ev.EvalContext(attributes=dict(attributes), features=features, saved_groups=groups)
            return ev.evaluate_feature(ctx, key)

        return run

    def _compile_feature(
        self, key: str, feature: Mapping[str, Any]
    ) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
        rules = feature.get("rules") or ()
        if any(_GENERIC_RULE_KEYS & set(rule) for rule in rules):
            return self._generic(key)
        compiled = [fn for fn in (self._compile_rule(key, r) for r in rules) if fn is not None]
        default = ev.feature_result(feature.get("defaultValue", None), "defaultValue")

        def run(attributes: Mapping[str, Any]) -> dict[str, Any]:
            for rule in compiled:
                found = rule(attributes)
                if found is not None:
                    return found
            return dict(default)

        return run

    def _compile_rule(self, key: str, rule: Mapping[str, Any]) -> RuleFn | None:
        condition = rule.get("condition")
        check = compile_condition(condition, self.saved_groups) if condition else None
        rule_id = rule.get("id", "")
        if "force" in rule:
            return self._compile_force(key, rule, check, rule_id)
        variations = rule.get("variations")
        if not variations or len(variations) < 2:
            return None  # never in an experiment: the rule is always passed over
        return self._compile_experiment(key, rule, check, rule_id)

    @staticmethod
    def _compile_force(
        key: str, rule: Mapping[str, Any], check: AttrPredicate | None, rule_id: str
    ) -> RuleFn:
        template = ev.feature_result(rule["force"], "force", rule_id)
        rng, coverage = rule.get("range"), rule.get("coverage")
        gated = not (rng is None and coverage is None)
        never = rng is None and coverage == 0
        seed, attr, version = (
            rule.get("seed") or key,
            rule.get("hashAttribute") or "id",
            rule.get("hashVersion") or 1,
        )

        def run(attributes: Mapping[str, Any]) -> dict[str, Any] | None:
            if check is not None and not check(attributes):
                return None
            if gated:
                if never:
                    return None
                value = attributes.get(attr)
                if not tg.js_truthy(value):
                    return None
                n = bk.gb_hash(seed, value if type(value) is str else tg.js_string(value), version)
                if n is None:
                    return None
                if rng is not None:
                    if not rng[0] <= n < rng[1]:
                        return None
                elif coverage is not None and not n < coverage:
                    return None
            return dict(template)

        return run

    @staticmethod
    def _compile_experiment(
        key: str, rule: Mapping[str, Any], check: AttrPredicate | None, rule_id: str
    ) -> RuleFn:
        experiment: dict[str, Any] = {"key": rule.get("key") or key, "variations": rule["variations"]}
        for name in ev.EXPERIMENT_FIELDS:
            if name in rule:
                experiment[name] = rule[name]
        variations = experiment["variations"]
        exp_key = experiment["key"]
        attr = experiment.get("hashAttribute") or "id"
        seed, version = experiment.get("seed") or exp_key, experiment.get("hashVersion") or 1
        ranges = experiment.get("ranges") or bk.bucket_ranges(
            len(variations), experiment.get("coverage", 1), experiment.get("weights")
        )
        meta = experiment.get("meta") or []
        infos = [meta[i] if i < len(meta) else {} for i in range(len(variations))]
        values = [ev.feature_result(v, "experiment", rule_id) for v in variations]

        def run(attributes: Mapping[str, Any]) -> dict[str, Any] | None:
            value = attributes.get(attr)
            if not tg.js_truthy(value):
                return None
            if check is not None and not check(attributes):
                return None
            n = bk.gb_hash(seed, value if type(value) is str else tg.js_string(value), version)
            if n is None:
                return None
            index = -1
            for i, (lo, hi) in enumerate(ranges):
                if lo <= n < hi:
                    index = i
                    break
            if index < 0:
                return None
            info = infos[index]
            if info.get("passthrough"):
                return None
            result: dict[str, Any] = {
                "featureId": key,
                "value": variations[index],
                "variationId": index,
                "inExperiment": True,
                "hashUsed": True,
                "hashAttribute": attr,
                "hashValue": value,
                "key": info.get("key", str(index)),
                "stickyBucketUsed": False,
            }
            if info.get("name"):
                result["name"] = info["name"]
            result["bucket"] = n
            out = dict(values[index])
            out["experiment"] = experiment
            out["experimentResult"] = result
            return out

        return run
