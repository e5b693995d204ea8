"""Mapping packs as OSCAL component definitions, both ways.

In: each rule a component declares (compliance-trestle's convention, see `rules`) is validated by the check
its `Check_Id` names. The check is either defined in the component definition itself, as a back-matter
resource with the prop `check` (namespace `NS`) whose value is the check id and whose description is the
check in the pack's own YAML syntax, or is a check of the default pack. Each implemented requirement that
names a rule maps its control to the rule's checks, with the requirement's description as the
implementation statement. A component with the prop `provider` lists the controls that provider gives to
the systems that name it (`inherited`); a requirement with the prop `implementation-status` valued
`not-applicable` says why its control does not apply.

Out: a pack becomes one component whose rule sets are its checks (`Rule_Id` and `Check_Id` are the check
id), one implemented requirement per control and statement, one back-matter resource per check, and one
component per provider. Reading that document back gives the same pack. Every uuid is a UUIDv5 of the pack's
name and what it names; the document's uuid also covers the pack's content.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from missionos import __version__, safeload
from missionos.compliance import oscal
from missionos.compliance.pack import (
    SEVERITY_DEFAULTS,
    Check,
    Pack,
    check_document,
    default_pack,
    dump_yaml,
    pack_document,
    parse_check,
    parse_days,
)
from missionos.compliance.rules import (
    TRESTLE_NS,
    Rule,
    component_rules,
    named_rules,
    prop_value,
    requirements,
)
from missionos.errors import FieldError, InputError, Problem

NS = oscal.NS
CATALOG_HREF = (
    "https://raw.githubusercontent.com/usnistgov/oscal-content/main/nist.gov/SP800-53/rev5/json/"
    "NIST_SP-800-53_rev5_catalog.json"
)
_FENCE = re.compile(r"^\s*```[A-Za-z]*\s*\n(.*?)\n\s*```\s*$", re.S)


@dataclass(frozen=True)
class ConvertedPack:
    """A pack read from a component definition, with what the reader should know about it."""

    pack: Pack
    rules: int  # rules that map at least one control to a check
    unchecked: dict[str, list[str]] = field(default_factory=dict)  # component -> controls without rules
    unused: list[str] = field(default_factory=list)  # rules that no implemented requirement names

    def notes(self) -> list[str]:
        out = []
        if not self.rules:
            out.append(
                "no rules: no implemented requirement names a Rule_Id, so no control is linked to a check "
                "(the pack has no checks)"
            )
        for component, controls in self.unchecked.items():
            out.append(
                f"component {component!r}: {len(controls)} control(s) name no rule and are not checked "
                f"(they need attestation): {', '.join(controls[:8])}{' ...' if len(controls) > 8 else ''}"
            )
        if self.unused:
            out.append(f"rule(s) no implemented requirement names: {', '.join(self.unused)}")
        return out


# -- in ----------------------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "component-definition"


def _check_definitions(body: Mapping[str, Any], source: str) -> dict[str, Check]:
    """The checks defined in back-matter resources (prop `check` in our namespace), without their controls."""
    found: dict[str, Check] = {}
    resources = (body.get("back-matter") or {}).get("resources") or []
    for i, res in enumerate(resources if isinstance(resources, list) else []):
        if not isinstance(res, dict):
            continue
        cid = prop_value(res, "check", NS)
        if cid is None:
            continue
        path = f"back-matter.resources[{i}]"
        if not cid.strip():
            raise FieldError(f"{path}.props.check", "a check id", source=source)
        if cid in found:
            raise FieldError(f"{path}.props.check", f"a unique check id ({cid!r} is repeated)", source=source)
        text = str(res.get("description") or "")
        fenced = _FENCE.match(text)
        try:
            raw = safeload.load(fenced.group(1) if fenced else text, source=f"{source}: {path}.description")
        except (yaml.YAMLError, InputError) as exc:
            raise FieldError(
                f"{path}.description",
                f"the check {cid!r} in the pack's YAML syntax ({getattr(exc, 'message', exc)})",
                source=source,
            ) from None
        if not isinstance(raw, dict):
            raise FieldError(
                f"{path}.description",
                f"the check {cid!r} in the pack's YAML syntax (evidence, per, max_age, require)",
                source=source,
            )
        if "controls" in raw:
            raise FieldError(
                f"{path}.description.controls",
                "no controls here: the implemented requirements that name the check's rule give them",
                source=source,
            )
        if "title" not in raw and res.get("title"):
            raw = {**raw, "title": str(res["title"])}
        found[cid] = parse_check(raw, f"{path}.description", source, cid=cid, controls={})
    return found


def _days(value: Any, path: str, source: str) -> int:
    """Days written as a prop value: a number (`15`) or a span (`15d`, `2w`)."""
    text = str(value).strip()
    return parse_days(int(text) if text.isdigit() else text, path, source)


@dataclass(frozen=True)
class _Resolver:
    """Finds the checks of the rules a component definition declares."""

    declared: list[dict[str, Rule]]  # per component, its rules by id
    defined: dict[str, Check]  # checks defined in the back-matter (without controls)
    base: Pack

    @cached_property
    def base_checks(self) -> dict[str, Check]:
        return {c.id: c for c in self.base.checks}

    @cached_property
    def checks_by_rule(self) -> dict[str, tuple[str, ...]]:
        """Each rule's check ids, wherever they are declared (a validation component may name them)."""
        out: dict[str, tuple[str, ...]] = {}
        for rules in self.declared:
            for rule in rules.values():
                out[rule.id] = tuple(dict.fromkeys(out.get(rule.id, ()) + rule.checks))
        return out

    def resolve(
        self, component: int, rule_id: str, where: str
    ) -> tuple[Rule | None, list[Check], list[Problem]]:
        """The rule named in a requirement of `component`, its checks, and what is wrong with them."""
        rule = self.declared[component].get(rule_id) or next(
            (rules[rule_id] for rules in self.declared if rule_id in rules), None
        )
        if rule is None:
            return (
                None,
                [],
                [Problem(where, "a rule the component declares (a prop Rule_Id with this value)")],
            )
        check_ids = self.checks_by_rule.get(rule_id, ())
        if not check_ids:
            return rule, [], [Problem(where, "a Check_Id in the rule's set naming the check for it")]
        base_checks = self.base_checks
        checks, problems = [], []
        for cid in check_ids:
            known = self.defined.get(cid) or base_checks.get(cid)
            if known is None:
                problems.append(
                    Problem(
                        f"{where}, Check_Id {cid!r}",
                        f"a check defined in a back-matter resource with the prop check ({NS}), "
                        f"or one of pack {self.base.label}'s checks: " + ", ".join(base_checks),
                    )
                )
            else:
                checks.append(known)
        return rule, checks, problems


