"""Mapping packs: versioned YAML files that map declarative checks over evidence facts to control ids.

A check names the evidence kinds it reads, how old that evidence may be, the conditions on its facts, and for
each control it implements, a statement of how. A pack also lists the controls inherited from a named
provider and those not applicable (with a reason). An organization's own pack is laid over the default: its
checks replace those with the same id and add new ones; its inherited and not-applicable entries are merged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from missionos import safeload
from missionos.errors import FieldError, InputError

DEFAULT_PACK = Path(__file__).resolve().parent / "packs" / "devsecops-factory.yaml"
OPS = ("eq", "ne", "lt", "le", "gt", "ge", "present", "absent", "in")
PER = ("service", "system")
# FedRAMP continuous monitoring: critical and high 30 days, moderate 90, low 180.
SEVERITY_DEFAULTS = {"critical": 30, "high": 30, "medium": 90, "low": 180}


@dataclass(frozen=True)
class Condition:
    """`fact op value`: a dotted path into an evidence record's facts, compared with a value."""

    fact: str
    op: str
    value: Any = None

    def holds(self, facts: Mapping[str, Any]) -> bool:
        found, actual = lookup(facts, self.fact)
        if self.op == "present":
            return found and actual not in (None, "", [], {})
        if self.op == "absent":
            return not found or actual in (None, "", [], {})
        if not found:
            return False
        try:
            match self.op:
                case "eq":
                    return bool(actual == self.value)
                case "ne":
                    return bool(actual != self.value)
                case "lt":
                    return bool(actual < self.value)
                case "le":
                    return bool(actual <= self.value)
                case "gt":
                    return bool(actual > self.value)
                case "ge":
                    return bool(actual >= self.value)
                case "in":
                    return actual in self.value
        except TypeError:
            return False
        return False

    def __str__(self) -> str:
        return f"{self.fact} {self.op}" + ("" if self.op in ("present", "absent") else f" {self.value!r}")


def lookup(facts: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    """The value at dotted `path` in `facts`, and whether it was there."""
    node: Any = facts
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return False, None
        node = node[key]
    return True, node


@dataclass(frozen=True)
class Check:
    """A declarative check over evidence facts, and the controls it implements with their statements."""

    id: str
    title: str
    evidence: tuple[str, ...]
    max_age_days: int
    require: tuple[Condition, ...]
    controls: Mapping[str, str]
    per: str = "service"
    # per control: why this check's evidence counts for it; and the controls it only partly shows, which need
    # a person's attestation besides the passing check to be satisfied
    why: Mapping[str, str] = field(default_factory=dict)
    partial: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Pack:
    """A mapping pack (possibly the default with an organization's pack laid over it)."""

    name: str
    version: str
    title: str
    checks: tuple[Check, ...]
    inherited: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # provider -> control -> stmt
    not_applicable: Mapping[str, str] = field(default_factory=dict)
    remediation_days: Mapping[str, int] = field(default_factory=lambda: dict(SEVERITY_DEFAULTS))
    derived_window_days: int = 30
    # control -> parameter id -> values (the organization-defined parameters the SSP sets)
    parameters: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)

    def parameters_for(self, control: str) -> dict[str, tuple[str, ...]]:
        """The parameter values set for `control`: the pack's own, and for SI-2 and RA-5 the remediation
        limits (SP 800-53 rev5 `si-02_odp`, `ra-05_odp.03`) unless the pack sets those itself."""
        found = dict(self.parameters.get(control, {}))
        limits = ", ".join(f"{sev} {days} days" for sev, days in self.remediation_days.items())
        derived = {"si-2": "si-02_odp", "ra-5": "ra-05_odp.03"}.get(control)
        if derived and derived not in found:
            found[derived] = (f"from first detection: {limits}",)
        return found

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    def checks_for(self, control: str) -> list[Check]:
        return [c for c in self.checks if control in c.controls]

    def partial_checks(self, control: str) -> list[Check]:
        """The checks whose evidence only partly shows `control` (an attestation must complete them)."""
        return [c for c in self.checks if control in c.partial]

    def mapped_controls(self) -> set[str]:
        return {ctl for c in self.checks for ctl in c.controls}

    def statement(self, control: str, provider: str | None = None) -> str:
        """How the system meets `control`, from the pack's statements (checks first, then inheritance)."""
        parts = [c.controls[control] for c in self.checks_for(control)]
        if not parts and provider and control in self.inherited.get(provider, {}):
            parts.append(f"Inherited from {provider}: {self.inherited[provider][control]}")
        if not parts and control in self.not_applicable:
            parts.append(f"Not applicable: {self.not_applicable[control]}")
        return " ".join(dict.fromkeys(parts))


