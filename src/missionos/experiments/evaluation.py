"""Feature and experiment evaluation, compatible with the GrowthBook SDK specification (metrics.md §3).

The functions here are pure: they take a feature set (GrowthBook's JSON feature format) and a user's
attributes in an `EvalContext`, and return the result objects the GrowthBook SDKs return, so that an SDK in a
browser or another language evaluating our payload buckets every user exactly as we do. The semantics follow
GrowthBook's cross-SDK test vectors (`conformance/growthbook/cases.json`), including JavaScript's truthiness
and type coercions where the specification inherits them.

Hashing and bucketing live in `bucketing`, the targeting conditions and JavaScript value semantics in
`targeting`; this module holds the context, sticky bucketing, and the evaluation of features and experiments.
Its `__all__` also re-exports the bucketing functions and `eval_condition`, as it always has.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from missionos.experiments.bucketing import (
    bucket_ranges,
    choose_variation,
    equal_weights,
    fnv1a32,
    gb_hash,
    in_namespace,
    in_range,
)
from missionos.experiments.targeting import UNDEFINED, eval_condition, js_string, js_truthy

__all__ = [
    "EvalContext",
    "bucket_ranges",
    "choose_variation",
    "equal_weights",
    "eval_condition",
    "evaluate_feature",
    "fnv1a32",
    "gb_hash",
    "in_namespace",
    "run_experiment",
    "sticky_attributes",
    "sticky_document_keys",
    "uses_sticky_bucketing",
]


@dataclass
class EvalContext:
    """Who is being evaluated and under which overrides.

    `sticky_docs` holds sticky-bucket assignment documents keyed `"attribute||value"`; when it is None, sticky
    bucketing is off (as in an SDK without a sticky-bucket service). An SDK with a service makes every
    experiment sticky; with `sticky_versioned_only`, only the rules that opt in (`uses_sticky_bucketing`) are,
    and every other rule evaluates as it would with no service at all.
    """

    attributes: dict[str, Any] = field(default_factory=dict)
    features: Mapping[str, Any] = field(default_factory=dict)
    forced_variations: Mapping[str, int] = field(default_factory=dict)
    saved_groups: Mapping[str, Any] = field(default_factory=dict)
    enabled: bool = True
    qa_mode: bool = False
    sticky_docs: dict[str, dict[str, Any]] | None = None
    url: str | None = None
    bandits: Mapping[str, Any] = field(default_factory=dict)
    sticky_versioned_only: bool = False

    @classmethod
    def from_json(
        cls, raw: Mapping[str, Any], sticky_docs: Sequence[Mapping[str, Any]] | None = None
    ) -> EvalContext:
        """A context from the GrowthBook test-vector / SDK option shape."""
        docs: dict[str, dict[str, Any]] | None = None
        attributes = raw.get("attributes") or {}
        if sticky_docs is not None:
            # Only the documents of this user's own attribute values are loaded, as a sticky-bucket service
            # looks them up by the user's attributes.
            docs = {
                f"{d['attributeName']}||{d['attributeValue']}": {**d, "assignments": dict(d["assignments"])}
                for d in sticky_docs
                if js_string(attributes.get(d["attributeName"])) == d["attributeValue"]
            }
        return cls(
            attributes=dict(raw.get("attributes") or {}),
            features=raw.get("features") or {},
            forced_variations=raw.get("forcedVariations") or {},
            saved_groups=raw.get("savedGroups") or {},
            enabled=raw.get("enabled", True) is not False,
            qa_mode=bool(raw.get("qaMode", False)),
            sticky_docs=docs,
            url=raw.get("url"),
            bandits=raw.get("contextualBandits") or {},
        )


def uses_sticky_bucketing(rule: Mapping[str, Any]) -> bool:
    """Whether an experiment rule opts into sticky bucketing as a GrowthBook payload marks it: it carries a
    `bucketVersion` or a `minBucketVersion`, and does not set `disableStickyBucketing`."""
    return ("bucketVersion" in rule or "minBucketVersion" in rule) and not rule.get("disableStickyBucketing")


def _sticky_service(ctx: EvalContext, rule: Mapping[str, Any]) -> bool:
    """Whether a sticky-bucket service takes part in evaluating `rule` (before its own opt-out)."""
    if ctx.sticky_docs is None:
        return False
    return not ctx.sticky_versioned_only or "bucketVersion" in rule or "minBucketVersion" in rule


def _sticky_for(ctx: EvalContext, exp: Mapping[str, Any]) -> bool:
    return _sticky_service(ctx, exp) and not exp.get("disableStickyBucketing")


def sticky_attributes(features: Mapping[str, Any], keys: Iterable[str] | None = None) -> list[str]:
    """The attributes whose sticky-bucket documents evaluating `keys` (every feature when None) may read or
    write: the hash and fallback attributes of the sticky experiment rules (`uses_sticky_bucketing`) of those
    features and of the features they name as prerequisites."""
    pending = list(features if keys is None else keys)
    seen: set[str] = set()
    names: set[str] = set()
    while pending:
        key = pending.pop()
        if key in seen:
            continue
        seen.add(key)
        feature = features.get(key)
        if not isinstance(feature, Mapping):
            continue
        for rule in feature.get("rules") or ():
            pending.extend(p["id"] for p in rule.get("parentConditions") or () if "id" in p)
            if rule.get("variations") and uses_sticky_bucketing(rule):
                names.add(rule.get("hashAttribute") or "id")
                if rule.get("fallbackAttribute"):
                    names.add(rule["fallbackAttribute"])
    return sorted(names)


def sticky_document_keys(attributes: Mapping[str, Any], names: Iterable[str]) -> list[tuple[str, str]]:
    """The (attribute, value) of each sticky-bucket document a user with `attributes` can have among the
    attributes `names`: the value as the evaluator hashes it, and none for an attribute the user lacks."""
    found = []
    for name in names:
        value = attributes.get(name)
        if js_truthy(value):
            found.append((name, js_string(value)))
    return found


def _hash_attribute(ctx: EvalContext, attribute: str | None, fallback: str | None = None) -> tuple[str, Any]:
    """The attribute to hash on and its raw value ("" when the user has none)."""
    name = attribute or "id"
    value: Any = ctx.attributes.get(name)
    if not js_truthy(value) and fallback:
        fb = ctx.attributes.get(fallback)
        if js_truthy(fb):
            name, value = fallback, fb
    return name, value if js_truthy(value) else ""


def _filtered_out(ctx: EvalContext, filters: Sequence[Mapping[str, Any]]) -> bool:
    for flt in filters:
        _, value = _hash_attribute(ctx, flt.get("attribute"))
        if value == "":
            return True
        n = gb_hash(flt.get("seed", ""), js_string(value), flt.get("hashVersion") or 2)
        if n is None or not any(in_range(n, r) for r in flt.get("ranges", [])):
            return True
    return False


def _in_rollout(
    ctx: EvalContext,
    seed: str,
    hash_attribute: str | None,
    fallback: str | None,
    rng: Sequence[float] | None,
    coverage: float | None,
    hash_version: int | None,
) -> bool:
    if rng is None and coverage is None:
        return True
    if rng is None and coverage == 0:
        return False
    _, value = _hash_attribute(ctx, hash_attribute, fallback)
    if value == "":
        return False
    n = gb_hash(seed, js_string(value), hash_version or 1)
    if n is None:
        return False
    if rng is not None:
        return in_range(n, rng)
    # Half-open like a bucket range, so a coverage of k/1000 takes exactly k hash buckets (as the current
    # GrowthBook SDKs do).
    return coverage is None or n < coverage


def feature_result(value: Any, source: str, rule_id: str = "", **extra: Any) -> dict[str, Any]:
    if value is UNDEFINED:
        value = None
    on = js_truthy(value)
    result = {"value": value, "on": on, "off": not on, "source": source, "ruleId": rule_id}
    result.update(extra)
    return result


EXPERIMENT_FIELDS = (
    "coverage",
    "weights",
    "hashAttribute",
    "fallbackAttribute",
    "disableStickyBucketing",
    "bucketVersion",
    "minBucketVersion",
    "namespace",
    "meta",
    "ranges",
    "name",
    "phase",
    "seed",
    "hashVersion",
    "filters",
    "condition",
)


def evaluate_feature(ctx: EvalContext, key: str, _stack: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The value of feature `key` for the context's user, with the rule and source that decided it.

    Sources: `unknownFeature`, `defaultValue`, `force`, `experiment`, `prerequisite`, `cyclicPrerequisite`.
    """
    if key in _stack:
        return feature_result(None, "cyclicPrerequisite")
    feature = ctx.features.get(key)
    if feature is None:
        return feature_result(None, "unknownFeature")
    stack = _stack | {key}
    for rule in feature.get("rules") or ():
        rule_id = rule.get("id", "")
        parents = rule.get("parentConditions")
        if parents:
            verdict = _prerequisites(ctx, parents, stack)
            if verdict == "cyclic":
                return feature_result(None, "cyclicPrerequisite")
            if verdict == "gate":
                return feature_result(None, "prerequisite")
            if verdict == "skip":
                continue
        if rule.get("filters") and _filtered_out(ctx, rule["filters"]):
            continue
        if "force" in rule:
            if rule.get("condition") and not eval_condition(
                ctx.attributes, rule["condition"], ctx.saved_groups
            ):
                continue
            if not _in_rollout(
                ctx,
                rule.get("seed") or key,
                rule.get("hashAttribute"),
                rule.get("fallbackAttribute") if _sticky_service(ctx, rule) else None,
                rule.get("range"),
                rule.get("coverage"),
                rule.get("hashVersion"),
            ):
                continue
            return feature_result(rule["force"], "force", rule_id)
        bandit = ctx.bandits.get(rule["contextualBanditRef"]) if "contextualBanditRef" in rule else None
        variations = rule.get("contextualVariations") if bandit is not None else rule.get("variations")
        if not variations:
            continue
        experiment: dict[str, Any] = {"key": rule.get("key") or key, "variations": variations}
        for name in EXPERIMENT_FIELDS:
            if name in rule:
                experiment[name] = rule[name]
        result = run_experiment(ctx, experiment, key, _stack=stack)
        if bandit is not None and result["hashUsed"]:
            # A contextual bandit with no trained contexts uses its marginal weights: the fallback leaf -1.
            info = {
                "leafId": -1,
                "variationWeights": rule.get("weights"),
                "banditVersion": bandit.get("banditVersion"),
            }
            experiment["contextualBandit"] = info
            result.update(info)
        if result["inExperiment"] and not result.get("passthrough"):
            return feature_result(
                result["value"], "experiment", rule_id, experiment=experiment, experimentResult=result
            )
    return feature_result(feature.get("defaultValue", None), "defaultValue")


