"""SARIF 2.1.0 scan results (kind `sarif`): the open findings, each with its severity, rule, location,
first-detection time and fingerprint (its identity across scans).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from typing import Any

from missionos.compliance.evidence.common import (
    MAX_FINDINGS,
    SEVERITIES,
    Parsed,
    as_array,
    as_object,
    as_string,
    load_json,
    parse_time,
    parser,
    severity_of,
)
from missionos.errors import FieldError


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
    doc = as_object(load_json(raw, source), "$", source)
    version = doc.get("version")
    if version != "2.1.0":
        raise FieldError("version", "SARIF version '2.1.0'", source=source)
    runs = as_array(doc.get("runs"), "runs", source)
    findings: list[dict[str, Any]] = []
    tools: list[str] = []
    produced: dt.datetime | None = None
    for r, run_ in enumerate(runs):
        run = as_object(run_, f"runs[{r}]", source)
        tool = as_object(run.get("tool"), f"runs[{r}].tool", source)
        driver = as_object(tool.get("driver"), f"runs[{r}].tool.driver", source)
        tools.append(as_string(driver.get("name"), f"runs[{r}].tool.driver.name", source))
        indexed = [r if isinstance(r, dict) else {} for r in driver.get("rules", []) or []]
        rules = {str(rule.get("id")): rule for rule in indexed if rule.get("id")}
        for i, inv in enumerate(run.get("invocations", []) or []):
            if isinstance(inv, dict) and inv.get("endTimeUtc"):
                end = parse_time(inv["endTimeUtc"], f"runs[{r}].invocations[{i}].endTimeUtc", source)
                produced = max(produced, end) if produced else end
        for i, res_ in enumerate(as_array(run.get("results", []), f"runs[{r}].results", source)):
            path = f"runs[{r}].results[{i}]"
            res = as_object(res_, path, source)
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
