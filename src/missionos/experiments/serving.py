"""Serving flags to clients: OpenFeature remote evaluation with server-side sticky buckets, client keys and
the GrowthBook SDK payload."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos.accounts import audit
from missionos.errors import ConflictError, FieldError, NotFoundError
from missionos.experiments import ofrep, sticky
from missionos.experiments.evaluation import sticky_attributes, sticky_document_keys
from missionos.experiments.flags import KEY_PATTERN, _aware, features
from missionos.experiments.models import ClientKey, Flag
from missionos.experiments.payload import encrypt_payload
from missionos.store import utcnow

# --- OpenFeature remote evaluation, with server-side sticky buckets -----------------------------------------


def _sticky_documents(
    session: Session, names: Sequence[str], context: Mapping[str, Any]
) -> dict[str, dict[str, Any]] | None:
    """The stored sticky-bucket documents of the user's own values of the attributes `names` (None when
    there are no such attributes: no rule is sticky)."""
    if not names:
        return None
    keys = sticky_document_keys(ofrep.attributes_of(context), names)
    for name, value in keys:
        if len(value) > sticky.MAX_VALUE:
            where = "targetingKey" if name == "id" and "id" not in context else name
            raise FieldError(where, f"at most {sticky.MAX_VALUE} characters (it names a sticky bucket)")
    return sticky.documents(session, keys)


def _evaluate_ofrep(
    session: Session,
    feats: Mapping[str, Any],
    keys: Sequence[str],
    context: Mapping[str, Any],
    stored: dict[str, dict[str, Any]] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]] | None]:
    """OFREP results for `keys`, and the user's sticky-bucket documents after evaluation (None when no rule
    of these flags is sticky). Only the documents of the user's own values of the sticky rules' hash and
    fallback attributes are read; what evaluation added is merged into the store in the session's
    transaction. Without a sticky rule nothing is read or written."""
    docs = (
        stored if stored is not None else _sticky_documents(session, sticky_attributes(feats, keys), context)
    )
    if docs is None:
        return [ofrep.evaluate(feats, key, context) for key in keys], None
    before = sticky.snapshot(docs)
    results = [ofrep.evaluate(feats, key, context, sticky_docs=docs) for key in keys]
    sticky.save(session, sticky.changes(before, docs))
    return results, docs


def ofrep_flag(session: Session, key: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """One flag's OFREP evaluation for `context` (see `ofrep.evaluate`), keeping sticky assignments."""
    results, _ = _evaluate_ofrep(session, features(session), [key], context)
    return results[0]


def _ofrep_etag(
    feats: Mapping[str, Any], context: Mapping[str, Any], docs: Mapping[str, Mapping[str, Any]] | None
) -> str:
    document: list[Any] = [feats, context]
    if docs is not None:
        document.append({k: d.get("assignments") or {} for k, d in docs.items()})
    digest = hashlib.sha256(
        json.dumps(document, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()[:32]
    return f'"{digest}"'


def ofrep_flags(
    session: Session, context: Mapping[str, Any], if_none_match: str | None = None
) -> tuple[list[dict[str, Any]] | None, str]:
    """Every flag's OFREP evaluation for `context`, with the answer's ETag; the flags are None when
    `if_none_match` already is that ETag.

    The ETag digests the flags, the context and, when a rule is sticky, the user's stored sticky assignments,
    so clearing them changes it. The assignments are those after evaluation: a repeated request reads the same
    documents, matches, and would have stored nothing new, so it answers 304 without evaluating."""
    feats = features(session)
    keys = sorted(feats)
    stored = _sticky_documents(session, sticky_attributes(feats, keys), context)
    if if_none_match is not None:
        etag = _ofrep_etag(feats, context, stored)
        if if_none_match == etag:
            return None, etag
    results, docs = _evaluate_ofrep(session, feats, keys, context, stored)
    return results, _ofrep_etag(feats, context, docs)


# --- client keys and the SDK payload -----------------------------------------------------------------------


def add_client_key(
    session: Session, key: str, *, actor: str, description: str = "", encryption_key: str | None = None
) -> None:
    if not KEY_PATTERN.match(key):
        raise FieldError("client_key", "lowercase letters, digits, '.', '_' or '-'")
    if session.scalar(select(ClientKey).where(ClientKey.key == key)) is not None:
        raise ConflictError(f"client key {key!r} exists")
    session.add(ClientKey(key=key, description=description, encryption_key=encryption_key))
    audit.record(
        session,
        actor=actor,
        action="create",
        kind="client-key",
        key=key,
        after={"encrypted": bool(encryption_key)},
    )


def sdk_payload(session: Session, client_key: str) -> dict[str, Any]:
    """The payload GrowthBook SDKs fetch for `client_key`; encrypted when the key has an encryption key."""
    found = session.scalar(select(ClientKey).where(ClientKey.key == client_key))
    if found is None:
        raise NotFoundError("client key", client_key)
    feats = features(session)
    updated = session.scalar(select(Flag.updated_at).order_by(Flag.updated_at.desc()).limit(1))
    doc: dict[str, Any] = {
        "status": 200,
        "features": feats,
        "dateUpdated": (_aware(updated) or utcnow()).isoformat(),
    }
    if found.encryption_key:
        doc["features"] = {}
        doc["encryptedFeatures"] = encrypt_payload(
            json.dumps(feats, separators=(",", ":")), found.encryption_key
        )
    return doc
