"""OpenFeature's Remote Evaluation Protocol (OFREP): GrowthBook results in OFREP's response shape.

The answers follow the protocol's published OpenAPI (open-feature/protocol `service/openapi.yaml`, vendored
under tests/data/ofrep/): a success carries `key`, `reason` (one of STATIC, TARGETING_MATCH, SPLIT, DISABLED,
UNKNOWN), `variant`, `metadata` and a `value`, which is left out (not `null`) when the flag has no value for
the user, so the provider uses the code's default; a failure carries `key`, `errorCode` (PARSE_ERROR,
TARGETING_KEY_MISSING, INVALID_CONTEXT or GENERAL; FLAG_NOT_FOUND for an unknown flag) and `errorDetails`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from missionos.errors import FieldError
from missionos.experiments import conditions
from missionos.experiments.evaluation import EvalContext, evaluate_feature
from missionos.experiments.targeting import eval_condition

# GrowthBook's result source -> the OFREP reason. A flag's default value is its static value (OFREP has no
# DEFAULT reason); a prerequisite that is off disables the flag.
REASONS = {
    "force": "TARGETING_MATCH",
    "experiment": "SPLIT",
    "defaultValue": "STATIC",
    "prerequisite": "DISABLED",
}
SPEC_REASONS = ("STATIC", "TARGETING_MATCH", "SPLIT", "DISABLED", "UNKNOWN")
# What evaluating a stored definition that was never validated can raise; each becomes a GENERAL error for
# that flag alone, so one bad flag cannot fail a bulk answer for every user.
EVALUATION_ERRORS = (TypeError, AttributeError, KeyError, IndexError, ValueError)


class ParseError(Exception):
    """A request body that is not JSON."""

    def __init__(self, details: str) -> None:
        super().__init__(details)
        self.details = details


def parse_body(raw: bytes) -> Any:
    """The JSON of a request body (None when it is empty); raises `ParseError` when it is not JSON."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ParseError(f"the request body is not JSON: {exc}") from None


def parse_error(details: str, key: str | None = None) -> dict[str, Any]:
    """The OFREP body of a 400 for a body that is not JSON (`key` for a single flag)."""
    found = {"errorCode": "PARSE_ERROR", "errorDetails": details}
    return {"key": key, **found} if key is not None else found


def context_of(body: Any) -> dict[str, Any]:
    """The evaluation context of an OFREP request body `{"context": {...}}` (empty when there is none)."""
    if body is None:
        return {}
    if not isinstance(body, Mapping):
        raise FieldError("body", 'an object such as {"context": {"targetingKey": "user-1"}}')
    context = body.get("context", {})
    if not isinstance(context, Mapping):
        raise FieldError("context", 'an object of attributes, e.g. {"targetingKey": "user-1"}')
    return dict(context)


def attributes_of(context: Mapping[str, Any]) -> dict[str, Any]:
    """GrowthBook attributes from an OpenFeature context: the targeting key is `id` unless one is given."""
    attributes = {k: v for k, v in context.items() if k != "targetingKey"}
    if context.get("targetingKey") not in (None, "") and "id" not in attributes:
        attributes["id"] = context["targetingKey"]
    return attributes


def invalid_context(error: FieldError, key: str | None = None) -> dict[str, Any]:
    """The OFREP body of a 400 for a request whose context cannot be read (`key` for a single flag)."""
    found = {"errorCode": "INVALID_CONTEXT", "errorDetails": f"{error.field}: {error.expected}"}
    return {"key": key, **found} if key is not None else found


def evaluate(
    features: Mapping[str, Any],
    key: str,
    context: Mapping[str, Any],
    sticky_docs: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One flag's OFREP evaluation: `{key, value, reason, variant, metadata}`, or
    `{key, errorCode, errorDetails}`.

    With `sticky_docs` (the user's sticky-bucket documents, as `EvalContext.sticky_docs`), the rules that opt
    into sticky bucketing keep a stored variation, and new assignments are added to `sticky_docs`."""
    if key not in features:
        return {"key": key, "errorCode": "FLAG_NOT_FOUND", "errorDetails": f"no flag named {key!r}"}
    attributes = attributes_of(context)
    if needs_targeting_key(features[key], attributes):
        return {
            "key": key,
            "errorCode": "TARGETING_KEY_MISSING",
            "errorDetails": "this flag splits users by their targetingKey: give one in the context",
        }
    ctx = EvalContext(
        attributes=attributes,
        features=features,
        sticky_docs=sticky_docs,
        sticky_versioned_only=True,
    )
    try:
        result = evaluate_feature(ctx, key)
    except EVALUATION_ERRORS as exc:
        return {"key": key, "errorCode": "GENERAL", "errorDetails": _unreadable(features[key], exc)}
    source = result["source"]
    if source == "cyclicPrerequisite":
        return {"key": key, "errorCode": "GENERAL", "errorDetails": "the flag's prerequisites form a cycle"}
    if source == "experiment":
        variant = str(result["experimentResult"]["key"])
    elif source == "force":
        variant = result["ruleId"] or "forced"
    else:
        variant = "default"
    metadata: dict[str, Any] = {"source": source}
    if result.get("ruleId"):
        metadata["ruleId"] = result["ruleId"]
    if source == "experiment":
        metadata["experimentKey"] = result["experiment"]["key"]
        if result["experimentResult"].get("stickyBucketUsed"):
            metadata["stickyBucketUsed"] = True
    answer: dict[str, Any] = {"key": key}
    if result["value"] is not None:
        answer["value"] = result["value"]  # left out when there is none: the caller's default applies
    answer.update(reason=REASONS.get(source, "UNKNOWN"), variant=variant, metadata=metadata)
    return answer


def _hashes_by_id(rule: Mapping[str, Any]) -> bool:
    """Whether a rule buckets users by the `id` attribute (an experiment, or a rollout with a coverage or
    range) with no fallback attribute."""
    splits = "variations" in rule or "coverage" in rule or "range" in rule
    return splits and rule.get("hashAttribute", "id") == "id" and not rule.get("fallbackAttribute")


def needs_targeting_key(feature: Any, attributes: Mapping[str, Any]) -> bool:
    """Whether the user has no `id` (targeting key) while a rule that would apply to them splits by it."""
    if attributes.get("id") not in (None, "") or not isinstance(feature, Mapping):
        return False
    for rule in feature.get("rules") or ():
        if not isinstance(rule, Mapping) or not _hashes_by_id(rule):
            continue
        condition = rule.get("condition")
        try:
            applies = not isinstance(condition, Mapping) or eval_condition(attributes, condition)
        except EVALUATION_ERRORS:
            applies = True
        if applies:
            return True
    return False


def _unreadable(feature: Any, exc: Exception) -> str:
    """Why a stored flag definition could not be evaluated, naming the rule's path when a check finds it."""
    for i, rule in enumerate(feature.get("rules") or () if isinstance(feature, Mapping) else ()):
        if isinstance(rule, Mapping) and "condition" in rule:
            try:
                conditions.check(rule["condition"], f"rules[{i}].condition")
            except FieldError as problem:
                return f"the stored flag cannot be evaluated: {problem}"
    return f"the stored flag cannot be evaluated ({type(exc).__name__}: {exc})"
