"""SLSA provenance (kind `slsa-provenance`): an in-toto statement whose predicate is SLSA provenance v1 or
v0.2, bare, in a DSSE envelope, or in a Sigstore bundle's envelope (as GitHub artifact attestations are).

Whether the envelope's signature holds is `compliance.signatures`'s question, not this parser's.
"""

from __future__ import annotations

import base64
import binascii

from missionos.compliance.evidence.common import (
    Parsed,
    as_array,
    as_object,
    as_string,
    load_json,
    parse_time,
    parser,
)
from missionos.compliance.trust import source_repository
from missionos.errors import FieldError

STATEMENT_TYPES = ("https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1")
SLSA_V1 = "https://slsa.dev/provenance/v1"
SLSA_V02 = "https://slsa.dev/provenance/v0.2"
SIGSTORE_BUNDLE = "application/vnd.dev.sigstore.bundle"


@parser("slsa-provenance")
def parse_provenance(raw: bytes, source: str) -> Parsed:
    """An in-toto statement (bare, in a DSSE envelope, or in a Sigstore bundle's envelope, as GitHub artifact
    attestations are) whose predicate is SLSA provenance v1 or v0.2."""
    doc = as_object(load_json(raw, source), "$", source)
    if str(doc.get("mediaType", "")).startswith(SIGSTORE_BUNDLE):
        doc = as_object(doc.get("dsseEnvelope"), "dsseEnvelope", source)
    if "payload" in doc and "payloadType" in doc:
        if doc["payloadType"] != "application/vnd.in-toto+json":
            raise FieldError("payloadType", "'application/vnd.in-toto+json'", source=source)
        try:
            doc = as_object(
                load_json(base64.b64decode(str(doc["payload"]), validate=True), source), "payload", source
            )
        except binascii.Error:
            raise FieldError("payload", "base64-encoded in-toto statement", source=source) from None
    if doc.get("_type") not in STATEMENT_TYPES:
        raise FieldError("_type", f"one of {', '.join(STATEMENT_TYPES)}", source=source)
    subjects = []
    for i, sub_ in enumerate(as_array(doc.get("subject"), "subject", source)):
        sub = as_object(sub_, f"subject[{i}]", source)
        digest = as_object(sub.get("digest"), f"subject[{i}].digest", source)
        if not digest:
            raise FieldError(f"subject[{i}].digest", "at least one digest, e.g. sha256", source=source)
        subjects.append({"name": str(sub.get("name", "")), "digest": dict(digest)})
    if not subjects:
        raise FieldError("subject", "at least one subject", source=source)
    ptype = doc.get("predicateType")
    pred = as_object(doc.get("predicate"), "predicate", source)
    produced = None
    if ptype == SLSA_V1:
        build = as_object(pred.get("buildDefinition"), "predicate.buildDefinition", source)
        run = as_object(pred.get("runDetails"), "predicate.runDetails", source)
        builder = as_object(run.get("builder"), "predicate.runDetails.builder", source)
        builder_id = as_string(builder.get("id"), "predicate.runDetails.builder.id", source)
        build_type = as_string(build.get("buildType"), "predicate.buildDefinition.buildType", source)
        materials = build.get("resolvedDependencies", []) or []
        external = build.get("externalParameters") or {}
        workflow = external.get("workflow") if isinstance(external, dict) else None
        source_uri = (workflow or {}).get("repository") if isinstance(workflow, dict) else None
        finished = (run.get("metadata") or {}).get("finishedOn")
        if finished:
            produced = parse_time(finished, "predicate.runDetails.metadata.finishedOn", source)
    elif ptype == SLSA_V02:
        builder = as_object(pred.get("builder"), "predicate.builder", source)
        builder_id = as_string(builder.get("id"), "predicate.builder.id", source)
        build_type = as_string(pred.get("buildType"), "predicate.buildType", source)
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
