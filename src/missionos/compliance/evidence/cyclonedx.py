"""CycloneDX 1.x documents: SBOMs in JSON or XML (kind `cyclonedx`), and VEX documents (kind `vex`).

An SBOM gives the artifact it describes, its components and their licences. The `vulnerabilities` of either
(an SBOM's, or a VEX document's) give the open findings and the closed statements, by analysis state. XML
is read into the JSON form first, through defusedxml, so both forms take the same path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any
from xml.etree.ElementTree import Element

from missionos.compliance.evidence.common import (
    SEVERITIES,
    Parsed,
    as_array,
    as_object,
    as_string,
    load_json,
    parse_time,
    parser,
    sbom_facts,
    severity_of,
    xml_root,
)
from missionos.errors import FieldError, InputError


def _cyclonedx_licences(component: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for entry in component.get("licenses", []) or []:
        if not isinstance(entry, dict):
            continue
        if entry.get("expression"):
            found.append(str(entry["expression"]))
        lic = entry.get("license") or {}
        if isinstance(lic, dict) and (lic.get("id") or lic.get("name")):
            found.append(str(lic.get("id") or lic.get("name")))
    return found


@parser("cyclonedx")
def parse_cyclonedx(raw: bytes, source: str) -> Parsed:
    """A CycloneDX 1.x SBOM, JSON or XML (told apart by the first character): the artifact it describes, its
    components and their licences. XML is read into the JSON form first, so both take the same path."""
    if raw.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return _cyclonedx_document(_cyclonedx_xml(raw, source), source)
    return _cyclonedx_document(as_object(load_json(raw, source), "$", source), source)


def _cyclonedx_document(doc: dict[str, Any], source: str) -> Parsed:
    if doc.get("bomFormat") != "CycloneDX":
        raise FieldError("bomFormat", "'CycloneDX'", source=source)
    version = as_string(doc.get("specVersion"), "specVersion", source)
    if not version.startswith("1."):
        raise FieldError("specVersion", "a CycloneDX 1.x version", source=source)
    metadata = as_object(doc.get("metadata", {}), "metadata", source)
    produced = (
        parse_time(metadata["timestamp"], "metadata.timestamp", source) if "timestamp" in metadata else None
    )
    main = metadata.get("component") or {}
    subject = (
        f"{main.get('name')}@{main.get('version')}" if isinstance(main, dict) and main.get("name") else None
    )
    packages = []
    for i, comp_ in enumerate(as_array(doc.get("components", []), "components", source)):
        comp = as_object(comp_, f"components[{i}]", source)
        packages.append(
            {
                "name": as_string(comp.get("name"), f"components[{i}].name", source),
                "version": str(comp.get("version", "")),
                "purl": str(comp.get("purl", "")),
                "licences": _cyclonedx_licences(comp),
            }
        )
    if not packages and doc.get("vulnerabilities"):
        raise InputError(
            "a CycloneDX document with vulnerabilities but no components is a VEX document; "
            "add it as kind vex (--kind vex)",
            source=source,
        )
    facts = sbom_facts("CycloneDX", version, subject, packages)
    return Parsed({**facts, **cyclonedx_vulnerabilities(doc, source)}, produced)


# -- vulnerabilities in CycloneDX (an SBOM's `vulnerabilities`, or a VEX document) --------------------------

# CycloneDX analysis states (1.4+): these close a finding; `not_affected` does only with a justification.
CLOSING_STATES = ("resolved", "resolved_with_pedigree", "false_positive")
OPEN_STATES = ("exploitable", "in_triage")
ANALYSIS_STATES = (*CLOSING_STATES, *OPEN_STATES, "not_affected")
RATING_SEVERITIES = ("critical", "high", "medium", "low", "info", "none", "unknown")


def _rated_severity(ratings: list[Any], path: str, source: str) -> str:
    """The worst severity the ratings give (a rating with only a score is banded like a CVSS score). A
    vulnerability nobody has rated counts as high until it is: open items fail closed."""
    found: list[str] = []
    for j, rating_ in enumerate(ratings):
        rating = as_object(rating_, f"{path}.ratings[{j}]", source)
        sev = rating.get("severity")
        if sev is not None and sev not in RATING_SEVERITIES:
            raise FieldError(
                f"{path}.ratings[{j}].severity", f"one of {', '.join(RATING_SEVERITIES)}", source=source
            )
        if sev in SEVERITIES:
            found.append(str(sev))
        elif sev in (None, "unknown") and isinstance(rating.get("score"), int | float):
            found.append(severity_of(float(rating["score"]), None) if rating["score"] > 0 else "low")
        elif sev in ("info", "none"):
            found.append("low")
    return min(found, key=SEVERITIES.index) if found else "high"


def _affected_refs(vuln: Mapping[str, Any], path: str, source: str, product: str) -> list[str]:
    """The components a vulnerability affects, by bom-ref (a BOM-Link `urn:cdx:serial/version#ref` is
    kept as its `ref`, which stays the same across versions of the BOM)."""
    refs = []
    for j, affect_ in enumerate(as_array(vuln.get("affects", []), f"{path}.affects", source)):
        affect = as_object(affect_, f"{path}.affects[{j}]", source)
        ref = as_string(affect.get("ref"), f"{path}.affects[{j}].ref", source)
        refs.append(ref.split("#", 1)[1] if ref.startswith("urn:cdx:") and "#" in ref else ref)
    return refs or [product]


def cyclonedx_vulnerabilities(doc: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The open findings and the closed statements of a CycloneDX document's `vulnerabilities`.

    One finding per vulnerability and affected component, identified by both. `not_affected` with a
    justification, `resolved` and `false_positive` close it; `exploitable`, `in_triage`, no analysis, or
    `not_affected` without a justification keep it open.
    """
    main = (doc.get("metadata") or {}).get("component") or {}
    product = str(main.get("bom-ref") or main.get("name") or "") if isinstance(main, dict) else ""
    findings: list[dict[str, Any]] = []
    closed: list[dict[str, Any]] = []
    for i, vuln_ in enumerate(as_array(doc.get("vulnerabilities", []), "vulnerabilities", source)):
        path = f"vulnerabilities[{i}]"
        vuln = as_object(vuln_, path, source)
        vid = as_string(vuln.get("id"), f"{path}.id", source)
        analysis = as_object(vuln.get("analysis", {}), f"{path}.analysis", source)
        state = analysis.get("state")
        if state is not None and state not in ANALYSIS_STATES:
            raise FieldError(f"{path}.analysis.state", f"one of {', '.join(ANALYSIS_STATES)}", source=source)
        justification = analysis.get("justification")
        shut = state in CLOSING_STATES or (state == "not_affected" and bool(justification))
        severity = _rated_severity(as_array(vuln.get("ratings", []), f"{path}.ratings", source), path, source)
        first = analysis.get("firstIssued")
        stated = parse_time(first, f"{path}.analysis.firstIssued", source).isoformat() if first else None
        text = str(vuln.get("description") or analysis.get("detail") or "")
        for ref in _affected_refs(vuln, path, source, product):
            if shut:
                closed.append({"rule": vid, "location": ref, "state": state, "justification": justification})
                continue
            findings.append(
                {
                    "rule": vid,
                    "severity": severity,
                    "location": ref,
                    "message": text[:300],
                    "first_seen": stated,
                    "fingerprint": f"{vid}:{ref}",
                    "state": state or "not analysed",
                }
            )
    by_severity = Counter(f["severity"] for f in findings)
    return {
        "findings": findings,
        "closed": closed[:500],
        "by_severity": {s: by_severity.get(s, 0) for s in SEVERITIES},
    }


