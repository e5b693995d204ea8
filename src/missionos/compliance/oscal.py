"""OSCAL out (SSP, assessment plan, assessment results, POA&M) and in (component definitions, results).

Output is deterministic: every uuid is a UUIDv5 of the system, the moment of assessment and what it names,
and every time stamp is the moment of assessment, so the same assessment always writes the same bytes.
Every `*-uuid` written points at something in the same document (`dangling_references` checks it).

The documents form one package that stands alone: the SSP imports `profile.json` (the baseline, importing
`catalog.json`), the assessment plan and the POA&M import `ssp.json`, the assessment results import
`assessment-plan.json`, and evidence links name the raw files by the path the evidence store uses
(`evidence/<sha256[:2]>/<sha256>`), all relative to the documents (`PACKAGE` names the files).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from missionos import __version__, safeload
from missionos.compliance.assess import ControlResult, Finding, LeveragedAuthorization, Result
from missionos.compliance.catalog import Baseline, parse_catalog
from missionos.compliance.pack import Pack
from missionos.compliance.rules import component_rules
from missionos.errors import FieldError, InputError

OSCAL_VERSION = "1.2.1"
NS = "https://missionos.dev/ns/oscal"
_ROOT = uuid.UUID("6f0f5a52-5a3e-4d0e-9a0e-3f3c1b8e4d21")
_METHOD = {"attestation": "INTERVIEW"}
# The files of an OSCAL package, written side by side; every import is a relative href to one of them.
SSP_FILE, AP_FILE, AR_FILE, POAM_FILE = (
    "ssp.json",
    "assessment-plan.json",
    "assessment-results.json",
    "poam.json",
)
PROFILE_FILE, CATALOG_FILE = "profile.json", "catalog.json"
PACKAGE = (SSP_FILE, AP_FILE, AR_FILE, POAM_FILE, PROFILE_FILE, CATALOG_FILE)


def evidence_href(sha256: str) -> str:
    """Where a raw evidence file sits in a package: the evidence store's own layout, relative."""
    return f"evidence/{sha256[:2]}/{sha256}"


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(_ROOT, "|".join(str(p) for p in parts)))


