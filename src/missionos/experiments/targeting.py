"""Targeting conditions evaluated as GrowthBook evaluates them, with the JavaScript semantics it inherits.

`eval_condition` says whether a user's attributes satisfy a GrowthBook (MongoDB-style) targeting condition,
following GrowthBook's cross-SDK test vectors (`conformance/growthbook/cases.json`): JavaScript's truthiness,
`String()` conversion, relational coercion and strict equality (`js_truthy`, `js_string`, ...), and semantic
version comparison (`padded_version`). `conditions` checks a condition before it is stored; this module
evaluates one that is.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "UNDEFINED",
    "eval_condition",
    "js_string",
    "js_truthy",
    "padded_version",
]


# --- JavaScript semantics the specification inherits --------------------------------------------------------


class _Undefined:
    """JavaScript's `undefined`: an attribute that is not there (distinct from JSON null)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED: Any = _Undefined()


def js_truthy(value: Any) -> bool:
    """JavaScript truthiness: empty lists and objects are true, 0, "", null and NaN are false."""
    if value is None or value is UNDEFINED or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, int | float):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True


def js_string(value: Any) -> str:
    """`String(value)` in JavaScript, for the scalar values attributes hold."""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return ",".join("" if v is None else js_string(v) for v in value)
    return "[object Object]"


def _js_number(value: Any) -> float:
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        try:
            return float(text)
        except ValueError:
            return math.nan
    return math.nan


def _json_key(value: Any) -> str:
    def norm(v: Any) -> Any:
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, list):
            return [norm(x) for x in v]
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        return v

    if value is UNDEFINED:
        return "undefined"
    return json.dumps(norm(value), separators=(",", ":"), ensure_ascii=False)


def _strict_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if a is None or b is None:
        return a is b
    if a is UNDEFINED or b is UNDEFINED:
        return a is b
    return False  # objects and arrays compare by reference in JavaScript


def _js_less(a: Any, b: Any) -> tuple[bool, bool]:
    """(a < b, a == b-ish for <=) with JavaScript's relational coercion."""
    if isinstance(a, str) and isinstance(b, str):
        return a < b, a == b
    x, y = _js_number(a), _js_number(b)
    if math.isnan(x) or math.isnan(y):
        return False, False
    return x < y, x == y


def _js_type(value: Any) -> str:
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


_VERSION_PREFIX = re.compile(r"(^v|\+.*$)")
_VERSION_SPLIT = re.compile(r"[-.]")
_DIGITS = re.compile(r"^[0-9]+$")