@parser("vex")
def parse_vex(raw: bytes, source: str) -> Parsed:
    """A CycloneDX VEX document (CycloneDX 1.4+ JSON with `vulnerabilities`): which vulnerabilities affect
    the product, with their analysis state."""
    doc = as_object(load_json(raw, source), "$", source)
    if doc.get("bomFormat") != "CycloneDX":
        raise FieldError("bomFormat", "'CycloneDX'", source=source)
    version = as_string(doc.get("specVersion"), "specVersion", source)
    if not version.startswith("1."):
        raise FieldError("specVersion", "a CycloneDX 1.x version", source=source)
    if not isinstance(doc.get("vulnerabilities"), list):
        raise FieldError("vulnerabilities", "an array of vulnerabilities (a VEX document)", source=source)
    metadata = as_object(doc.get("metadata", {}), "metadata", source)
    produced = (
        parse_time(metadata["timestamp"], "metadata.timestamp", source) if "timestamp" in metadata else None
    )
    main = metadata.get("component") or {}
    product = (
        f"{main.get('name')}@{main.get('version')}" if isinstance(main, dict) and main.get("name") else None
    )
    facts = {"format": "CycloneDX VEX", "spec_version": version, "artifact": product}
    return Parsed({**facts, **cyclonedx_vulnerabilities(doc, source)}, produced)