_SPAN = re.compile(r"^(\d+)([dw])$")


def parse_days(value: Any, path: str, source: str) -> int:
    """A span like `30d` or `2w` (or a bare number of days)."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = _SPAN.match(str(value))
    if not match or int(match.group(1)) <= 0:
        raise FieldError(path, "a positive span such as 30d or 2w", source=source)
    return int(match.group(1)) * (7 if match.group(2) == "w" else 1)


def _mapping(value: Any, path: str, source: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FieldError(path, "a mapping", source=source)
    return value


def _statements(value: Any, path: str, source: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for ctl, text in _mapping(value, path, source).items():
        if not isinstance(text, str) or not text.strip():
            raise FieldError(f"{path}.{ctl}", "an implementation statement (text)", source=source)
        out[str(ctl).lower()] = text.strip()
    return out


def _mappings(value: Any, path: str, source: str) -> tuple[dict[str, str], dict[str, str], frozenset[str]]:
    """A check's controls: each a statement, or `{statement, why, partial}` saying why the evidence counts
    and whether it shows the control only in part."""
    statements: dict[str, str] = {}
    why: dict[str, str] = {}
    partial: set[str] = set()
    for ctl, entry in _mapping(value, path, source).items():
        key = str(ctl).lower()
        if isinstance(entry, dict):
            unknown = set(entry) - {"statement", "why", "partial"}
            if unknown:
                raise FieldError(
                    f"{path}.{ctl}.{sorted(unknown)[0]}", "statement, why or partial", source=source
                )
            text = entry.get("statement")
            if entry.get("why") is not None:
                if not isinstance(entry["why"], str) or not entry["why"].strip():
                    raise FieldError(
                        f"{path}.{ctl}.why", "why the evidence counts for the control", source=source
                    )
                why[key] = entry["why"].strip()
            if not isinstance(entry.get("partial", False), bool):
                raise FieldError(f"{path}.{ctl}.partial", "true or false", source=source)
            if entry.get("partial"):
                partial.add(key)
            where = f"{path}.{ctl}.statement"
        else:
            text, where = entry, f"{path}.{ctl}"
        if not isinstance(text, str) or not text.strip():
            raise FieldError(where, "an implementation statement (text)", source=source)
        statements[key] = text.strip()
    return statements, why, frozenset(partial)


def parse_check(
    raw: Any, path: str, source: str, *, cid: str | None = None, controls: Mapping[str, str] | None = None
) -> Check:
    """One check of a pack, validated; `cid` and `controls`, if given, replace its `id` and `controls`."""
    raw = _mapping(raw, path, source)
    cid = cid if cid is not None else raw.get("id")
    if not isinstance(cid, str) or not cid:
        raise FieldError(f"{path}.id", "a check id", source=source)
    kinds = raw.get("evidence")
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if not isinstance(kinds, list) or not kinds or not all(isinstance(k, str) for k in kinds):
        raise FieldError(f"{path}.evidence", "an evidence kind or a list of them", source=source)
    conditions = []
    raw_conditions = raw.get("require") or []
    if not isinstance(raw_conditions, list):
        raise FieldError(f"{path}.require", "a list of conditions", source=source)
    for j, cond in enumerate(raw_conditions):
        cond = _mapping(cond, f"{path}.require[{j}]", source)
        if not isinstance(cond.get("fact"), str):
            raise FieldError(f"{path}.require[{j}].fact", "a dotted fact path", source=source)
        if cond.get("op") not in OPS:
            raise FieldError(f"{path}.require[{j}].op", f"one of {', '.join(OPS)}", source=source)
        if cond["op"] not in ("present", "absent") and "value" not in cond:
            raise FieldError(f"{path}.require[{j}].value", "a value to compare with", source=source)
        conditions.append(Condition(cond["fact"], cond["op"], cond.get("value")))
    per = raw.get("per", "service")
    if per not in PER:
        raise FieldError(f"{path}.per", f"one of {', '.join(PER)}", source=source)
    why: dict[str, str] = {}
    partial: frozenset[str] = frozenset()
    if controls is None:
        controls, why, partial = _mappings(raw.get("controls"), f"{path}.controls", source)
        if not controls:
            raise FieldError(f"{path}.controls", "at least one control id with its statement", source=source)
    return Check(
        id=cid,
        title=str(raw.get("title", cid)),
        evidence=tuple(kinds),
        max_age_days=parse_days(raw.get("max_age", "30d"), f"{path}.max_age", source),
        require=tuple(conditions),
        controls=dict(controls),
        per=per,
        why=why,
        partial=partial,
    )


_PARAM_ID = re.compile(r"^[a-z][a-z0-9_.-]*$")


def _parameters(value: Any, source: str) -> dict[str, dict[str, tuple[str, ...]]]:
    """`parameters: {control: {param-id: value or [values]}}`, the values the SSP sets."""
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for ctl, params in _mapping(value, "parameters", source).items():
        path = f"parameters.{ctl}"
        for pid, raw in _mapping(params, path, source).items():
            values = raw if isinstance(raw, list) else [raw]
            if not _PARAM_ID.match(str(pid)):
                raise FieldError(
                    f"{path}.{pid}", "a catalog parameter id such as ra-05_odp.02", source=source
                )
            if not values or not all(isinstance(v, str | int | float) and str(v).strip() for v in values):
                raise FieldError(f"{path}.{pid}", "a value or a list of values", source=source)
            out.setdefault(str(ctl).lower(), {})[str(pid)] = tuple(str(v).strip() for v in values)
    return out


def parse_pack(doc: Any, *, source: str) -> Pack:
    """Validate a pack document, naming the field that is wrong and what was expected."""
    if not isinstance(doc, dict):
        raise InputError(
            "expected a mapping pack (a YAML mapping with pack, version and checks)", source=source
        )
    for key in ("pack", "version"):
        if not isinstance(doc.get(key), str | int | float) or not str(doc.get(key)).strip():
            raise FieldError(key, "a name" if key == "pack" else "a version such as 1.0.0", source=source)
    checks: list[Check] = []
    seen: set[str] = set()
    raw_checks = doc.get("checks") or []
    if not isinstance(raw_checks, list):
        raise FieldError("checks", "a list of checks", source=source)
    for i, raw in enumerate(raw_checks):
        check = parse_check(raw, f"checks[{i}]", source)
        if check.id in seen:
            raise FieldError(f"checks[{i}].id", f"a unique id ({check.id!r} is repeated)", source=source)
        seen.add(check.id)
        checks.append(check)
    inherited = {
        str(provider): _statements(stmts, f"inherited.{provider}", source)
        for provider, stmts in _mapping(doc.get("inherited"), "inherited", source).items()
    }
    remediation = dict(SEVERITY_DEFAULTS)
    for sev, days in _mapping(doc.get("remediation_days"), "remediation_days", source).items():
        if sev not in SEVERITY_DEFAULTS:
            raise FieldError(
                f"remediation_days.{sev}", f"one of {', '.join(SEVERITY_DEFAULTS)}", source=source
            )
        remediation[sev] = parse_days(days, f"remediation_days.{sev}", source)
    return Pack(
        name=str(doc["pack"]),
        version=str(doc["version"]),
        title=str(doc.get("title", doc["pack"])),
        checks=tuple(checks),
        inherited=inherited,
        not_applicable=_statements(doc.get("not_applicable"), "not_applicable", source),
        remediation_days=remediation,
        derived_window_days=parse_days(doc.get("derived_window_days", 30), "derived_window_days", source),
        parameters=_parameters(doc.get("parameters"), source),
    )


def load_document(path: Path) -> Any:
    """The document in a pack file, YAML (or JSON by its suffix), with the file and line of a syntax error.

    `pack_file.read_pack` turns it into a pack, whether it is one in this module's syntax or an OSCAL
    component definition."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such mapping pack file", source=str(path)) from None
    try:
        return (
            safeload.loads_json(text, source=str(path))
            if path.suffix.lower() == ".json"
            else safeload.load(text, source=str(path))
        )
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", source=str(path), line=exc.lineno) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            f"not valid YAML ({getattr(exc, 'problem', exc)})",
            source=str(path),
            line=mark.line + 1 if mark else None,
        ) from None