def padded_version(value: Any) -> str:
    """A version string that sorts as semantic versions do: numeric parts padded, a release after its
    pre-releases, build metadata dropped."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = js_string(value)
    if not value or not isinstance(value, str):
        value = "0"
    parts = _VERSION_SPLIT.split(_VERSION_PREFIX.sub("", value))
    if len(parts) == 3:
        parts.append("~")
    return "-".join(p.rjust(5, " ") if _DIGITS.match(p) else p for p in parts)


# --- targeting conditions -----------------------------------------------------------------------------------


def _get_path(obj: Any, path: str) -> Any:
    current = obj
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return None  # the specification treats a missing attribute as null
    return current


def is_operator_object(obj: Any) -> bool:
    return isinstance(obj, dict) and len(obj) > 0 and all(k.startswith("$") for k in obj)


def eval_condition(
    obj: Any, condition: Mapping[str, Any], saved_groups: Mapping[str, Any] | None = None
) -> bool:
    """Whether the attributes `obj` satisfy a GrowthBook (MongoDB-style) targeting condition."""
    groups = saved_groups or {}
    for key, value in condition.items():
        if key == "$or":
            if not _eval_or(obj, value, groups):
                return False
        elif key == "$nor":
            if _eval_or(obj, value, groups):
                return False
        elif key == "$and":
            if not all(eval_condition(obj, c, groups) for c in value):
                return False
        elif key == "$not":
            if eval_condition(obj, value, groups):
                return False
        elif not eval_value(value, _get_path(obj, key), groups):
            return False
    return True


def _eval_or(obj: Any, conditions: Sequence[Any], groups: Mapping[str, Any]) -> bool:
    if not conditions:
        return True
    return any(eval_condition(obj, c, groups) for c in conditions)


def eval_value(condition: Any, value: Any, groups: Mapping[str, Any]) -> bool:
    if isinstance(condition, bool):
        return value is not None and js_truthy(value) is condition
    if isinstance(condition, str):
        return js_string(value) == condition
    if isinstance(condition, int | float):
        number = _js_number(value) if value is not UNDEFINED else math.nan
        return number == condition
    if condition is None:
        return value is None or value is UNDEFINED
    if isinstance(condition, list) or not is_operator_object(condition):
        return _json_key(value) == _json_key(condition)
    return all(eval_operator(op, value, expected, groups) for op, expected in condition.items())


def _is_in(actual: Any, expected: Sequence[Any], insensitive: bool = False) -> bool:
    def fold(v: Any) -> Any:
        return v.lower() if insensitive and isinstance(v, str) else v

    pool = [fold(e) for e in expected]

    def contains(v: Any) -> bool:
        v = fold(v)
        return any(_strict_equal(v, e) for e in pool)

    if isinstance(actual, list):
        return any(contains(a) for a in actual)
    return contains(actual)


def _eval_all(actual: Any, expected: Any, groups: Mapping[str, Any], insensitive: bool) -> bool:
    if not isinstance(actual, list) or not isinstance(expected, list):
        return False
    for cond in expected:
        if insensitive:
            if not any(_is_in(a, [cond], insensitive=True) for a in actual):
                return False
        elif not any(eval_value(cond, a, groups) for a in actual):
            return False
    return True


def _regex(pattern: Any, actual: Any, flags: int = 0) -> bool:
    try:
        return re.search(str(pattern), js_string(actual), flags) is not None
    except re.error:
        return False


def eval_operator(op: str, actual: Any, expected: Any, groups: Mapping[str, Any]) -> bool:
    if op in ("$veq", "$vne", "$vgt", "$vgte", "$vlt", "$vlte"):
        a, b = padded_version(actual), padded_version(expected)
        return {
            "$veq": a == b,
            "$vne": a != b,
            "$vgt": a > b,
            "$vgte": a >= b,
            "$vlt": a < b,
            "$vlte": a <= b,
        }[op]
    if op == "$eq":
        return _strict_equal(actual, expected)
    if op == "$ne":
        return not _strict_equal(actual, expected)
    if op in ("$lt", "$lte", "$gt", "$gte"):
        if op in ("$lt", "$lte"):
            less, equal = _js_less(actual, expected)
        else:
            less, equal = _js_less(expected, actual)
        return less or (op.endswith("e") and equal)
    if op == "$regex":
        return _regex(expected, actual)
    if op == "$regexi":
        return _regex(expected, actual, re.IGNORECASE)
    if op in ("$in", "$ini"):
        return isinstance(expected, list) and _is_in(actual, expected, op == "$ini")
    if op in ("$nin", "$nini"):
        return isinstance(expected, list) and not _is_in(actual, expected, op == "$nini")
    if op == "$elemMatch":
        if not isinstance(actual, list):
            return False
        if is_operator_object(expected):
            return any(eval_value(expected, a, groups) for a in actual)
        return any(eval_condition(a, expected, groups) for a in actual)
    if op == "$size":
        return isinstance(actual, list) and eval_value(expected, len(actual), groups)
    if op in ("$all", "$alli"):
        return _eval_all(actual, expected, groups, op == "$alli")
    if op == "$exists":
        present = actual is not None and actual is not UNDEFINED
        return present if js_truthy(expected) else not present
    if op == "$type":
        return bool(_js_type(actual) == expected)
    if op == "$not":
        return not eval_value(expected, actual, groups)
    if op == "$inGroup":
        return _is_in(actual, groups.get(expected) or [])
    if op == "$notInGroup":
        return not _is_in(actual, groups.get(expected) or [])
    return False  # an unknown operator never matches
