"""Checks a GrowthBook targeting condition before it is stored, so a flag never holds one that cannot be read.

The condition language is GrowthBook's (MongoDB-style): attribute paths mapped to a value or to an object
of operators, joined by `$and`, `$or`, `$nor` and `$not`. `check` raises a `FieldError` naming the JSON path
of the first problem: an unknown operator, a regular expression that does not compile, a list operator given a
scalar, or a logical operator given the wrong shape. Evaluating a stored condition against a user's
attributes is `targeting`'s work (`eval_condition`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from missionos.errors import FieldError

LOGICAL = ("$and", "$or", "$nor", "$not")
LIST_OPERATORS = ("$in", "$nin", "$ini", "$nini", "$all", "$alli")
STRING_OPERATORS = ("$inGroup", "$notInGroup", "$type")
REGEX_OPERATORS = ("$regex", "$regexi")
VALUE_OPERATORS = (
    "$eq",
    "$ne",
    "$lt",
    "$lte",
    "$gt",
    "$gte",
    "$exists",
    "$veq",
    "$vne",
    "$vgt",
    "$vgte",
    "$vlt",
    "$vlte",
)
OPERATORS = (
    *VALUE_OPERATORS,
    *LIST_OPERATORS,
    *STRING_OPERATORS,
    *REGEX_OPERATORS,
    "$elemMatch",
    "$size",
    "$not",
)
TYPES = ("string", "number", "boolean", "array", "object", "null", "undefined")


def _path(where: str, key: str) -> str:
    """`where` followed by `key`, bracketed when the key is not a plain name (e.g. `["user.plan"]`)."""
    return f"{where}.{key}" if re.fullmatch(r"[$A-Za-z_][\w$]*", key) else f'{where}["{key}"]'


def check(condition: Any, where: str, *, source: str | None = None) -> None:
    """Check a condition object; `where` is its JSON path (e.g. `flags[0].rules[1].condition`)."""
    if not isinstance(condition, Mapping):
        raise FieldError(where, "a condition object", source=source)
    for key, value in condition.items():
        path = _path(where, str(key))
        if key in ("$and", "$or", "$nor"):
            if not isinstance(value, list):
                raise FieldError(
                    path, f"a list of conditions for {key}, got {type(value).__name__}", source=source
                )
            for i, item in enumerate(value):
                check(item, f"{path}[{i}]", source=source)
        elif key == "$not":
            check(value, path, source=source)
        elif isinstance(key, str) and key.startswith("$"):
            raise FieldError(
                path,
                f"an attribute name or one of {', '.join(LOGICAL)} at the top of a condition",
                source=source,
            )
        else:
            _check_value(value, path, source=source)


def is_operator_object(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) > 0 and all(str(k).startswith("$") for k in value)


def _check_value(value: Any, where: str, *, source: str | None) -> None:
    """An attribute's condition: a literal to compare with, or an object of operators."""
    if isinstance(value, Mapping) and any(str(k).startswith("$") for k in value):
        if not is_operator_object(value):
            raise FieldError(
                where,
                "either an object of operators (every key starting with $) or a literal value",
                source=source,
            )
        for op, expected in value.items():
            _check_operator(str(op), expected, _path(where, str(op)), source=source)


def _check_operator(op: str, expected: Any, where: str, *, source: str | None) -> None:
    if op not in OPERATORS:
        raise FieldError(where, f"a known operator ({', '.join(sorted(set(OPERATORS)))})", source=source)
    if op in LIST_OPERATORS and not isinstance(expected, list):
        raise FieldError(where, f"a list of values for {op}, got {type(expected).__name__}", source=source)
    if op in REGEX_OPERATORS:
        if not isinstance(expected, str):
            raise FieldError(where, f"a regular expression string for {op}", source=source)
        try:
            re.compile(expected)
        except re.error as exc:
            raise FieldError(
                where, f"a valid regular expression ({exc.msg} at position {exc.pos})", source=source
            ) from None
    if op in ("$inGroup", "$notInGroup") and not isinstance(expected, str):
        raise FieldError(where, f"the name of a saved group for {op}", source=source)
    if op == "$type" and expected not in TYPES:
        raise FieldError(where, f"one of {', '.join(TYPES)}", source=source)
    if op == "$elemMatch":
        if not isinstance(expected, Mapping):
            raise FieldError(where, "a condition object for $elemMatch", source=source)
        if is_operator_object(expected):
            _check_value(expected, where, source=source)
        else:
            check(expected, where, source=source)
    if op in ("$not", "$size"):
        _check_value(expected, where, source=source)
    if op in ("$all", "$alli") and isinstance(expected, list):
        for i, item in enumerate(expected):
            _check_value(item, f"{where}[{i}]", source=source)