class _Flow(list[Any]):
    """A list written in YAML flow style (`[junit]`, `{fact: x, op: eq, value: 0}` items)."""


class _FlowMap(dict[str, Any]):
    """A mapping written in YAML flow style."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # lists indented under their key, as the shipped pack is


_Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))
_Dumper.add_representer(
    _FlowMap, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True)
)


def check_document(check: Check, *, with_controls: bool = True) -> dict[str, Any]:
    """A check as the pack's YAML writes it (the inverse of `parse_check`)."""
    doc: dict[str, Any] = {
        "id": check.id,
        "title": check.title,
        "evidence": _Flow(check.evidence),
        "per": check.per,
        "max_age": f"{check.max_age_days}d",
        "require": [
            _FlowMap(
                {"fact": c.fact, "op": c.op, **({} if c.op in ("present", "absent") else {"value": c.value})}
            )
            for c in check.require
        ],
    }
    if with_controls:
        doc["controls"] = {ctl: control_entry(check, ctl) for ctl in check.controls}
    return doc


def control_entry(check: Check, control: str) -> Any:
    """How a pack writes one control of a check: its statement, or `{statement, why, partial}`."""
    statement = check.controls[control]
    if control not in check.why and control not in check.partial:
        return statement
    entry: dict[str, Any] = {"statement": statement}
    if control in check.why:
        entry["why"] = check.why[control]
    if control in check.partial:
        entry["partial"] = True
    return entry


