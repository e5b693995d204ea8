"""JUnit XML test reports (kind `junit`): tests run, failed, errored and skipped.

The XML goes through defusedxml (`common.xml_root`), so entity-expansion and external-entity tricks are
refused.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from xml.etree.ElementTree import Element

from missionos import times
from missionos.compliance.evidence.common import Parsed, parser, xml_root
from missionos.errors import FieldError, InputError


def _int_attr(el: Element, name: str, path: str, source: str) -> int:
    text = el.get(name, "0") or "0"
    try:
        return int(float(text))
    except ValueError:
        raise FieldError(f"{path}@{name}", "a whole number", source=source) from None


@parser("junit")
def parse_junit(raw: bytes, source: str) -> Parsed:
    """JUnit XML (`<testsuites>` or one `<testsuite>`): tests run, failed, errored and skipped."""
    root = xml_root(raw, source)
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
