"""Evidence files parsed into facts (metrics.md §5).

Each kind has one parser that registers itself in `PARSERS`; adding a scanner format is one module here (or
one function in its family's module) imported below, and nothing else changes. A parser takes the raw bytes
and the file name and returns `Parsed`: the facts, and the time the artifact says it was produced (if it
says). It raises `InputError` naming the file, the line (for XML and JSON syntax errors) or the field, and
what was expected; nothing is stored when it does.

The JSON formats (SARIF 2.1.0, CycloneDX 1.x, SPDX 2.x and 3, in-toto statements with SLSA provenance) are
read with the standard library and checked field by field against what their specifications require: the
facts need a few fields, and a strict reader gives better messages than a general object model. XML (JUnit,
CycloneDX XML) goes through `defusedxml`, so entity-expansion and external-entity tricks are refused. SPDX
is also read in its tag-value form.

One module per format family, each named for it:

- `common`: `Parsed`, the `parser(kind)` registry and `parse`, the size limit, the JSON and XML readers, the
  field readers, the severity bands and the SBOM facts both SBOM formats share;
- `junit` (`junit`), `sarif` (`sarif`), `cyclonedx` (`cyclonedx` JSON and XML, and `vex`), `spdx` (`spdx`:
  2.x JSON, tag-value, 3 JSON-LD), `provenance` (`slsa-provenance`: in-toto, DSSE, Sigstore bundles) and
  `attestation` (`attestation`).

Importing this package imports every format module, which fills the registry; the names below are the ones
`missionos.compliance.evidence` has always offered. The format modules import `common`, never this package.
"""

from __future__ import annotations

from missionos.compliance.evidence.attestation import parse_attestation
from missionos.compliance.evidence.common import (
    DEFAULT_MAX_MB,
    MAX_FINDINGS,
    PARSERS,
    SEVERITIES,
    Parsed,
    Parser,
    check_size,
    kinds,
    load_json,
    max_bytes,
    parse,
    parse_time,
    parser,
    severity_of,
)
from missionos.compliance.evidence.cyclonedx import (
    ANALYSIS_STATES,
    CLOSING_STATES,
    CYCLONEDX_NS,
    OPEN_STATES,
    RATING_SEVERITIES,
    cyclonedx_vulnerabilities,
    parse_cyclonedx,
    parse_vex,
)
from missionos.compliance.evidence.junit import parse_junit
from missionos.compliance.evidence.provenance import (
    SIGSTORE_BUNDLE,
    SLSA_V02,
    SLSA_V1,
    STATEMENT_TYPES,
    parse_provenance,
)
from missionos.compliance.evidence.sarif import NOT_FINDINGS, RESULT_KINDS, parse_sarif, sarif_fingerprint
from missionos.compliance.evidence.spdx import SPDX3_CONTEXT, parse_spdx

__all__ = [
    "ANALYSIS_STATES",
    "CLOSING_STATES",
    "CYCLONEDX_NS",
    "DEFAULT_MAX_MB",
    "MAX_FINDINGS",
    "NOT_FINDINGS",
    "OPEN_STATES",
    "PARSERS",
    "RATING_SEVERITIES",
    "RESULT_KINDS",
    "SEVERITIES",
    "SIGSTORE_BUNDLE",
    "SLSA_V02",
    "SLSA_V1",
    "SPDX3_CONTEXT",
    "STATEMENT_TYPES",
    "Parsed",
    "Parser",
    "check_size",
    "cyclonedx_vulnerabilities",
    "kinds",
    "load_json",
    "max_bytes",
    "parse",
    "parse_attestation",
    "parse_cyclonedx",
    "parse_junit",
    "parse_provenance",
    "parse_sarif",
    "parse_spdx",
    "parse_time",
    "parse_vex",
    "parser",
    "sarif_fingerprint",
    "severity_of",
]
