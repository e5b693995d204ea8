"""GrowthBook's cross-SDK test vectors (`tests/data/growthbook/cases.json`): every case of the
sections the product implements, one test per case. A case we cannot pass would be listed in SKIPPED with
its reason."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from missionos.experiments import evaluation as ev
from missionos.experiments.compiled import FeatureSet
from missionos.experiments.payload import decrypt_payload
from tests.datafiles import GROWTHBOOK_CASES

CASES_PATH = GROWTHBOOK_CASES
CASES: dict[str, Any] = json.loads(CASES_PATH.read_text()) if CASES_PATH.exists() else {}
SECTIONS = (
    "evalCondition",
    "hash",
    "getBucketRange",
    "chooseVariation",
    "getEqualWeights",
    "inNamespace",
    "feature",
    "run",
    "stickyBucket",
    "decrypt",
)

# (section, case name) -> why it is skipped. Kept empty unless a case truly cannot be honoured.
SKIPPED: dict[tuple[str, str], str] = {}


def _params(section: str) -> list[Any]:
    out = []
    for i, case in enumerate(CASES.get(section, [])):
        name = case[0] if isinstance(case[0], str) else json.dumps(case[:2])
        marks = []
        reason = SKIPPED.get((section, name))
        if reason:
            marks.append(pytest.mark.skip(reason=reason))
        out.append(pytest.param(case, id=f"{i:03d}-{name}"[:90], marks=marks))
    return out


def _close(actual: Any, expected: Any) -> bool:
    if isinstance(expected, float) or (isinstance(actual, float) and isinstance(expected, int)):
        return isinstance(actual, int | float) and math.isclose(actual, expected, abs_tol=1e-7)
    if isinstance(expected, list):
        return (
            isinstance(actual, list | tuple)
            and len(actual) == len(expected)
            and all(_close(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and set(actual) == set(expected)
            and all(_close(actual[k], expected[k]) for k in expected)
        )
    return type(actual) is type(expected) and actual == expected


def test_the_vectors_are_there() -> None:
    assert CASES.get("specVersion") == "0.8.0", f"missing {CASES_PATH}"
    assert all(CASES[s] for s in SECTIONS)


@pytest.mark.parametrize("case", _params("evalCondition"))
def test_eval_condition(case: list[Any]) -> None:
    _, condition, attributes, expected, *rest = case
    groups = rest[0] if rest else {}
    assert ev.eval_condition(attributes, condition, groups) is expected


@pytest.mark.parametrize("case", _params("hash"))
def test_hash(case: list[Any]) -> None:
    seed, value, version, expected = case
    assert _close(ev.gb_hash(seed, value, version), expected)


@pytest.mark.parametrize("case", _params("getBucketRange"))
def test_bucket_ranges(case: list[Any]) -> None:
    _, (n, coverage, weights), expected = case
    assert _close([list(r) for r in ev.bucket_ranges(n, coverage, weights)], expected)


@pytest.mark.parametrize("case", _params("chooseVariation"))
def test_choose_variation(case: list[Any]) -> None:
    _, n, ranges, expected = case
    assert ev.choose_variation(n, ranges) == expected


@pytest.mark.parametrize("case", _params("getEqualWeights"))
def test_equal_weights(case: list[Any]) -> None:
    n, expected = case
    assert _close(ev.equal_weights(n), expected)


@pytest.mark.parametrize("case", _params("inNamespace"))
def test_in_namespace(case: list[Any]) -> None:
    _, user_id, namespace, expected = case
    assert ev.in_namespace(user_id, namespace) is expected


@pytest.mark.parametrize("case", _params("feature"))
def test_feature(case: list[Any]) -> None:
    _, context, key, expected = case
    assert _close(ev.evaluate_feature(ev.EvalContext.from_json(context), key), expected)


@pytest.mark.parametrize("case", _params("run"))
def test_run(case: list[Any]) -> None:
    _, context, experiment, value, in_experiment, hash_used = case
    result = ev.run_experiment(ev.EvalContext.from_json(context), experiment)
    assert _close(result["value"], value)
    assert result["inExperiment"] is in_experiment
    assert result["hashUsed"] is hash_used


@pytest.mark.parametrize("case", _params("stickyBucket"))
def test_sticky_bucket(case: list[Any]) -> None:
    _, context, docs, key, expected_result, expected_docs = case
    ctx = ev.EvalContext.from_json(context, sticky_docs=docs)
    result = ev.evaluate_feature(ctx, key)
    assert _close(result.get("experimentResult"), expected_result)
    assert _close(ctx.sticky_docs, expected_docs)


@pytest.mark.parametrize("case", _params("decrypt"))
def test_decrypt(case: list[Any]) -> None:
    _, encrypted, key, expected = case
    assert decrypt_payload(encrypted, key) == expected


def test_skips_are_listed_with_reasons() -> None:
    for (section, name), reason in SKIPPED.items():
        assert section in SECTIONS and reason.strip(), (section, name)
        assert any(c[0] == name for c in CASES[section]), f"skip of unknown case {section}/{name}"


PLAIN_CONTEXT = {"attributes", "features", "savedGroups"}


@pytest.mark.parametrize("case", _params("feature"))
def test_feature_compiled(case: list[Any]) -> None:
    """The compiled feature set gives the reference evaluator's answer on every plain-context case."""
    _, context, key, expected = case
    if not set(context) <= PLAIN_CONTEXT:
        # Forced variations, URLs, QA mode and bandits go through the reference evaluator, tested above.
        return
    feature_set = FeatureSet(context.get("features") or {}, context.get("savedGroups"))
    assert _close(feature_set.evaluate(context.get("attributes") or {}, key), expected)
