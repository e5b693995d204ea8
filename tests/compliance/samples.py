"""Real-shaped evidence files for the compliance tests."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def junit(tests: int = 3, failures: int = 0, at: dt.datetime = NOW) -> bytes:
    cases = []
    for i in range(tests):
        inner = '<failure message="boom">AssertionError</failure>' if i < failures else ""
        cases.append(f'<testcase classname="app.tests" name="test_{i}" time="0.01">{inner}</testcase>')
    return (
        f'<?xml version="1.0"?><testsuites><testsuite name="app" tests="{tests}" failures="{failures}" '
        f'timestamp="{iso(at)}">{"".join(cases)}</testsuite></testsuites>'
    ).encode()


def sarif(findings: list[tuple[str, float, dt.datetime | None]] = (), at: dt.datetime = NOW) -> bytes:  # type: ignore[assignment]
    results: list[dict[str, Any]] = []
    for rule, score, first in findings:
        res: dict[str, Any] = {
            "ruleId": rule,
            "level": "error",
            "message": {"text": f"{rule} found"},
            "properties": {"security-severity": str(score)},
            "locations": [
                {"physicalLocation": {"artifactLocation": {"uri": "app/main.py"}, "region": {"startLine": 7}}}
            ],
        }
        if first:
            res["provenance"] = {"firstDetectionTimeUtc": iso(first)}
        results.append(res)
    doc = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "Semgrep OSS", "rules": []}},
                "invocations": [{"executionSuccessful": True, "endTimeUtc": iso(at)}],
                "results": results,
            }
        ],
    }
    return json.dumps(doc).encode()


def cyclonedx(at: dt.datetime = NOW, licensed: bool = True) -> bytes:
    comp: dict[str, Any] = {
        "type": "library",
        "name": "requests",
        "version": "2.32.3",
        "purl": "pkg:pypi/requests@2.32.3",
    }
    if licensed:
        comp["licenses"] = [{"license": {"id": "Apache-2.0"}}]
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {
            "timestamp": iso(at),
            "component": {"type": "application", "name": "app", "version": "1.0.0"},
        },
        "components": [
            comp,
            {
                "type": "library",
                "name": "idna",
                "version": "3.7",
                "licenses": [{"expression": "BSD-3-Clause"}],
            },
        ],
    }
    return json.dumps(doc).encode()


def provenance(sha: str = "a" * 40, at: dt.datetime = NOW) -> bytes:
    doc = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "registry.example/app", "digest": {"sha256": "b" * 64}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://factory.example/container@v1",
                "externalParameters": {},
                "resolvedDependencies": [
                    {"uri": "git+https://git.example/app@refs/heads/main", "digest": {"gitCommit": sha}}
                ],
            },
            "runDetails": {
                "builder": {"id": "https://factory.example/pipeline"},
                "metadata": {"finishedOn": iso(at)},
            },
        },
    }
    return json.dumps(doc).encode()


def spdx(at: dt.datetime = NOW) -> bytes:
    doc = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "app-1.0.0",
        "documentNamespace": "https://example/spdx/app-1.0.0",
        "creationInfo": {"created": iso(at), "creators": ["Tool: syft-1.0"]},
        "packages": [
            {
                "SPDXID": "SPDXRef-Package-flask",
                "name": "flask",
                "versionInfo": "3.0.3",
                "downloadLocation": "NOASSERTION",
                "licenseConcluded": "BSD-3-Clause",
                "externalRefs": [
                    {
                        "referenceCategory": "PACKAGE-MANAGER",
                        "referenceType": "purl",
                        "referenceLocator": "pkg:pypi/flask@3.0.3",
                    }
                ],
            },
            {
                "SPDXID": "SPDXRef-Package-x",
                "name": "x",
                "downloadLocation": "NOASSERTION",
                "licenseConcluded": "NOASSERTION",
            },
        ],
    }
    return json.dumps(doc).encode()


def spdx_tag_value(at: dt.datetime = NOW) -> bytes:
    """The document of `spdx()` in SPDX's tag-value form, with a file section and a multi-line text value."""
    return f"""SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: app-1.0.0
DocumentNamespace: https://example/spdx/app-1.0.0
Creator: Tool: syft-1.0
Created: {iso(at)}
DocumentComment: <text>Made for
the evidence tests.</text>

# Packages
PackageName: flask
SPDXID: SPDXRef-Package-flask
PackageVersion: 3.0.3
PackageDownloadLocation: NOASSERTION
PackageLicenseConcluded: BSD-3-Clause
PackageLicenseDeclared: MIT
ExternalRef: PACKAGE-MANAGER purl pkg:pypi/flask@3.0.3

FileName: ./flask/__init__.py
SPDXID: SPDXRef-File-1
LicenseConcluded: Apache-2.0

PackageName: x
SPDXID: SPDXRef-Package-x
PackageDownloadLocation: NOASSERTION
PackageLicenseConcluded: NOASSERTION
""".encode()