def _parts(req: Mapping[str, Any], description: str) -> list[tuple[str, list[str]]]:
    """(statement, rule ids) of a requirement and of each of its statements."""
    parts = [(description, named_rules(req))]
    statements = req.get("statements") or []
    for stmt in statements if isinstance(statements, list) else []:
        if isinstance(stmt, dict):
            parts.append((str(stmt.get("description") or "").strip() or description, named_rules(stmt)))
    return parts


def _set_parameters(req: Mapping[str, Any], path: str, source: str) -> dict[str, tuple[str, ...]]:
    """The `set-parameters` of an implemented requirement: parameter id -> values."""
    found: dict[str, tuple[str, ...]] = {}
    for j, entry in enumerate(req.get("set-parameters") or []):
        if not isinstance(entry, dict) or not isinstance(entry.get("param-id"), str):
            raise FieldError(f"{path}[{j}].param-id", "a parameter id", source=source)
        values = entry.get("values")
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise FieldError(f"{path}[{j}].values", "a list of values", source=source)
        found[entry["param-id"]] = tuple(values)
    return found


def pack_from_component_definition(
    doc: Mapping[str, Any], *, source: str, base: Pack | None = None
) -> ConvertedPack:
    """The mapping pack a component definition's rules describe; checks not defined in it come from `base`.

    Every rule an implemented requirement names must resolve to a check, or nothing is returned: the error
    lists each component, control and rule that does not.
    """
    body = doc.get("component-definition")
    if not isinstance(body, dict):
        raise FieldError("component-definition", "an OSCAL component definition", source=source)
    raw_metadata = body.get("metadata")
    metadata: dict[str, Any] = raw_metadata if isinstance(raw_metadata, dict) else {}
    components = [c for c in body.get("components") or [] if isinstance(c, dict)]
    resolver = _Resolver(
        [component_rules(c, where=f"components[{i}]", source=source) for i, c in enumerate(components)],
        _check_definitions(body, source),
        base or default_pack(),
    )
    mappings: dict[str, dict[str, str]] = {}  # check id -> control -> statement
    checks: dict[str, Check] = {}
    inherited: dict[str, dict[str, str]] = {}
    not_applicable: dict[str, str] = {}
    unchecked: dict[str, list[str]] = {}
    parameters: dict[str, dict[str, tuple[str, ...]]] = {}
    whys: dict[str, dict[str, str]] = {}  # check id -> control -> why its evidence counts
    partials: dict[str, set[str]] = {}  # check id -> controls it shows only in part
    used: set[str] = set()
    problems: list[Problem] = []
    for i, comp in enumerate(components):
        title = str(comp.get("title") or f"components[{i}]")
        provider = prop_value(comp, "provider", NS)
        for path, req in requirements(comp):
            control = str(req.get("control-id") or "").strip().lower()
            if not control:
                raise FieldError(f"components[{i}].{path}.control-id", "a control id", source=source)
            description = str(req.get("description") or "").strip()
            params = _set_parameters(req, f"components[{i}].{path}.set-parameters", source)
            if params:
                parameters.setdefault(control, {}).update(params)
                if prop_value(req, "parameters-only", NS):
                    continue
            if provider:
                inherited.setdefault(provider, {})[control] = description or f"Provided by {provider}."
                continue
            if prop_value(req, "implementation-status") == "not-applicable":
                not_applicable[control] = description or "Not applicable."
                continue
            parts = _parts(req, description)
            why = str(req.get("remarks") or "").strip()
            partial = prop_value(req, "partial", NS) == "true"
            if not any(rule_ids for _text, rule_ids in parts):
                unchecked.setdefault(title, []).append(control)
                continue
            for text, rule_ids in parts:
                for rule_id in rule_ids:
                    where = f"component {title!r}, control {control}, rule {rule_id!r}"
                    rule, found, wrong = resolver.resolve(i, rule_id, where)
                    problems += wrong
                    if rule is None or not found:
                        continue
                    used.add(rule_id)
                    for check in found:
                        checks[check.id] = check
                        if why:
                            whys.setdefault(check.id, {})[control] = why
                        if partial:
                            partials.setdefault(check.id, set()).add(control)
                        statement = text or rule.description or check.title
                        controls = mappings.setdefault(check.id, {})
                        before = controls.get(control)
                        controls[control] = (
                            statement if not before or statement in before else f"{before} {statement}"
                        )
    if problems:
        raise InputError(
            f"{len(problems)} rule(s) without a check: " + "; ".join(map(str, problems)), source=source
        )
    # the checks in the order the rules declare them
    order = list(dict.fromkeys(cid for ids in resolver.checks_by_rule.values() for cid in ids))
    ordered = tuple(
        replace(
            checks[cid],
            controls=mappings[cid],
            why={
                **{c: w for c, w in checks[cid].why.items() if c in mappings[cid]},
                **whys.get(cid, {}),
            },
            partial=frozenset((checks[cid].partial & set(mappings[cid])) | partials.get(cid, set())),
        )
        for cid in order
        if cid in mappings
    )
    remediation = dict(SEVERITY_DEFAULTS)
    for j, p in enumerate(metadata.get("props") or []):
        if isinstance(p, dict) and p.get("name") == "remediation-days" and p.get("ns") == NS:
            severity = str(p.get("class", ""))
            if severity not in SEVERITY_DEFAULTS:
                raise FieldError(
                    f"metadata.props[{j}].class", f"one of {', '.join(SEVERITY_DEFAULTS)}", source=source
                )
            remediation[severity] = _days(p.get("value"), f"metadata.props[{j}].value", source)
    window = prop_value(metadata, "derived-window-days", NS)
    title = str(metadata.get("title") or Path(source).stem)
    pack = Pack(
        name=prop_value(metadata, "pack", NS) or _slug(title),
        version=str(metadata.get("version") or "0"),
        title=title,
        checks=ordered,
        inherited=inherited,
        not_applicable=not_applicable,
        remediation_days=remediation,
        derived_window_days=30
        if window is None
        else _days(window, "metadata.props.derived-window-days", source),
        parameters=parameters,
    )
    every = {rule_id for rules in resolver.declared for rule_id in rules}
    return ConvertedPack(pack, len(used), unchecked, sorted(every - used))