# -- CycloneDX XML, read into the JSON form ----------------------------------------------------------------

CYCLONEDX_NS = "http://cyclonedx.org/schema/bom/"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(el: Element, name: str) -> Element | None:
    return next((c for c in el if _local(c.tag) == name), None)


def _children(el: Element | None, name: str) -> list[Element]:
    return [] if el is None else [c for c in el if _local(c.tag) == name]


def _text(el: Element | None, name: str) -> str | None:
    found = None if el is None else _child(el, name)
    return None if found is None or found.text is None else found.text.strip()


def _cyclonedx_xml(raw: bytes, source: str) -> dict[str, Any]:
    """A CycloneDX XML BOM (any 1.x namespace) in the JSON form's shape, for the fields the facts use."""
    root = xml_root(raw, source)
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if _local(root.tag) != "bom" or not namespace.startswith(CYCLONEDX_NS):
        raise InputError(
            f"root element is <{_local(root.tag)}> in namespace {namespace or '(none)'!r}; "
            f"expected a CycloneDX <bom> in {CYCLONEDX_NS}1.x",
            source=source,
        )
    doc: dict[str, Any] = {"bomFormat": "CycloneDX", "specVersion": namespace.removeprefix(CYCLONEDX_NS)}
    metadata = _child(root, "metadata")
    if metadata is not None:
        doc["metadata"] = {}
        if _text(metadata, "timestamp"):
            doc["metadata"]["timestamp"] = _text(metadata, "timestamp")
        main = _child(metadata, "component")
        if main is not None:
            doc["metadata"]["component"] = {"name": _text(main, "name"), "version": _text(main, "version")}
    doc["components"] = [_xml_component(c) for c in _children(_child(root, "components"), "component")]
    vulnerabilities = [
        _xml_vulnerability(v) for v in _children(_child(root, "vulnerabilities"), "vulnerability")
    ]
    if vulnerabilities:
        doc["vulnerabilities"] = vulnerabilities
    return doc


def _xml_component(el: Element) -> dict[str, Any]:
    licences: list[dict[str, Any]] = []
    for entry in _children(_child(el, "licenses"), "license"):
        licences.append({"license": {k: v for k in ("id", "name") if (v := _text(entry, k))}})
    for entry in _children(_child(el, "licenses"), "expression"):
        licences.append({"expression": (entry.text or "").strip()})
    out: dict[str, Any] = {"type": el.get("type", ""), "name": _text(el, "name"), "licenses": licences}
    for key in ("version", "purl", "group"):
        if _text(el, key) is not None:
            out[key] = _text(el, key)
    if el.get("bom-ref"):
        out["bom-ref"] = el.get("bom-ref")
    return out


def _xml_vulnerability(el: Element) -> dict[str, Any]:
    """A CycloneDX XML vulnerability in the JSON form: id, ratings, analysis and what it affects."""
    out: dict[str, Any] = {"id": _text(el, "id")}
    if el.get("bom-ref"):
        out["bom-ref"] = el.get("bom-ref")
    ratings = []
    for rating in _children(_child(el, "ratings"), "rating"):
        found: dict[str, Any] = {k: v for k in ("severity", "method") if (v := _text(rating, k))}
        score = _text(rating, "score")
        if score is not None:
            try:
                found["score"] = float(score)
            except ValueError:
                found["score"] = score  # kept as written; a reader of scores reports it
        ratings.append(found)
    if ratings:
        out["ratings"] = ratings
    analysis = _child(el, "analysis")
    if analysis is not None:
        out["analysis"] = {k: v for k in ("state", "justification", "detail") if (v := _text(analysis, k))}
    affects = [{"ref": _text(t, "ref")} for t in _children(_child(el, "affects"), "target")]
    if affects:
        out["affects"] = affects
    return out