def _prerequisites(ctx: EvalContext, parents: Sequence[Mapping[str, Any]], stack: frozenset[str]) -> str:
    """'ok', 'skip' (rule does not apply), 'gate' (feature is off) or 'cyclic'."""
    for parent in parents:
        res = evaluate_feature(ctx, parent["id"], stack)
        if res["source"] == "cyclicPrerequisite":
            return "cyclic"
        if not eval_condition({"value": res["value"]}, parent.get("condition") or {}, ctx.saved_groups):
            return "gate" if parent.get("gate") else "skip"
    return "ok"


def _sticky_assignments(ctx: EvalContext, attribute: str | None, fallback: str | None) -> dict[str, Any]:
    docs = ctx.sticky_docs or {}
    merged: dict[str, Any] = {}
    if fallback:
        name, value = _hash_attribute(ctx, fallback)
        merged.update((docs.get(f"{name}||{js_string(value)}") or {}).get("assignments", {}))
    name, value = _hash_attribute(ctx, attribute)
    merged.update((docs.get(f"{name}||{js_string(value)}") or {}).get("assignments", {}))
    return merged


def _sticky_variation(ctx: EvalContext, exp: Mapping[str, Any]) -> tuple[int, bool]:
    key = exp["key"]
    assignments = _sticky_assignments(ctx, exp.get("hashAttribute"), exp.get("fallbackAttribute"))
    for version in range(int(exp.get("minBucketVersion") or 0)):
        if f"{key}__{version}" in assignments:
            return -1, True
    found = assignments.get(f"{key}__{exp.get('bucketVersion') or 0}")
    if found is None:
        return -1, False
    meta = exp.get("meta")
    if meta:
        for i, m in enumerate(meta):
            if m.get("key") == found:
                return i, False
        return -1, False
    try:
        index = int(found)
    except ValueError:
        return -1, False
    return index, False