def read_component_definition_pack(path: Path, *, base: Pack | None = None) -> ConvertedPack:
    """The pack a component definition file describes (see `pack_from_component_definition`)."""
    doc = oscal.load(path)
    if "component-definition" not in doc:
        raise InputError(f"expected an OSCAL component definition, not {next(iter(doc))!r}", source=str(path))
    return pack_from_component_definition(doc, source=str(path), base=base)


# -- out ---------------------------------------------------------------------------------------------------


def _prop(name: str, value: str, *, ns: str = NS, **extra: str) -> dict[str, str]:
    return {"name": name, "ns": ns, "value": value, **extra}


def _rule_props(rules: list[Rule], group: str) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for n, rule in enumerate(rules):
        remarks = f"{group}_{n:02d}"
        out.append(_prop("Rule_Id", rule.id, ns=TRESTLE_NS, remarks=remarks))
        out.append(_prop("Rule_Description", rule.description, ns=TRESTLE_NS, remarks=remarks))
        for cid in rule.checks:
            out.append(_prop("Check_Id", cid, ns=TRESTLE_NS, remarks=remarks))
            out.append(_prop("Check_Description", rule.description, ns=TRESTLE_NS, remarks=remarks))
    return out


def component_definition(pack: Pack, at: dt.datetime) -> dict[str, Any]:
    """`pack` as an OSCAL component definition whose rules are its checks (valid against OSCAL 1.2.1)."""
    digest = hashlib.sha256(dump_yaml(pack_document(pack)).encode()).hexdigest()

    def ids(*parts: object) -> str:
        return oscal.stable_uuid("pack", pack.name, *parts)

    catalog = ids("catalog")
    party = ids("party")
    # control -> (statement, why, partial) -> check ids
    by_control: dict[str, dict[tuple[str, str, bool], list[str]]] = {}
    for check in pack.checks:
        for control, statement in check.controls.items():
            key = (statement, check.why.get(control, ""), control in check.partial)
            by_control.setdefault(control, {}).setdefault(key, []).append(check.id)
    reqs: list[dict[str, Any]] = []
    for control, statements in by_control.items():
        for n, ((statement, why, partial), check_ids) in enumerate(statements.items()):
            reqs.append(
                {
                    "uuid": ids("requirement", control, n),
                    "control-id": control,
                    "description": statement,
                    "props": [
                        *(_prop("Rule_Id", cid, ns=TRESTLE_NS) for cid in check_ids),
                        *([_prop("partial", "true")] if partial else []),
                    ],
                    **({"remarks": why} if why else {}),
                }
            )
    for control, params in pack.parameters.items():
        values = [{"param-id": pid, "values": list(v)} for pid, v in params.items()]
        first = next((r for r in reqs if r["control-id"] == control), None)
        if first is not None:
            first["set-parameters"] = values
        else:
            reqs.append(
                {
                    "uuid": ids("parameters", control),
                    "control-id": control,
                    "description": "Organization-defined parameter values.",
                    "props": [_prop("parameters-only", "true")],
                    "set-parameters": values,
                }
            )
    for control, reason in pack.not_applicable.items():
        reqs.append(
            {
                "uuid": ids("not-applicable", control),
                "control-id": control,
                "description": reason,
                "props": [_prop("implementation-status", "not-applicable")],
            }
        )
    rules = [Rule(c.id, " ".join(c.title.split()) or c.id, (c.id,)) for c in pack.checks]
    main: dict[str, Any] = {
        "uuid": ids("component"),
        "type": "software",
        "title": pack.title,
        "description": f"The checks of mapping pack {pack.label}: each rule is validated by the Mission OS "
        "check of the same id over pipeline evidence, defined in the back-matter resource that names it.",
        "purpose": "Continuous assessment of controls from pipeline evidence",
        "responsible-roles": [{"role-id": "provider", "party-uuids": [party]}],
    }
    if rules:
        main["props"] = _rule_props(rules, "rule_set")
    if reqs:
        main["control-implementations"] = [
            {
                "uuid": ids("control-implementation"),
                "source": f"#{catalog}",
                "description": f"The controls mapping pack {pack.label} implements with its checks.",
                "implemented-requirements": reqs,
            }
        ]
    components = [main]
    for provider, stmts in pack.inherited.items():
        components.append(
            {
                "uuid": ids("provider", provider),
                "type": "service",
                "title": provider,
                "description": f"The platform {provider}, which provides these controls to the systems that "
                "name it as their provider.",
                "props": [_prop("provider", provider)],
                "control-implementations": [
                    {
                        "uuid": ids("provider", provider, "control-implementation"),
                        "source": f"#{catalog}",
                        "description": f"The controls {provider} provides.",
                        "implemented-requirements": [
                            {
                                "uuid": ids("provider", provider, control),
                                "control-id": control,
                                "description": statement,
                            }
                            for control, statement in stmts.items()
                        ],
                    }
                ],
            }
        )
    resources: list[dict[str, Any]] = [
        {
            "uuid": catalog,
            "title": "NIST SP 800-53 Rev 5 catalog",
            "description": "The catalog whose control ids the pack maps.",
            "rlinks": [{"href": CATALOG_HREF, "media-type": "application/oscal.catalog+json"}],
        }
    ]
    for check in pack.checks:
        body = check_document(check, with_controls=False)
        del body["id"]
        one_line = check.title.strip() == check.title and check.title and "\n" not in check.title
        title = {"title": body.pop("title")} if one_line else {}  # else the title stays in the YAML
        resources.append(
            {
                "uuid": ids("check", check.id),
                **title,
                "description": dump_yaml(body).strip(),
                "props": [_prop("check", check.id)],
            }
        )
    metadata: dict[str, Any] = {
        "title": pack.title,
        "last-modified": oscal.timestamp(at),
        "version": pack.version,
        "oscal-version": oscal.OSCAL_VERSION,
        "props": [
            _prop("pack", pack.name),
            *(_prop("remediation-days", str(d), **{"class": s}) for s, d in pack.remediation_days.items()),
            _prop("derived-window-days", str(pack.derived_window_days)),
        ],
        "roles": [{"id": "provider", "title": "Provider of the mapping pack"}],
        "parties": [{"uuid": party, "type": "organization", "name": f"Mission OS {__version__}"}],
    }
    return {
        "component-definition": {
            "uuid": ids("component-definition", pack.version, digest),
            "metadata": metadata,
            "components": components,
            "back-matter": {"resources": resources},
        }
    }
