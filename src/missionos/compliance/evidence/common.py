"""What every evidence parser shares: the `Parsed` result, the `parser(kind)` registry and `parse`, the size
limit, the one JSON and XML readers, the field readers that name the path of a bad field, and the severity
bands.

A format module registers its parser with `@parser(kind)` and reads its fields with `as_object`,
`as_array`, `as_string` and `parse_time`, so every format's errors read alike.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from missionos import safeload, times
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


# -- reading documents and fields --------------------------------------------------------------------------


def load_json(raw: bytes, source: str) -> Any:
    """The one place evidence JSON is decoded: every JSON format (and the DSSE envelopes whose signatures are
    checked) goes through here, so limits on what JSON is accepted hold for all of them."""
    try:
        return safeload.loads_json(raw, source=source)
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text; expected a JSON document", source=source) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", source=source, line=exc.lineno) from None


def xml_root(raw: bytes, source: str) -> Element:
    """An XML document's root, through defusedxml (entity expansion and external entities are refused)."""
    try:
        root: Element = SafeET.fromstring(raw)
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise InputError(f"not well-formed XML ({exc.msg})", source=source, line=line) from None
    except DefusedXmlException as exc:
        raise InputError(f"refused unsafe XML ({type(exc).__name__})", source=source) from None
    return root


def as_object(value: Any, path: str, source: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldError(path, "an object", source=source)
    return value


def as_array(value: Any, path: str, source: str) -> list[Any]:
    if not isinstance(value, list):
        raise FieldError(path, "an array", source=source)
    return value


def as_string(value: Any, path: str, source: str) -> str:
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


# -- severities and SBOM facts -----------------------------------------------------------------------------


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


def sbom_facts(fmt: str, version: str, subject: str | None, packages: list[dict[str, Any]]) -> dict[str, Any]:
    """The facts of an SBOM (CycloneDX or SPDX): the artifact, the component count and the licences."""
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