def _result(
    ctx: EvalContext,
    exp: Mapping[str, Any],
    index: int,
    hash_used: bool,
    feature_id: str | None,
    bucket: float | None = None,
    sticky_used: bool = False,
) -> dict[str, Any]:
    variations = exp["variations"]
    in_experiment = True
    if index < 0 or index >= len(variations):
        index, in_experiment = 0, False
    sticky = _sticky_for(ctx, exp)
    attribute, value = _hash_attribute(
        ctx, exp.get("hashAttribute"), exp.get("fallbackAttribute") if sticky else None
    )
    meta = exp.get("meta") or []
    info = meta[index] if index < len(meta) else {}
    result: dict[str, Any] = {
        "featureId": feature_id,
        "value": variations[index],
        "variationId": index,
        "inExperiment": in_experiment,
        "hashUsed": hash_used,
        "hashAttribute": attribute,
        "hashValue": value,
        "key": info.get("key", str(index)),
        "stickyBucketUsed": sticky_used,
    }
    if info.get("name"):
        result["name"] = info["name"]
    if bucket is not None:
        result["bucket"] = bucket
    if info.get("passthrough"):
        result["passthrough"] = True
    return result


def _query_string_override(url: str | None, key: str, num_variations: int) -> int | None:
    """A variation forced by `?<experiment key>=<index>` in the page URL, as browser SDKs allow."""
    if not url or key not in url:
        return None
    values = parse_qs(urlsplit(url).query).get(key)
    if not values or not re.fullmatch(r"[0-9]+", values[0]):
        return None
    index = int(values[0])
    return index if 0 <= index < num_variations else None


