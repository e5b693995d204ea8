"""Human attestations (kind `attestation`): a person's statement of how controls are met, in YAML or JSON
with `by`, `controls`, `statement` and an optional `attested_at`.
"""

from __future__ import annotations

import datetime as dt

from missionos import safeload
from missionos.compliance.evidence.common import Parsed, as_object, as_string, parse_time, parser
from missionos.errors import FieldError, InputError


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
    doc = as_object(doc, "$", source)
    by = as_string(doc.get("by"), "by", source)
    statement = as_string(doc.get("statement"), "statement", source)
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