def pack_document(pack: Pack) -> dict[str, Any]:
    """A pack as a YAML-ready mapping that `parse_pack` reads back to the same pack."""
    return {
        "pack": pack.name,
        "version": pack.version,
        "title": pack.title,
        "remediation_days": _FlowMap(pack.remediation_days),
        "derived_window_days": pack.derived_window_days,
        "checks": [check_document(c) for c in pack.checks],
        "inherited": {provider: dict(stmts) for provider, stmts in pack.inherited.items()},
        "not_applicable": dict(pack.not_applicable),
        **(
            {"parameters": {c: {p: list(v) for p, v in ps.items()} for c, ps in pack.parameters.items()}}
            if pack.parameters
            else {}
        ),
    }


def dump_yaml(doc: Any) -> str:
    """YAML in the shipped pack's layout: block mappings, short lists and conditions in flow style."""
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1 << 16)


@cache
def default_pack() -> Pack:
    """The pack shipped with Mission OS for a DevSecOps software factory."""
    return parse_pack(load_document(DEFAULT_PACK), source=str(DEFAULT_PACK))


def overlay(base: Pack, extra: Pack) -> Pack:
    """`base` with an organization's pack laid over it (same-id checks replaced, the rest added)."""
    ids = {c.id for c in extra.checks}
    inherited = {p: dict(s) for p, s in base.inherited.items()}
    for provider, stmts in extra.inherited.items():
        inherited.setdefault(provider, {}).update(stmts)
    return replace(
        base,
        name=f"{base.name}+{extra.name}",
        version=f"{base.version}+{extra.version}",
        title=f"{base.title}, with {extra.title}",
        checks=tuple(c for c in base.checks if c.id not in ids) + extra.checks,
        inherited=inherited,
        not_applicable={**base.not_applicable, **extra.not_applicable},
        remediation_days={**base.remediation_days, **extra.remediation_days},
        derived_window_days=extra.derived_window_days,
        parameters={
            ctl: {**base.parameters.get(ctl, {}), **extra.parameters.get(ctl, {})}
            for ctl in {*base.parameters, *extra.parameters}
        },
    )
