"""What changed between two plan documents, in plan terms ("goal G2's target moved from 20 to 15")."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

_TOP = ("title", "objective", "owner", "horizon", "freshness_days", "parent")
_LABELS = {
    "target.value": "target",
    "target.by": "target date",
    "baseline.value": "baseline",
    "baseline.at": "baseline date",
}
_NESTED = ("assumptions", "bets", "dashboard", "actions")


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def _leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_leaves(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}


def _keyed(items: Iterable[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(items):
        if "id" in item:
            key = str(item["id"])
        elif kind == "dashboard":
            key = json.dumps(item.get("measure"), sort_keys=True)
        elif kind == "action":
            key = str(item.get("what", i))
        else:
            key = str(i)
        out[key] = item
    return out


def _name(kind: str, key: str, item: dict[str, Any]) -> str:
    if kind == "dashboard":
        m = item.get("measure", {})
        scope = m.get("scope") or {}
        where = f" ({', '.join(f'{k}: {v}' for k, v in scope.items())})" if scope else ""
        return f"dashboard measure {m.get('name') or m.get('manual')}{where}"
    if kind == "action" and "id" not in item:
        return f"action '{key}'"
    return f"{kind} {key}"


def _diff_items(
    kind: str, old: Sequence[dict[str, Any]], new: Sequence[dict[str, Any]], within: str = ""
) -> list[str]:
    lines: list[str] = []
    before, after = _keyed(old, kind), _keyed(new, kind)
    suffix = f" in {within}" if within else ""
    for key, item in after.items():
        if key not in before:
            lines.append(f"{_name(kind, key, item)} added{suffix}")
    for key, item in before.items():
        if key not in after:
            lines.append(f"{_name(kind, key, item)} removed{suffix}")
    for key, item in after.items():
        if key not in before:
            continue
        was = before[key]
        name = _name(kind, key, item)
        flat_old = _leaves({k: v for k, v in was.items() if k not in _NESTED})
        flat_new = _leaves({k: v for k, v in item.items() if k not in _NESTED})
        for path in sorted(set(flat_old) | set(flat_new)):
            a, b = flat_old.get(path), flat_new.get(path)
            if a != b:
                label = _LABELS.get(path, path)
                lines.append(f"{name}'s {label} moved from {_show(a)} to {_show(b)}")
        if kind == "strategy":
            for nested, nested_kind in (
                ("assumptions", "assumption"),
                ("bets", "bet"),
                ("dashboard", "dashboard"),
                ("actions", "action"),
            ):
                lines += _diff_items(nested_kind, was.get(nested, []), item.get(nested, []), name)
    return lines


def diff_documents(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """What changed between two plan documents, in plan terms: "goal G2's target moved from 20 to 15",
    "bet B3 added in strategy S1". Empty when they are the same plan."""
    if old is None:
        return ["created"]
    lines: list[str] = []
    for key in _TOP:
        if old.get(key) != new.get(key):
            lines.append(f"the plan's {key} moved from {_show(old.get(key))} to {_show(new.get(key))}")
    lines += _diff_items("goal", old.get("goals", []), new.get("goals", []))
    lines += _diff_items("strategy", old.get("strategies", []), new.get("strategies", []))
    return lines