def _ts(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


stable_uuid = _uuid  # UUIDv5 of the parts, under Mission OS's namespace
timestamp = _ts  # an OSCAL date-time in UTC


def _metadata(title: str, moment: dt.datetime, *, party: str) -> dict[str, Any]:
    return {
        "title": title,
        "last-modified": _ts(moment),
        "version": _ts(moment),
        "oscal-version": OSCAL_VERSION,
        "roles": [{"id": "assessor", "title": "Continuous assessment (Mission OS)"}],
        "parties": [{"uuid": party, "type": "organization", "name": f"Mission OS {__version__}"}],
        "responsible-parties": [{"role-id": "assessor", "party-uuids": [party]}],
    }


def _state(status: str) -> str:
    return "satisfied" if status in ("satisfied", "inherited", "not-applicable") else "not-satisfied"


@dataclass
class _Ids:
    system: str
    at: dt.datetime

    def __call__(self, *parts: object) -> str:
        return _uuid(self.system, _ts(self.at), *parts)


def _components(ids: _Ids, services: tuple[str, ...], system: str) -> list[dict[str, Any]]:
    return [
        {
            "uuid": ids("component", name),
            "type": "this-system" if name == system else "software",
            "title": name,
            "description": f"The {name} {'system' if name == system else 'service'}.",
            "status": {"state": "operational"},
        }
        for name in (system, *services)
    ]


def _evidence_resources(ids: _Ids, result: Result) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """One back-matter resource per evidence record referenced, keyed by its reference key."""
    resources: list[dict[str, Any]] = []
    by_key: dict[str, str] = {}
    for control in result.controls:
        for ev in control.evidence:
            key = _ev_key(ev)
            if key in by_key:
                continue
            res_uuid = ids("evidence", key)
            by_key[key] = res_uuid
            resource: dict[str, Any] = {
                "uuid": res_uuid,
                "title": f"{ev['kind']} evidence for {ev['subject']}",
                "description": f"Collected {ev['collected_at']} from {ev['source'] or 'the pipeline'}.",
                "props": [{"name": "type", "value": "evidence"}],
            }
            if ev.get("sha256"):
                resource["rlinks"] = [
                    {
                        "href": evidence_href(ev["sha256"]),
                        "hashes": [{"algorithm": "SHA-256", "value": ev["sha256"]}],
                    }
                ]
            resources.append(resource)
    return resources, by_key


def _ev_key(ev: Mapping[str, Any]) -> str:
    return f"{ev['kind']}|{ev['subject']}|{ev.get('id')}|{ev['collected_at']}"


def _observations(
    ids: _Ids, result: Result, resources: dict[str, str]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    observations: list[dict[str, Any]] = []
    by_key: dict[str, str] = {}
    for control in result.controls:
        for ev in control.evidence:
            key = _ev_key(ev)
            if key in by_key:
                continue
            obs = ids("observation", key)
            by_key[key] = obs
            observations.append(
                {
                    "uuid": obs,
                    "title": f"{ev['kind']} for {ev['subject']}",
                    "description": f"{ev['kind']} evidence about {ev['subject']}, "
                    f"collected {ev['collected_at']}.",
                    "methods": [_METHOD.get(ev["kind"], "TEST")],
                    "types": ["control-objective"],
                    "relevant-evidence": [
                        {"href": f"#{resources[key]}", "description": f"{ev['kind']} record {ev.get('id')}"}
                    ],
                    "collected": ev["collected_at"].replace("+00:00", "Z"),
                    **({"expires": ev["expires_at"].replace("+00:00", "Z")} if ev.get("expires_at") else {}),
                }
            )
    return observations, by_key


def _deadline(f: Finding) -> dt.datetime:
    return f.deadline or f.first_seen + dt.timedelta(
        days={"critical": 30, "high": 30, "low": 180}.get(f.severity, 90)
    )


def _risk(ids: _Ids, f: Finding, at: dt.datetime) -> dict[str, Any]:
    if f.kind == "vulnerability":
        statement = (
            f"Open {f.severity} vulnerability {f.rule} in {f.subject}"
            + (f" at {f.location}" if f.location else "")
            + f", to be remediated by {_deadline(f):%Y-%m-%d}."
        )
    else:
        statement = f"Until remediated, control {f.control.upper()} is not met for {f.subject}."
    props = [
        {"name": "priority", "ns": NS, "value": f.severity},
        {"name": "first-seen", "ns": NS, "value": _ts(f.first_seen)},
        {"name": "finding-kind", "ns": NS, "value": f.kind},
        {"name": "overdue", "ns": NS, "value": "true" if f.overdue else "false"},
    ]
    if f.rule:
        props.append({"name": "rule", "ns": NS, "value": f.rule})
    return {
        "uuid": ids("risk", f.key),
        "title": f.title,
        "description": f.description or f.title,
        "statement": statement,
        "props": props,
        "status": "open",
        "deadline": _ts(_deadline(f)),
    }


def _finding(ids: _Ids, c: ControlResult, observations: dict[str, str]) -> dict[str, Any]:
    target: dict[str, Any] = {
        "type": "objective-id",
        "target-id": f"{c.control}_obj",
        "status": {
            "state": _state(c.status),
            **({"reason": "fail"} if _state(c.status) != "satisfied" else {}),
        },
    }
    props = [{"name": "assessment-status", "ns": NS, "value": c.status}]
    items = c.open_items()
    if items:
        target["status"]["remarks"] = c.status_text().capitalize() + "."
        props.append({"name": "open-items", "ns": NS, "value": str(len(items))})
        nxt = c.next_deadline()
        if nxt:
            props.append({"name": "next-deadline", "ns": NS, "value": _ts(nxt)})
    out: dict[str, Any] = {
        "uuid": ids("finding", c.control),
        "title": f"{c.label} {c.title}",
        "description": (c.status_text().capitalize() + ". " if items else "") + (c.reason or c.status),
        "props": props,
        "target": target,
    }
    related = list(dict.fromkeys(observations[_ev_key(ev)] for ev in c.evidence))
    if related:
        out["related-observations"] = [{"observation-uuid": o} for o in related]
    if c.findings:
        out["related-risks"] = [{"risk-uuid": ids("risk", f.key)} for f in c.findings]
    return out


def assessment_results(
    result: Result, baseline: Baseline, pack: Pack, services: tuple[str, ...]
) -> dict[str, Any]:
    """An OSCAL assessment-results document for one assessment."""
    ids = _Ids(result.system, result.assessed_at)
    party = ids("party")
    resources, res_by_key = _evidence_resources(ids, result)
    observations, obs_by_key = _observations(ids, result, res_by_key)
    findings = [_finding(ids, c, obs_by_key) for c in result.controls]
    risks = [_risk(ids, f, result.assessed_at) for f in result.findings()]
    body: dict[str, Any] = {
        "uuid": ids("assessment-results"),
        "metadata": _metadata(f"Continuous assessment of {result.system}", result.assessed_at, party=party),
        "import-ap": {"href": AP_FILE},
        "local-definitions": {
            "activities": [
                {
                    "uuid": ids("activity"),
                    "title": "Automated checks over pipeline evidence",
                    "description": f"The checks of mapping pack {pack.label}, run over each service's newest "
                    "unexpired evidence.",
                }
            ]
        },
        "results": [
            {
                "uuid": ids("result"),
                "title": f"{result.system} against {baseline.title}",
                "description": f"Status of every control of the {baseline.name} baseline, "
                "from pipeline evidence, "
                f"delivery records and human attestations (pack {pack.label}).",
                "start": _ts(result.assessed_at),
                "end": _ts(result.assessed_at),
                "props": [
                    {"name": f"controls-{k.replace('_', '-')}", "ns": NS, "value": str(v)}
                    for k, v in result.counts().items()
                ],
                "local-definitions": {"components": _components(ids, services, result.system)},
                "reviewed-controls": {
                    "control-selections": [
                        {"include-controls": [{"control-id": c.control} for c in result.controls]}
                    ]
                },
                "attestations": [
                    {
                        "responsible-parties": [{"role-id": "assessor", "party-uuids": [party]}],
                        "parts": [
                            {
                                "name": "summary",
                                "prose": ", ".join(
                                    f"{v} {k.replace('_', ' ')}" for k, v in result.counts().items()
                                ),
                            }
                        ],
                    }
                ],
                **({"observations": observations} if observations else {}),
                **({"risks": risks} if risks else {}),
                "findings": findings,
            }
        ],
    }
    if resources:
        body["back-matter"] = {"resources": resources}
    return {"assessment-results": body}


def poam(result: Result, services: tuple[str, ...]) -> dict[str, Any]:
    """An OSCAL plan-of-action-and-milestones document: one item per open finding."""
    ids = _Ids(result.system, result.assessed_at)
    party = ids("party")
    open_findings = sorted(result.findings(), key=lambda f: (f.first_seen, f.key))
    items = [
        {
            "uuid": ids("poam-item", f.key),
            "title": f.title if f.kind == "vulnerability" else f"{f.control.upper()}: {f.title}",
            "description": f.description,
            "props": [
                {"name": "first-seen", "ns": NS, "value": _ts(f.first_seen)},
                {"name": "age-days", "ns": NS, "value": str((result.assessed_at - f.first_seen).days)},
                {"name": "deadline", "ns": NS, "value": _ts(_deadline(f))},
                {"name": "overdue", "ns": NS, "value": "true" if f.overdue else "false"},
            ],
            "related-risks": [{"risk-uuid": ids("risk", f.key)}],
        }
        for f in open_findings
    ]
    body: dict[str, Any] = {
        "uuid": ids("poam"),
        "metadata": _metadata(
            f"Plan of action and milestones for {result.system}", result.assessed_at, party=party
        ),
        "import-ssp": {"href": SSP_FILE},
        "system-id": {"identifier-type": NS, "id": result.system},
        "local-definitions": {"components": _components(ids, services, result.system)},
        "poam-items": items,
    }
    if open_findings:
        body["risks"] = [_risk(ids, f, result.assessed_at) for f in open_findings]
    return {"plan-of-action-and-milestones": body}


def set_parameters(control: str, pack: Pack) -> list[dict[str, Any]]:
    """The parameter values the pack sets for `control`, as an implemented requirement's `set-parameters`."""
    values = dict(pack.parameters_for(control))
    return [{"param-id": pid, "values": list(vals)} for pid, vals in sorted(values.items())]


def ssp(
    system: str,
    description: str,
    services: tuple[str, ...],
    provider: str | None,
    baseline: Baseline,
    pack: Pack,
    at: dt.datetime,
    authorization: LeveragedAuthorization | None = None,
) -> dict[str, Any]:
    """A system security plan: system, components, the pack's implementation statements and parameter values,
    and the leveraged authorization behind inherited controls. It imports `profile.json` (`PACKAGE`)."""
    ids = _Ids(system, at)
    party = ids("party")
    metadata = _metadata(f"System security plan for {system}", at, party=party)
    components = _components(ids, services, system)
    this = components[0]["uuid"]
    leveraged: list[dict[str, Any]] = []
    if provider:
        provider_component: dict[str, Any] = {
            "uuid": ids("component", "provider", provider),
            "type": "service",
            "title": provider,
            "description": f"The platform {provider}, which provides inherited controls.",
            "status": {"state": "operational"},
        }
        if authorization is not None:
            lev = ids("leveraged-authorization", provider)
            provider_party = ids("party", "provider", provider)
            metadata["parties"].append({"uuid": provider_party, "type": "organization", "name": provider})
            leveraged.append(
                {
                    "uuid": lev,
                    "title": authorization.title,
                    "party-uuid": provider_party,
                    "date-authorized": authorization.date_authorized.isoformat(),
                }
            )
            provider_component["props"] = [{"name": "leveraged-authorization-uuid", "value": lev}]
        components.append(provider_component)
    inherited = pack.inherited.get(provider or "", {})
    reqs = []
    for control in baseline.controls:
        by_provider = bool(provider) and control.id in inherited and not pack.checks_for(control.id)
        reqs.append(
            {
                "uuid": ids("requirement", control.id),
                "control-id": control.id,
                **({"set-parameters": params} if (params := set_parameters(control.id, pack)) else {}),
                "by-components": [
                    _by_component(ids, control.id, pack, provider, authorization, components[-1]["uuid"])
                    if by_provider
                    else _by_component(ids, control.id, pack, None, None, this)
                ],
            }
        )
    level = {"low": "fips-199-low", "high": "fips-199-high"}.get(baseline.name, "fips-199-moderate")
    implementation: dict[str, Any] = {
        **({"leveraged-authorizations": leveraged} if leveraged else {}),
        "users": [{"uuid": ids("user", "developer"), "title": "Developers of the system's services"}],
        "components": components,
    }
    body = {
        "uuid": ids("ssp"),
        "metadata": metadata,
        "import-profile": {"href": PROFILE_FILE},
        "system-characteristics": {
            "system-ids": [{"identifier-type": NS, "id": system}],
            "system-name": system,
            "description": description or f"The {system} system.",
            "security-sensitivity-level": level,
            "system-information": {
                "information-types": [
                    {
                        "uuid": ids("information-type"),
                        "title": "System information",
                        "description": "To be categorized by the system owner (FIPS 199, SP 800-60).",
                        "confidentiality-impact": {"base": level},
                        "integrity-impact": {"base": level},
                        "availability-impact": {"base": level},
                    }
                ]
            },
            "security-impact-level": {
                "security-objective-confidentiality": level,
                "security-objective-integrity": level,
                "security-objective-availability": level,
            },
            "status": {"state": "operational"},
            "authorization-boundary": {
                "description": f"The services {', '.join(services)}"
                + (f", on the platform {provider}" if provider else "")
                + "."
            },
        },
        "system-implementation": implementation,
        "control-implementation": {
            "description": f"How {system} meets the {baseline.name} baseline, "
            f"from mapping pack {pack.label}.",
            "implemented-requirements": reqs,
        },
    }
    return {"system-security-plan": body}


def _by_component(
    ids: _Ids,
    control: str,
    pack: Pack,
    provider: str | None,
    authorization: LeveragedAuthorization | None,
    component: str,
) -> dict[str, Any]:
    """How one component implements `control`: the pack's statement, and whether it is in place. An
    inherited control is implemented only under a recorded leveraged authorization of its provider."""
    statement = pack.statement(control, provider)
    if provider and authorization is None:
        statement += (
            f" No leveraged authorization of {provider} is recorded, so the inheritance cannot be relied on "
            "until the system names it."
        )
        state = "planned"
    elif provider and authorization is not None:
        statement += f" Leveraged authorization: {authorization.title} ({authorization.date_authorized})."
        state = "implemented"
    else:
        state = "implemented" if statement else "planned"
    return {
        "component-uuid": component,
        "uuid": ids("by-component", control),
        "description": statement
        or "To be described: no automated check or inheritance covers this control; a person attests how "
        "it is met.",
        "implementation-status": {"state": state},
    }


def assessment_plan(
    system: str, baseline: Baseline, pack: Pack, controls: Sequence[str], at: dt.datetime
) -> dict[str, Any]:
    """The assessment plan the results import: the mapping pack's checks as activities over the baseline's
    controls, run continuously over pipeline evidence. It imports `ssp.json`."""
    ids = _Ids(system, at)
    party = ids("party")
    in_scope = set(controls)
    activities = []
    for check in pack.checks:
        mine = [c for c in check.controls if c in in_scope]
        activity: dict[str, Any] = {
            "uuid": ids("activity", check.id),
            "title": check.title,
            "description": f"Check {check.id}: the newest unexpired {' or '.join(check.evidence)} evidence "
            f"of each {check.per}, no older than {check.max_age_days} days, must meet: "
            + ("; ".join(str(c) for c in check.require) or "its presence")
            + ".",
            "props": [{"name": "method", "value": "TEST"}],
        }
        if mine:
            activity["related-controls"] = {
                "control-selections": [{"include-controls": [{"control-id": c} for c in mine]}]
            }
        activities.append(activity)
    body: dict[str, Any] = {
        "uuid": ids("assessment-plan"),
        "metadata": _metadata(f"Continuous assessment plan for {system}", at, party=party),
        "import-ssp": {"href": SSP_FILE},
        **({"local-definitions": {"activities": activities}} if activities else {}),
        "terms-and-conditions": {
            "parts": [
                {
                    "name": "methodology",
                    "title": "Continuous assessment from pipeline evidence",
                    "prose": f"Every control of the {baseline.name} baseline is assessed on every change "
                    f"and at least weekly by the checks of mapping pack {pack.label} over each service's "
                    "newest unexpired evidence; controls no check covers are assessed by a named person's "
                    "attestation.",
                }
            ]
        },
        "reviewed-controls": {
            "control-selections": [{"include-controls": [{"control-id": c} for c in controls]}]
        },
        "assessment-subjects": [{"type": "component", "include-all": {}}],
    }
    return {"assessment-plan": body}


def write(doc: Mapping[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def write_package(files: Mapping[str, bytes], out: Path) -> list[Path]:
    """Write an OSCAL package's files (relative path -> content) under `out`, side by side."""
    written = []
    for rel, content in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written.append(path)
    return written


# -- references --------------------------------------------------------------------------------------------


def _walk(node: Any, path: str = "$") -> Iterator[tuple[str, str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")


def dangling_references(doc: Mapping[str, Any]) -> list[str]:
    """Every `*-uuid` (or list of them) and `#uuid` href that names nothing defined in the document."""
    defined = {v for _p, k, v in _walk(doc) if k == "uuid" and isinstance(v, str)}
    dangling = []
    for path, key, value in _walk(doc):
        refs: list[str] = []
        if key.endswith("-uuid") and isinstance(value, str):
            refs = [value]
        elif key.endswith("-uuids") and isinstance(value, list):
            refs = [v for v in value if isinstance(v, str)]
        elif key == "href" and isinstance(value, str) and value.startswith("#"):
            refs = [value[1:]]
        dangling += [f"{path}.{key} -> {r}" for r in refs if r not in defined]
    return dangling


# -- reading OSCAL from other tools ------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportedComponent:
    title: str
    type: str
    controls: dict[str, str]  # control id -> description
    rules: tuple[str, ...] = ()  # the Rule_Ids it declares (compliance-trestle's convention)


def load(path: Path) -> dict[str, Any]:
    """One OSCAL JSON document, checked to hold one model at the top level."""
    try:
        doc = safeload.loads_json(path.read_bytes(), source=str(path))
    except FileNotFoundError:
        raise InputError("no such file", source=str(path)) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", source=str(path), line=exc.lineno) from None
    if not isinstance(doc, dict) or len(doc) != 1:
        raise InputError("expected one OSCAL model at the top level", source=str(path))
    return doc


def read_component_definition(doc: Mapping[str, Any], *, source: str) -> list[ImportedComponent]:
    """The components of an OSCAL component definition and the controls each implements."""
    body = doc.get("component-definition")
    if not isinstance(body, dict):
        raise FieldError("component-definition", "an OSCAL component definition", source=source)
    out = []
    for i, comp in enumerate(body.get("components", [])):
        if not isinstance(comp, dict) or not comp.get("title"):
            raise FieldError(f"components[{i}].title", "a component title", source=source)
        controls: dict[str, str] = {}
        for impl in comp.get("control-implementations", []):
            for req in impl.get("implemented-requirements", []):
                if not isinstance(req.get("control-id"), str):
                    raise FieldError(
                        f"components[{i}].implemented-requirements", "a control-id", source=source
                    )
                controls[req["control-id"]] = str(req.get("description", ""))
        rules = tuple(component_rules(comp, where=f"components[{i}]", source=source))
        out.append(ImportedComponent(comp["title"], str(comp.get("type", "")), controls, rules))
    return out


def statuses_from_assessment_results(doc: Mapping[str, Any], *, source: str) -> dict[str, str]:
    """Per control, `satisfied` or `not-satisfied` from the findings of the last result of an AR document."""
    body = doc.get("assessment-results")
    if not isinstance(body, dict) or not isinstance(body.get("results"), list) or not body["results"]:
        raise FieldError("assessment-results.results", "at least one result", source=source)
    statuses: dict[str, str] = {}
    for finding in body["results"][-1].get("findings", []):
        target = finding.get("target", {})
        ctl = str(target.get("target-id", "")).split("_", 1)[0]
        state = (target.get("status") or {}).get("state")
        if state not in ("satisfied", "not-satisfied") or not ctl:
            raise FieldError("findings[].target", "a target-id and a status state", source=source)
        mine = next(
            (p["value"] for p in finding.get("props", ()) if p.get("name") == "assessment-status"), None
        )
        statuses[ctl] = mine or state
    return statuses


@dataclass(frozen=True)
class Imported:
    model: str
    title: str
    summary: dict[str, Any]


def read_oscal(path: Path) -> Imported:
    """Load any OSCAL JSON document another tool wrote, and summarize what Mission OS can use from it."""
    doc = load(path)
    ((model, body),) = doc.items()
    title = str((body.get("metadata") or {}).get("title", "")) if isinstance(body, dict) else ""
    src = str(path)
    if model == "component-definition":
        comps = read_component_definition(doc, source=src)
        summary: dict[str, Any] = {
            "components": [
                {"title": c.title, "type": c.type, "controls": sorted(c.controls), "rules": list(c.rules)}
                for c in comps
            ]
        }
        if not any(c.rules for c in comps):
            summary["rules"] = (
                "none: no component declares a Rule_Id, so its controls are not linked to checks "
                "(`compliance pack from-oscal` needs rules that name checks)"
            )
        return Imported(model, title, summary)
    if model == "assessment-results":
        found: dict[str, int] = {}
        for r in body.get("results", []):
            for f in r.get("findings", []):
                state = (f.get("target", {}).get("status") or {}).get("state", "unknown")
                found[state] = found.get(state, 0) + 1
        return Imported(model, title, {"results": len(body.get("results", [])), "findings": found})
    if model == "catalog":
        cat = parse_catalog(doc, source=src)
        return Imported(model, title, {"controls": len(cat.controls), "families": len(cat.families)})
    if model in ("profile", "system-security-plan", "assessment-plan", "plan-of-action-and-milestones"):
        key = {
            "profile": "imports",
            "system-security-plan": "control-implementation",
            "assessment-plan": "reviewed-controls",
            "plan-of-action-and-milestones": "poam-items",
        }[model]
        if not isinstance(body, dict) or key not in body:
            raise FieldError(f"{model}.{key}", f"the {key} of an OSCAL {model}", source=src)
        size = len(body[key]) if isinstance(body[key], list) else 1
        return Imported(model, title, {key: size})
    raise InputError(f"unknown OSCAL model {model!r}", source=src)
