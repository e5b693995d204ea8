"""Rules in OSCAL component definitions, in the convention compliance-trestle uses.

A component declares its rules as component-level `props`. The props of one rule share a `remarks` value
(trestle writes `rule_set_00`, `rule_set_01`, ...): `Rule_Id` names the rule, `Rule_Description` says what it
requires, and `Check_Id` / `Check_Description` name the check that validates it. A validation component may
carry only `Rule_Id` and `Check_Id` for rules another component describes. An implemented requirement (or
one of its statements) that a rule implements names it with a `Rule_Id` prop. The props' namespace is not
checked: trestle has used more than one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from missionos.errors import FieldError

TRESTLE_NS = "https://oscal-compass.github.io/compliance-trestle/schemas/oscal/cd"
RULE_PROPS = ("Rule_Id", "Rule_Description", "Check_Id", "Check_Description")


@dataclass(frozen=True)
class Rule:
    """One rule of a component: its id, description and the ids of the checks that validate it."""

    id: str
    description: str
    checks: tuple[str, ...]


def _props(node: Mapping[str, Any]) -> list[Any]:
    props = node.get("props") or []
    return props if isinstance(props, list) else []


def component_rules(component: Mapping[str, Any], *, where: str, source: str) -> dict[str, Rule]:
    """The rules a component declares in its props, by id (rule sets with the same `Rule_Id` merge)."""
    sets: dict[str, dict[str, list[str]]] = {}
    for j, prop in enumerate(_props(component)):
        if not isinstance(prop, dict) or prop.get("name") not in RULE_PROPS:
            continue
        value = prop.get("value")
        if not isinstance(value, str) or not value.strip():
            raise FieldError(f"{where}.props[{j}].value", f"a {prop['name']} value", source=source)
        group = str(prop.get("remarks") or "").strip()
        sets.setdefault(group, {}).setdefault(prop["name"], []).append(value.strip())
    rules: dict[str, Rule] = {}
    for group, fields in sets.items():
        ids = fields.get("Rule_Id", [])
        if len(ids) != 1:
            named = f"the props with remarks {group!r}" if group else "the props without remarks"
            raise FieldError(
                f"{where}.props",
                f"one Rule_Id in each rule set ({named} have {len(ids)}); "
                "give each rule's props their own remarks value, e.g. rule_set_00",
                source=source,
            )
        rule_id = ids[0]
        before = rules.get(rule_id)
        description = " ".join(fields.get("Rule_Description", []))
        checks = tuple(fields.get("Check_Id", []))
        if before:
            description = before.description or description
            checks = tuple(dict.fromkeys(before.checks + checks))
        rules[rule_id] = Rule(rule_id, description, checks)
    return rules


def named_rules(node: Mapping[str, Any]) -> list[str]:
    """The `Rule_Id` values an implemented requirement or statement names."""
    return [
        str(p["value"]).strip()
        for p in _props(node)
        if isinstance(p, dict) and p.get("name") == "Rule_Id" and isinstance(p.get("value"), str)
    ]


def prop_value(node: Mapping[str, Any], name: str, ns: str | None = None) -> str | None:
    """The value of the first prop called `name` (in namespace `ns` when one is given)."""
    for p in _props(node):
        if isinstance(p, dict) and p.get("name") == name and (ns is None or p.get("ns") == ns):
            value = p.get("value")
            return str(value) if value is not None else None
    return None


def requirements(component: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each implemented requirement of a component, with its path inside the component."""
    impls = component.get("control-implementations") or []
    for k, impl in enumerate(impls if isinstance(impls, list) else []):
        reqs = impl.get("implemented-requirements") if isinstance(impl, dict) else None
        for m, req in enumerate(reqs if isinstance(reqs, list) else []):
            if isinstance(req, dict):
                yield f"control-implementations[{k}].implemented-requirements[{m}]", req
