"""Evidence files parsed into facts (metrics.md §5).

Each kind has one parser that registers itself in `PARSERS`; adding a scanner format is one function here and
nothing else changes. A parser takes the raw bytes and the file name and returns `Parsed`: the facts, and
the time the artifact says it was produced (if it says). It raises `InputError` naming the file, the line
(for XML and JSON syntax errors) or the field, and what was expected; nothing is stored when it does.

The JSON formats (SARIF 2.1.0, CycloneDX 1.x, SPDX 2.x, in-toto statements with SLSA provenance) are read
with the standard library and checked field by field against what their specifications require: the facts
need a few fields, and a strict reader gives better messages than a general object model. JUnit XML goes
through `defusedxml`, so entity-expansion and external-entity tricks are refused. SPDX is also read in its
tag-value form.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from missionos import safeload, times
from missionos.compliance.trust import source_repository
from missionos.errors import FieldError, InputError, TooLargeError

SEVERITIES = ("critical", "high", "medium", "low")


@dataclass(frozen=True)
class Parsed:
    """What an evidence file says: its facts, and when it was produced (when the file records it)."""

    facts: dict[str, Any]
    produced_at: dt.datetime | None = None


Parser = Callable[[bytes, str], Parsed]
PARSERS: dict[str, Parser] = {}


def parser(kind: str) -> Callable[[Parser], Parser]:
    """Register `fn` as the parser for evidence `kind`."""

    def wrap(fn: Parser) -> Parser:
        PARSERS[kind] = fn
        return fn

    return wrap


def kinds() -> list[str]:
    return sorted(PARSERS)


DEFAULT_MAX_MB = 50
# The most findings one scan's stored facts keep (the worst first); the counts cover all of them, and the raw
# file is kept whole.
MAX_FINDINGS = 1000


def max_bytes() -> int:
    """The largest evidence file accepted: `MISSIONOS_EVIDENCE_MAX_MB` megabytes (default 50)."""
    text = os.environ.get("MISSIONOS_EVIDENCE_MAX_MB", "").strip()
    if not text:
        return DEFAULT_MAX_MB * 1_000_000
    try:
        mb = float(text)
    except ValueError:
        raise FieldError("MISSIONOS_EVIDENCE_MAX_MB", "a positive number of megabytes, e.g. 50") from None
    if mb <= 0:
        raise FieldError("MISSIONOS_EVIDENCE_MAX_MB", "a positive number of megabytes, e.g. 50")
    return int(mb * 1_000_000)


def check_size(size: int, source: str) -> None:
    """Refuse a file over the evidence size limit before it is read or parsed."""
    limit = max_bytes()
    if size > limit:
        raise TooLargeError(
            f"the file is {size / 1e6:.1f} MB; evidence files may be at most {limit / 1e6:g} MB "
            "(MISSIONOS_EVIDENCE_MAX_MB)",
            source=source,
        )


def parse(kind: str, raw: bytes, source: str) -> Parsed:
    """Parse `raw` as evidence of `kind`, or raise an error naming `source` and what was expected."""
    fn = PARSERS.get(kind)
    if fn is None:
        raise FieldError("--kind", f"one of {', '.join(kinds())}")
    check_size(len(raw), source)
    if not raw.strip():
        raise InputError(f"empty file; expected {kind} evidence", source=source)
    return fn(raw, source)


# -- helpers -----------------------------------------------------------------------------------------------


def load_json(raw: bytes, source: str) -> Any:
    """The one place evidence JSON is decoded: every JSON format (and the DSSE envelopes whose signatures are
    checked) goes through here, so limits on what JSON is accepted hold for all of them."""
    return _json(raw, source)


def _json(raw: bytes, source: str) -> Any:
    try:
        return safeload.loads_json(raw, source=source)
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text; expected a JSON document", source=source) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", source=source, line=exc.lineno) from None


def _obj(value: Any, path: str, source: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldError(path, "an object", source=source)
    return value


def _list(value: Any, path: str, source: str) -> list[Any]:
    if not isinstance(value, list):
        raise FieldError(path, "an array", source=source)
    return value


def _str(value: Any, path: str, source: str) -> str:
    if not isinstance(value, str) or not value:
        raise FieldError(path, "a non-empty string", source=source)
    return value


def parse_time(value: Any, path: str, source: str) -> dt.datetime:
    """An RFC 3339 time with an offset (a time without one is refused), in UTC."""
    if not isinstance(value, str):
        raise FieldError(path, "an RFC 3339 date-time", source=source)
    try:
        moment = times.read_iso(value)
    except ValueError:
        raise FieldError(path, "an RFC 3339 date-time, e.g. 2026-01-31T09:00:00Z", source=source) from None
    if moment.tzinfo is None:
        raise FieldError(path, "a date-time with a UTC offset", source=source)
    return moment.astimezone(dt.UTC)


# -- JUnit XML ---------------------------------------------------------------------------------------------


def _int_attr(el: Element, name: str, path: str, source: str) -> int:
    text = el.get(name, "0") or "0"
    try:
        return int(float(text))
    except ValueError:
        raise FieldError(f"{path}@{name}", "a whole number", source=source) from None


@parser("junit")
def parse_junit(raw: bytes, source: str) -> Parsed:
    """JUnit XML (`<testsuites>` or one `<testsuite>`): tests run, failed, errored and skipped."""
    try:
        root = SafeET.fromstring(raw)
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise InputError(f"not well-formed XML ({exc.msg})", source=source, line=line) from None
    except DefusedXmlException as exc:
        raise InputError(f"refused unsafe XML ({type(exc).__name__})", source=source) from None
    if root.tag == "testsuite":
        suites = [root]
    elif root.tag == "testsuites":
        suites = list(root.iter("testsuite"))
    else:
        raise InputError(f"root element is <{root.tag}>; expected <testsuites> or <testsuite>", source=source)
    totals = Counter[str]()
    failed_cases: list[str] = []
    produced: dt.datetime | None = None
    for i, suite in enumerate(suites):
        path = f"testsuite[{i}]"
        cases = suite.findall("testcase")
        if cases:
            totals["tests"] += len(cases)
            for case in cases:
                outcome = next((c.tag for c in case if c.tag in ("failure", "error", "skipped")), None)
                if outcome:
                    totals[{"failure": "failures", "error": "errors", "skipped": "skipped"}[outcome]] += 1
                if outcome in ("failure", "error") and len(failed_cases) < 50:
                    failed_cases.append(f"{case.get('classname', '')}.{case.get('name', '')}".strip("."))
        else:
            for name in ("tests", "failures", "errors", "skipped"):
                totals[name] += _int_attr(suite, name, path, source)
        stamp = suite.get("timestamp")
        if stamp:
            try:
                moment = times.as_utc(times.read_iso(stamp))
            except ValueError:
                raise FieldError(f"{path}@timestamp", "an ISO 8601 date-time", source=source) from None
            produced = max(produced, moment) if produced else moment
    facts = {
        "suites": len(suites),
        "tests": totals["tests"],
        "failures": totals["failures"],
        "errors": totals["errors"],
        "skipped": totals["skipped"],
        "failed": totals["failures"] + totals["errors"],
        "failed_cases": failed_cases,
    }
    return Parsed(facts, produced)


# -- SARIF 2.1.0 -------------------------------------------------------------------------------------------


def severity_of(score: float | None, level: str | None) -> str:
    """CVSS-style `security-severity` bands when present (GitHub's convention), else the SARIF level."""
    if score is not None:
        if score >= 9.0:
            return "critical"
        if score >= 7.0:
            return "high"
        if score >= 4.0:
            return "medium"
        return "low"
    return {"error": "high", "warning": "medium"}.get(level or "warning", "low")


def _score(props: Any, path: str, source: str) -> float | None:
    """The CVSS-style `security-severity` property, when there is one; anything but a number from 0 to 10
    is an error naming where it is, never a silent "low"."""
    if not isinstance(props, dict) or props.get("security-severity") in (None, ""):
        return None
    value = props["security-severity"]
    try:
        score = float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        score = None
    if score is None or not 0.0 <= score <= 10.0:
        raise FieldError(
            f"{path}.properties.security-severity",
            f"a number from 0.0 to 10.0 (not {value!r})",
            source=source,
        )
    return score


# SARIF result kinds (SARIF 2.1.0 §3.27.9): only fail, open and review are findings.
NOT_FINDINGS = ("pass", "notApplicable", "informational")
RESULT_KINDS = ("fail", "open", "review", *NOT_FINDINGS)


def sarif_fingerprint(tool: str, rule_id: str, res: Mapping[str, Any], location: str) -> str:
    """A finding's identity across scans: tool, rule and the result's location fingerprint, from its
    `partialFingerprints` (or `fingerprints`) where the tool gives them, else its file and line."""
    for name in ("partialFingerprints", "fingerprints"):
        prints = res.get(name)
        if isinstance(prints, dict) and prints:
            marks = ",".join(f"{k}={prints[k]}" for k in sorted(prints))
            return f"{tool}:{rule_id}:{marks}"
    return f"{tool}:{rule_id}:{location}"


@parser("sarif")
def parse_sarif(raw: bytes, source: str) -> Parsed:
    """SARIF 2.1.0: open findings with severity, rule, location and first-detection time."""
    doc = _obj(_json(raw, source), "$", source)
    version = doc.get("version")
    if version != "2.1.0":
        raise FieldError("version", "SARIF version '2.1.0'", source=source)
    runs = _list(doc.get("runs"), "runs", source)
    findings: list[dict[str, Any]] = []
    tools: list[str] = []
    produced: dt.datetime | None = None
    for r, run_ in enumerate(runs):
        run = _obj(run_, f"runs[{r}]", source)
        tool = _obj(run.get("tool"), f"runs[{r}].tool", source)
        driver = _obj(tool.get("driver"), f"runs[{r}].tool.driver", source)
        tools.append(_str(driver.get("name"), f"runs[{r}].tool.driver.name", source))
        indexed = [r if isinstance(r, dict) else {} for r in driver.get("rules", []) or []]
        rules = {str(rule.get("id")): rule for rule in indexed if rule.get("id")}
        for i, inv in enumerate(run.get("invocations", []) or []):
            if isinstance(inv, dict) and inv.get("endTimeUtc"):
                end = parse_time(inv["endTimeUtc"], f"runs[{r}].invocations[{i}].endTimeUtc", source)
                produced = max(produced, end) if produced else end
        for i, res_ in enumerate(_list(run.get("results", []), f"runs[{r}].results", source)):
            path = f"runs[{r}].results[{i}]"
            res = _obj(res_, path, source)
            if res.get("baselineState") == "absent" or res.get("suppressions"):
                continue  # fixed since the baseline, or suppressed with a justification
            kind = res.get("kind", "fail")
            if kind not in RESULT_KINDS:
                raise FieldError(f"{path}.kind", f"one of {', '.join(RESULT_KINDS)}", source=source)
            if kind in NOT_FINDINGS:
                continue  # a rule that passed, did not apply, or only informs: not a finding
            rule_id = res.get("ruleId") or (res.get("rule") or {}).get("id")
            if not rule_id:
                rule_id = _rule_by_index(res, indexed, path, source)
            if not isinstance(rule_id, str) or not rule_id:
                raise FieldError(
                    f"{path}.ruleId",
                    "the id of the rule that produced the result (or a ruleIndex)",
                    source=source,
                )
            rule = rules.get(rule_id, {})
            level = res.get("level") or (rule.get("defaultConfiguration") or {}).get("level")
            if level not in (None, "none", "note", "warning", "error"):
                raise FieldError(f"{path}.level", "one of none, note, warning, error", source=source)
            if level == "none":
                continue
            score = _score(res.get("properties"), f"{path} (rule {rule_id})", source)
            if score is None:
                score = _score(rule.get("properties"), f"{path} (rule {rule_id}, rule properties)", source)
            location = ""
            locs = res.get("locations") or []
            if locs and isinstance(locs[0], dict):
                phys = locs[0].get("physicalLocation") or {}
                uri = (phys.get("artifactLocation") or {}).get("uri", "")
                line = (phys.get("region") or {}).get("startLine")
                location = f"{uri}:{line}" if uri and line else uri
            first = (res.get("provenance") or {}).get("firstDetectionTimeUtc")
            message = (res.get("message") or {}).get("text", "")
            findings.append(
                {
                    "rule": rule_id,
                    "severity": severity_of(score, level),
                    "location": location,
                    "message": message[:300],
                    "first_seen": parse_time(
                        first, f"{path}.provenance.firstDetectionTimeUtc", source
                    ).isoformat()
                    if first
                    else None,
                    "fingerprint": sarif_fingerprint(tools[-1], rule_id, res, location),
                }
            )
    by_severity = Counter(f["severity"] for f in findings)
    kept = sorted(findings, key=lambda f: SEVERITIES.index(f["severity"]))[:MAX_FINDINGS]
    facts = {
        "tools": tools,
        "findings": kept if len(findings) > MAX_FINDINGS else findings,
        "findings_total": len(findings),
        "by_severity": {s: by_severity.get(s, 0) for s in SEVERITIES},
    }
    return Parsed(facts, produced)


def _rule_by_index(res: Mapping[str, Any], rules: list[dict[str, Any]], path: str, source: str) -> str | None:
    """The id of the rule a result names only by `ruleIndex` (or `rule.index`) into the driver's rules."""
    index = res.get("ruleIndex", (res.get("rule") or {}).get("index"))
    if index is None:
        return None
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(rules):
        raise FieldError(
            f"{path}.ruleIndex", f"an index into tool.driver.rules (0 to {len(rules) - 1})", source=source
        )
    found = rules[index].get("id")
    if not isinstance(found, str) or not found:
        raise FieldError(f"tool.driver.rules[{index}].id", "the id of the rule", source=source)
    return found


# -- SBOMs -------------------------------------------------------------------------------------------------


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


def _sbom_facts(
    fmt: str, version: str, subject: str | None, packages: list[dict[str, Any]]
) -> dict[str, Any]:
    licences = Counter(lic for p in packages for lic in p["licences"])
    return {
        "format": fmt,
        "spec_version": version,
        "artifact": subject,
        "components": len(packages),
        "licences": dict(sorted(licences.items())),
        "without_licence": sum(1 for p in packages if not p["licences"]),
        "packages": packages[:500],
    }


@parser("cyclonedx")
def parse_cyclonedx(raw: bytes, source: str) -> Parsed:
    """A CycloneDX 1.x SBOM, JSON or XML (told apart by the first character): the artifact it describes, its
    components and their licences. XML is read into the JSON form first, so both take the same path."""
    if raw.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return _cyclonedx_document(_cyclonedx_xml(raw, source), source)
    return _cyclonedx_document(_obj(_json(raw, source), "$", source), source)


def _cyclonedx_document(doc: dict[str, Any], source: str) -> Parsed:
    if doc.get("bomFormat") != "CycloneDX":
        raise FieldError("bomFormat", "'CycloneDX'", source=source)
    version = _str(doc.get("specVersion"), "specVersion", source)
    if not version.startswith("1."):
        raise FieldError("specVersion", "a CycloneDX 1.x version", source=source)
    metadata = _obj(doc.get("metadata", {}), "metadata", source)
    produced = (
        parse_time(metadata["timestamp"], "metadata.timestamp", source) if "timestamp" in metadata else None
    )
    main = metadata.get("component") or {}
    subject = (
        f"{main.get('name')}@{main.get('version')}" if isinstance(main, dict) and main.get("name") else None
    )
    packages = []
    for i, comp_ in enumerate(_list(doc.get("components", []), "components", source)):
        comp = _obj(comp_, f"components[{i}]", source)
        packages.append(
            {
                "name": _str(comp.get("name"), f"components[{i}].name", source),
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
    facts = _sbom_facts("CycloneDX", version, subject, packages)
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
        rating = _obj(rating_, f"{path}.ratings[{j}]", source)
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
    for j, affect_ in enumerate(_list(vuln.get("affects", []), f"{path}.affects", source)):
        affect = _obj(affect_, f"{path}.affects[{j}]", source)
        ref = _str(affect.get("ref"), f"{path}.affects[{j}].ref", source)
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
    for i, vuln_ in enumerate(_list(doc.get("vulnerabilities", []), "vulnerabilities", source)):
        path = f"vulnerabilities[{i}]"
        vuln = _obj(vuln_, path, source)
        vid = _str(vuln.get("id"), f"{path}.id", source)
        analysis = _obj(vuln.get("analysis", {}), f"{path}.analysis", source)
        state = analysis.get("state")
        if state is not None and state not in ANALYSIS_STATES:
            raise FieldError(f"{path}.analysis.state", f"one of {', '.join(ANALYSIS_STATES)}", source=source)
        justification = analysis.get("justification")
        shut = state in CLOSING_STATES or (state == "not_affected" and bool(justification))
        severity = _rated_severity(_list(vuln.get("ratings", []), f"{path}.ratings", source), path, source)
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
    doc = _obj(_json(raw, source), "$", source)
    if doc.get("bomFormat") != "CycloneDX":
        raise FieldError("bomFormat", "'CycloneDX'", source=source)
    version = _str(doc.get("specVersion"), "specVersion", source)
    if not version.startswith("1."):
        raise FieldError("specVersion", "a CycloneDX 1.x version", source=source)
    if not isinstance(doc.get("vulnerabilities"), list):
        raise FieldError("vulnerabilities", "an array of vulnerabilities (a VEX document)", source=source)
    metadata = _obj(doc.get("metadata", {}), "metadata", source)
    produced = (
        parse_time(metadata["timestamp"], "metadata.timestamp", source) if "timestamp" in metadata else None
    )
    main = metadata.get("component") or {}
    product = (
        f"{main.get('name')}@{main.get('version')}" if isinstance(main, dict) and main.get("name") else None
    )
    facts = {"format": "CycloneDX VEX", "spec_version": version, "artifact": product}
    return Parsed({**facts, **cyclonedx_vulnerabilities(doc, source)}, produced)


CYCLONEDX_NS = "http://cyclonedx.org/schema/bom/"


def _xml(raw: bytes, source: str) -> Element:
    """An XML document's root, through defusedxml (entity expansion and external entities are refused)."""
    try:
        root: Element = SafeET.fromstring(raw)
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise InputError(f"not well-formed XML ({exc.msg})", source=source, line=line) from None
    except DefusedXmlException as exc:
        raise InputError(f"refused unsafe XML ({type(exc).__name__})", source=source) from None
    return root


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
    root = _xml(raw, source)
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


def _spdx_package(
    name: str, version: str, purl: str, concluded: str | None, declared: str | None
) -> dict[str, Any]:
    """One SPDX package as the facts keep it: the concluded licence, else the declared one."""
    licence = concluded if concluded not in (None, "", "NOASSERTION", "NONE") else declared
    known = licence not in (None, "", "NOASSERTION", "NONE")
    return {"name": name, "version": version, "purl": purl, "licences": [str(licence)] if known else []}


@parser("spdx")
def parse_spdx(raw: bytes, source: str) -> Parsed:
    """An SPDX 2.x document, JSON or tag-value: its packages and their concluded (else declared) licences."""
    if not raw.lstrip().startswith(b"{"):
        return _parse_spdx_tag_value(raw, source)
    doc = _obj(_json(raw, source), "$", source)
    if "@graph" in doc or "@context" in doc:
        return _parse_spdx3(doc, source)
    version = _str(doc.get("spdxVersion"), "spdxVersion", source)
    if not version.startswith("SPDX-2."):
        raise FieldError("spdxVersion", "an SPDX 2.x version such as 'SPDX-2.3'", source=source)
    info = _obj(doc.get("creationInfo"), "creationInfo", source)
    produced = parse_time(info.get("created"), "creationInfo.created", source)
    packages = []
    for i, pkg_ in enumerate(_list(doc.get("packages", []), "packages", source)):
        pkg = _obj(pkg_, f"packages[{i}]", source)
        purl = next(
            (
                str(ref.get("referenceLocator"))
                for ref in pkg.get("externalRefs", []) or []
                if isinstance(ref, dict) and ref.get("referenceType") == "purl"
            ),
            "",
        )
        packages.append(
            _spdx_package(
                _str(pkg.get("name"), f"packages[{i}].name", source),
                str(pkg.get("versionInfo", "")),
                purl,
                pkg.get("licenseConcluded"),
                pkg.get("licenseDeclared"),
            )
        )
    return Parsed(_sbom_facts("SPDX", version, str(doc.get("name", "")) or None, packages), produced)


SPDX3_CONTEXT = "https://spdx.org/rdf/3."
_SPDX3_NO_LICENCE = ("NoAssertionLicense", "NoneLicense")


def _parse_spdx3(doc: dict[str, Any], source: str) -> Parsed:
    """An SPDX 3.0 JSON-LD document: its `software_Package` elements, each with its concluded (else declared)
    licence, reached through `hasConcludedLicense` / `hasDeclaredLicense` relationships."""
    context = doc.get("@context")
    contexts = context if isinstance(context, list) else [context]
    if not any(isinstance(c, str) and c.startswith(SPDX3_CONTEXT) for c in contexts):
        raise FieldError(
            "@context",
            f"the SPDX 3 JSON-LD context ({SPDX3_CONTEXT}x/spdx-context.jsonld)",
            source=source,
        )
    graph = _list(doc.get("@graph"), "@graph", source)
    elements: dict[str, dict[str, Any]] = {}
    infos: list[tuple[int, dict[str, Any]]] = []
    for i, item in enumerate(graph):
        el = _obj(item, f"@graph[{i}]", source)
        if not isinstance(el.get("type"), str):
            raise FieldError(f"@graph[{i}].type", "the element's type, e.g. software_Package", source=source)
        key = el.get("spdxId") or el.get("@id")
        if isinstance(key, str):
            elements[key] = el
        if el["type"] == "CreationInfo":
            infos.append((i, el))
    if not infos:
        raise FieldError("@graph", "a CreationInfo element with specVersion and created", source=source)
    i, info = infos[0]
    version = _str(info.get("specVersion"), f"@graph[{i}].specVersion", source)
    if not version.startswith("3."):
        raise FieldError(f"@graph[{i}].specVersion", "an SPDX 3.x version such as '3.0.1'", source=source)
    produced = max(parse_time(el.get("created"), f"@graph[{j}].created", source) for j, el in infos)
    licences: dict[tuple[str, str], str] = {}  # (package id, relationship type) -> licence
    for el in graph:
        kind = el.get("relationshipType")
        if kind in ("hasConcludedLicense", "hasDeclaredLicense") and isinstance(el.get("from"), str):
            targets = el.get("to") if isinstance(el.get("to"), list) else [el.get("to")]
            found = [_spdx3_licence(elements.get(t) if isinstance(t, str) else None, t) for t in targets]
            known = [f for f in found if f]
            if known:
                licences[(el["from"], kind)] = " AND ".join(known)
    packages = []
    for j, el in enumerate(graph):
        if el.get("type") != "software_Package":
            continue
        pid = str(el.get("spdxId") or el.get("@id") or "")
        purl = el.get("software_packageUrl") or next(
            (
                str(x.get("identifier"))
                for x in el.get("externalIdentifier") or []
                if isinstance(x, dict) and x.get("externalIdentifierType") == "packageUrl"
            ),
            "",
        )
        packages.append(
            _spdx_package(
                _str(el.get("name"), f"@graph[{j}].name", source),
                str(el.get("software_packageVersion", "")),
                str(purl),
                licences.get((pid, "hasConcludedLicense")),
                licences.get((pid, "hasDeclaredLicense")),
            )
        )
    name = next(
        (str(el.get("name")) for el in graph if el.get("type") == "SpdxDocument" and el.get("name")), None
    )
    return Parsed(_sbom_facts("SPDX", f"SPDX-{version}", name, packages), produced)


def _spdx3_licence(el: Mapping[str, Any] | None, ref: Any) -> str | None:
    """The licence an SPDX 3 licence element (or a reference to a listed or individual licence) names."""
    if el is None:
        text = str(ref or "")
        if not text or text.endswith(_SPDX3_NO_LICENCE):
            return None
        return text.rsplit("/", 1)[-1]  # e.g. https://spdx.org/licenses/MIT
    for key in ("simplelicensing_licenseExpression", "expandedlicensing_licenseId", "name"):
        value = el.get(key)
        if isinstance(value, str) and value and value not in ("NOASSERTION", "NONE"):
            return value
    return None


def _spdx_tags(raw: bytes, source: str) -> list[tuple[int, str, str]]:
    """The (line, tag, value) pairs of an SPDX tag-value document (`<text>` values may span lines)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(
            "not UTF-8 text; expected an SPDX tag-value or JSON document", source=source
        ) from None
    pairs: list[tuple[int, str, str]] = []
    lines = text.splitlines()
    n = 0
    while n < len(lines):
        line = lines[n]
        n += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        tag, colon, value = line.partition(":")
        if not colon or not tag.strip() or " " in tag.strip():
            raise InputError(f"expected 'Tag: value', got {line.strip()[:60]!r}", source=source, line=n)
        start, value = n, value.strip()
        if value.startswith("<text>"):
            while "</text>" not in value and n < len(lines):
                value += "\n" + lines[n]
                n += 1
            if "</text>" not in value:
                raise InputError("a <text> value is not closed with </text>", source=source, line=start)
            value = value.removeprefix("<text>").split("</text>", 1)[0]
        pairs.append((start, tag.strip(), value))
    return pairs


def _parse_spdx_tag_value(raw: bytes, source: str) -> Parsed:
    tags = _spdx_tags(raw, source)
    first = {tag: (line, value) for line, tag, value in reversed(tags)}
    if "SPDXVersion" not in first:
        raise FieldError(
            "SPDXVersion", "an SPDX 2.x document (JSON, or tag-value from 'SPDXVersion:')", source=source
        )
    version = first["SPDXVersion"][1]
    if not version.startswith("SPDX-2."):
        raise FieldError("SPDXVersion", "an SPDX 2.x version such as 'SPDX-2.3'", source=source)
    if "Created" not in first:
        raise FieldError("Created", "the document's creation time", source=source)
    produced = parse_time(first["Created"][1], f"Created (line {first['Created'][0]})", source)
    packages: list[dict[str, Any]] = []
    current: dict[str, str] | None = None

    def close() -> None:
        if current is not None:
            packages.append(
                _spdx_package(
                    current["PackageName"],
                    current.get("PackageVersion", ""),
                    current.get("purl", ""),
                    current.get("PackageLicenseConcluded"),
                    current.get("PackageLicenseDeclared"),
                )
            )

    for line, tag, value in tags:
        if tag == "PackageName":
            close()
            if not value:
                raise FieldError(f"PackageName (line {line})", "a package name", source=source)
            current = {"PackageName": value}
        elif tag in ("FileName", "SnippetSPDXID", "LicenseID"):  # a file, snippet or licence section follows
            close()
            current = None
        elif current is not None and tag == "ExternalRef":
            parts = value.split()
            if len(parts) >= 3 and parts[1] == "purl" and "purl" not in current:
                current["purl"] = parts[2]
        elif current is not None and tag not in current:
            current[tag] = value
    close()
    name = first.get("DocumentName", (0, ""))[1]
    return Parsed(_sbom_facts("SPDX", version, name or None, packages), produced)


# -- SLSA provenance in an in-toto statement ---------------------------------------------------------------

STATEMENT_TYPES = ("https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1")
SLSA_V1 = "https://slsa.dev/provenance/v1"
SLSA_V02 = "https://slsa.dev/provenance/v0.2"
SIGSTORE_BUNDLE = "application/vnd.dev.sigstore.bundle"


@parser("slsa-provenance")
def parse_provenance(raw: bytes, source: str) -> Parsed:
    """An in-toto statement (bare, in a DSSE envelope, or in a Sigstore bundle's envelope, as GitHub artifact
    attestations are) whose predicate is SLSA provenance v1 or v0.2."""
    doc = _obj(_json(raw, source), "$", source)
    if str(doc.get("mediaType", "")).startswith(SIGSTORE_BUNDLE):
        doc = _obj(doc.get("dsseEnvelope"), "dsseEnvelope", source)
    if "payload" in doc and "payloadType" in doc:
        if doc["payloadType"] != "application/vnd.in-toto+json":
            raise FieldError("payloadType", "'application/vnd.in-toto+json'", source=source)
        try:
            doc = _obj(_json(base64.b64decode(str(doc["payload"]), validate=True), source), "payload", source)
        except binascii.Error:
            raise FieldError("payload", "base64-encoded in-toto statement", source=source) from None
    if doc.get("_type") not in STATEMENT_TYPES:
        raise FieldError("_type", f"one of {', '.join(STATEMENT_TYPES)}", source=source)
    subjects = []
    for i, sub_ in enumerate(_list(doc.get("subject"), "subject", source)):
        sub = _obj(sub_, f"subject[{i}]", source)
        digest = _obj(sub.get("digest"), f"subject[{i}].digest", source)
        if not digest:
            raise FieldError(f"subject[{i}].digest", "at least one digest, e.g. sha256", source=source)
        subjects.append({"name": str(sub.get("name", "")), "digest": dict(digest)})
    if not subjects:
        raise FieldError("subject", "at least one subject", source=source)
    ptype = doc.get("predicateType")
    pred = _obj(doc.get("predicate"), "predicate", source)
    produced = None
    if ptype == SLSA_V1:
        build = _obj(pred.get("buildDefinition"), "predicate.buildDefinition", source)
        run = _obj(pred.get("runDetails"), "predicate.runDetails", source)
        builder = _obj(run.get("builder"), "predicate.runDetails.builder", source)
        builder_id = _str(builder.get("id"), "predicate.runDetails.builder.id", source)
        build_type = _str(build.get("buildType"), "predicate.buildDefinition.buildType", source)
        materials = build.get("resolvedDependencies", []) or []
        external = build.get("externalParameters") or {}
        workflow = external.get("workflow") if isinstance(external, dict) else None
        source_uri = (workflow or {}).get("repository") if isinstance(workflow, dict) else None
        finished = (run.get("metadata") or {}).get("finishedOn")
        if finished:
            produced = parse_time(finished, "predicate.runDetails.metadata.finishedOn", source)
    elif ptype == SLSA_V02:
        builder = _obj(pred.get("builder"), "predicate.builder", source)
        builder_id = _str(builder.get("id"), "predicate.builder.id", source)
        build_type = _str(pred.get("buildType"), "predicate.buildType", source)
        materials = pred.get("materials", []) or []
        config = (pred.get("invocation") or {}).get("configSource") or {}
        source_uri = config.get("uri") if isinstance(config, dict) else None
        finished = (pred.get("metadata") or {}).get("buildFinishedOn")
        if finished:
            produced = parse_time(finished, "predicate.metadata.buildFinishedOn", source)
    else:
        raise FieldError("predicateType", f"SLSA provenance ({SLSA_V1} or {SLSA_V02})", source=source)
    if not isinstance(source_uri, str) or not source_uri:
        source_uri = next((m.get("uri") for m in materials if isinstance(m, dict) and m.get("uri")), "")
    facts = {
        "predicate_type": ptype,
        "builder": builder_id,
        "source": source_repository(str(source_uri)) if source_uri else "",
        "build_type": build_type,
        "subjects": subjects,
        "materials": [
            {"uri": str(m.get("uri", "")), "digest": dict(m.get("digest") or {})}
            for m in materials
            if isinstance(m, dict)
        ],
    }
    return Parsed(facts, produced)


# -- human attestations ------------------------------------------------------------------------------------


@parser("attestation")
def parse_attestation(raw: bytes, source: str) -> Parsed:
    """A person's statement of how controls are met: JSON or YAML with `by`, `controls` and `statement`."""
    import yaml

    try:
        doc = safeload.load(raw, source=source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            f"not valid YAML/JSON ({getattr(exc, 'problem', exc)})",
            source=source,
            line=mark.line + 1 if mark else None,
        ) from None
    doc = _obj(doc, "$", source)
    by = _str(doc.get("by"), "by", source)
    statement = _str(doc.get("statement"), "statement", source)
    controls = doc.get("controls")
    if isinstance(controls, str):
        controls = [controls]
    if not isinstance(controls, list) or not controls or not all(isinstance(c, str) and c for c in controls):
        raise FieldError("controls", "a control id or a list of control ids, e.g. [ps-3]", source=source)
    produced = None
    if doc.get("attested_at") is not None:
        value = doc["attested_at"]
        produced = (
            value.astimezone(dt.UTC)
            if isinstance(value, dt.datetime) and value.tzinfo
            else parse_time(str(value), "attested_at", source)
        )
    return Parsed({"by": by, "controls": [c.lower() for c in controls], "statement": statement}, produced)
