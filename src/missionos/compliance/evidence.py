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
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from missionos.errors import FieldError, InputError

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


def parse(kind: str, raw: bytes, source: str) -> Parsed:
    """Parse `raw` as evidence of `kind`, or raise an error naming `source` and what was expected."""
    fn = PARSERS.get(kind)
    if fn is None:
        raise FieldError("--kind", f"one of {', '.join(kinds())}")
    if not raw.strip():
        raise InputError(f"empty file; expected {kind} evidence", source=source)
    return fn(raw, source)


# -- helpers -----------------------------------------------------------------------------------------------


def _json(raw: bytes, source: str) -> Any:
    try:
        return json.loads(raw)
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
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
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
                moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            except ValueError:
                raise FieldError(f"{path}@timestamp", "an ISO 8601 date-time", source=source) from None
            moment = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
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
        rules = {
            str(rule.get("id")): rule
            for rule in driver.get("rules", []) or []
            if isinstance(rule, dict) and rule.get("id")
        }
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
            if not isinstance(rule_id, str) or not rule_id:
                raise FieldError(
                    f"{path}.ruleId", "the id of the rule that produced the result", source=source
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
    facts = {
        "tools": tools,
        "findings": findings,
        "by_severity": {s: by_severity.get(s, 0) for s in SEVERITIES},
    }
    return Parsed(facts, produced)


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
    """A CycloneDX 1.x JSON SBOM: the artifact it describes, its components and their licences."""
    doc = _obj(_json(raw, source), "$", source)
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


@parser("slsa-provenance")
def parse_provenance(raw: bytes, source: str) -> Parsed:
    """An in-toto statement (bare, or in a DSSE envelope) whose predicate is SLSA provenance v1 or v0.2."""
    doc = _obj(_json(raw, source), "$", source)
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
        finished = (run.get("metadata") or {}).get("finishedOn")
        if finished:
            produced = parse_time(finished, "predicate.runDetails.metadata.finishedOn", source)
    elif ptype == SLSA_V02:
        builder = _obj(pred.get("builder"), "predicate.builder", source)
        builder_id = _str(builder.get("id"), "predicate.builder.id", source)
        build_type = _str(pred.get("buildType"), "predicate.buildType", source)
        materials = pred.get("materials", []) or []
        finished = (pred.get("metadata") or {}).get("buildFinishedOn")
        if finished:
            produced = parse_time(finished, "predicate.metadata.buildFinishedOn", source)
    else:
        raise FieldError("predicateType", f"SLSA provenance ({SLSA_V1} or {SLSA_V02})", source=source)
    facts = {
        "predicate_type": ptype,
        "builder": builder_id,
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
        doc = yaml.safe_load(raw)
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