def run_experiment(
    ctx: EvalContext,
    exp: Mapping[str, Any],
    feature_id: str | None = None,
    _stack: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Assign the context's user to a variation of `exp` (GrowthBook's `run`); the result says whether the
    user is in the experiment, which variation, and the hash bucket used."""
    key = exp["key"]
    if len(exp["variations"]) < 2 or not ctx.enabled:
        return _result(ctx, exp, -1, False, feature_id)
    forced = _query_string_override(ctx.url, key, len(exp["variations"]))
    if forced is not None:
        return _result(ctx, exp, forced, False, feature_id)
    if key in ctx.forced_variations:
        return _result(ctx, exp, int(ctx.forced_variations[key]), False, feature_id)
    if exp.get("active") is False:
        return _result(ctx, exp, -1, False, feature_id)
    sticky = _sticky_for(ctx, exp)
    hash_attr, hash_value = _hash_attribute(
        ctx, exp.get("hashAttribute"), exp.get("fallbackAttribute") if sticky else None
    )
    if hash_value == "":
        return _result(ctx, exp, -1, False, feature_id)
    hash_text = js_string(hash_value)
    assigned, found_sticky, blocked = -1, False, False
    if sticky:
        assigned, blocked = _sticky_variation(ctx, exp)
        found_sticky = assigned >= 0
    if not found_sticky:
        if exp.get("filters"):
            if _filtered_out(ctx, exp["filters"]):
                return _result(ctx, exp, -1, False, feature_id)
        elif exp.get("namespace") and not in_namespace(hash_text, exp["namespace"]):
            return _result(ctx, exp, -1, False, feature_id)
        if exp.get("condition") and not eval_condition(ctx.attributes, exp["condition"], ctx.saved_groups):
            return _result(ctx, exp, -1, False, feature_id)
        parents = exp.get("parentConditions")
        if parents and _prerequisites(ctx, parents, _stack) != "ok":
            return _result(ctx, exp, -1, False, feature_id)
    n = gb_hash(exp.get("seed") or key, hash_text, exp.get("hashVersion") or 1)
    if n is None:
        return _result(ctx, exp, -1, False, feature_id)
    if not found_sticky:
        ranges = exp.get("ranges") or bucket_ranges(
            len(exp["variations"]), exp.get("coverage", 1), exp.get("weights")
        )
        assigned = choose_variation(n, ranges)
    if blocked:
        return _result(ctx, exp, -1, False, feature_id, sticky_used=True)
    if assigned < 0:
        return _result(ctx, exp, -1, False, feature_id)
    if "force" in exp:
        return _result(ctx, exp, int(exp["force"]), False, feature_id)
    if ctx.qa_mode or exp.get("status") == "stopped":
        return _result(ctx, exp, -1, False, feature_id)
    result = _result(ctx, exp, assigned, True, feature_id, bucket=n, sticky_used=found_sticky)
    if sticky and ctx.sticky_docs is not None:
        doc_key = f"{hash_attr}||{hash_text}"
        doc = ctx.sticky_docs.get(doc_key) or {
            "attributeName": hash_attr,
            "attributeValue": hash_text,
            "assignments": {},
        }
        assignments = {**doc["assignments"], f"{key}__{exp.get('bucketVersion') or 0}": result["key"]}
        ctx.sticky_docs[doc_key] = {**doc, "assignments": assignments}
    return result
