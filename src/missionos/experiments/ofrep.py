"""OpenFeature's Remote Evaluation Protocol (OFREP): GrowthBook results in OFREP's response shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from missionos.errors import FieldError
from missionos.experiments.evaluation import EvalContext, evaluate_feature

REASONS = {
    "force": "TARGETING_MATCH",
    "experiment": "SPLIT",
    "defaultValue": "DEFAULT",
    "prerequisite": "DISABLED",
}


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
    ctx = EvalContext(
        attributes=attributes_of(context),
        features=features,
        sticky_docs=sticky_docs,
        sticky_versioned_only=True,
    )
    result = evaluate_feature(ctx, key)
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
    return {
        "key": key,
        "value": result["value"],
        "reason": REASONS.get(source, "UNKNOWN"),
        "variant": variant,
        "metadata": metadata,
    }
