"""Validates OFREP answers against the protocol's published OpenAPI (tests/data/ofrep/openapi.yaml)."""

from __future__ import annotations

import copy
import functools
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from tests.datafiles import OFREP_OPENAPI

SINGLE = "/ofrep/v1/evaluate/flags/{key}"
BULK = "/ofrep/v1/evaluate/flags"


@functools.cache
def _spec() -> dict[str, Any]:
    spec = yaml.safe_load(OFREP_OPENAPI.read_text(encoding="utf-8"))
    # The success's value union is a `oneOf` that no answer with a value can satisfy as written: its
    # `codeDefaultFlag` member (no `value`) accepts every object, and an integer is both an `integerFlag`
    # and a `floatFlag`. Read it as "any of" them; the value's own type is still checked against its member.
    members = spec["components"]["schemas"]["evaluationSuccess"]["allOf"]
    for member in members:
        if "oneOf" in member:
            member["anyOf"] = member.pop("oneOf")
    return spec  # type: ignore[no-any-return]


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    root = {"components": copy.deepcopy(_spec()["components"]), **schema}
    return Draft202012Validator(root)


def check(path: str, status: int, body: Any) -> None:
    """Assert that `body`, answered with `status` on `path` (SINGLE or BULK), is what the spec describes."""
    responses = _spec()["paths"][path]["post"]["responses"]
    assert str(status) in responses, f"{path} may not answer {status}"
    content = responses[str(status)].get("content")
    if content is None:
        return
    schema = content["application/json"]["schema"]
    errors = sorted(_validator(schema).iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, f"{path} {status}: " + "; ".join(
        f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]
    )
    items = body.get("flags", []) if path == BULK else [body]
    for item in items:
        # Within the relaxed union, a value must still be one of the value types (never null).
        if "value" in item:
            assert item["value"] is not None, f"{item['key']}: value is null"
            assert isinstance(item["value"], bool | str | int | float | dict), item
