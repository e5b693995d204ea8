"""Signatures on DSSE envelopes (the wrapping of signed in-toto attestations such as SLSA provenance).

A DSSE signature covers the pre-authentication encoding (PAE) of the payload type and the payload:
`"DSSEv1" SP len(type) SP type SP len(payload) SP payload`, lengths in ASCII decimal. A signature counts when
it verifies with one of the organization's trusted public keys: Ed25519, ECDSA (P-256, P-384, P-521; DER
signatures, SHA-256/384/512 by curve), or RSA (PSS, else PKCS #1 v1.5, with SHA-256).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from missionos.errors import FieldError

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey
# What a provenance record's `signature` fact says.
VERIFIED, UNVERIFIED, UNSIGNED = "verified", "unverified", "unsigned"


@dataclass(frozen=True)
class TrustedKey:
    name: str
    key: PublicKey


def load_public_key(pem: bytes, source: str) -> PublicKey:
    """A PEM public key of a supported type, or an error naming `source` and what was expected."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, UnsupportedAlgorithm):
        raise FieldError(
            "key", "a PEM public key (-----BEGIN PUBLIC KEY-----): Ed25519, ECDSA or RSA", source=source
        ) from None
    if not isinstance(key, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise FieldError("key", "an Ed25519, ECDSA or RSA public key", source=source)
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
        raise FieldError("key", "an RSA key of at least 2048 bits", source=source)
    return key


def describe(key: PublicKey) -> str:
    """The key's type and size, e.g. `ECDSA P-256`."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"ECDSA P-{key.curve.key_size}"
    return f"RSA {key.key_size}"


def key_id(key: PublicKey) -> str:
    """The SHA-256 of the key's DER SubjectPublicKeyInfo, in hex."""
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding of a payload and its type."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def _verifies(key: PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, message)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            digest: hashes.HashAlgorithm = {384: hashes.SHA384(), 521: hashes.SHA512()}.get(
                key.curve.key_size, hashes.SHA256()
            )
            key.verify(signature, message, ec.ECDSA(digest))
        else:
            try:
                pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
                key.verify(signature, message, pss, hashes.SHA256())
            except InvalidSignature:
                key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def _envelope(raw: bytes) -> tuple[str, bytes, list[bytes]] | None:
    """(payload type, payload, signatures) of a DSSE envelope; None for anything else."""
    try:
        doc: Any = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(doc, dict) or "payload" not in doc or "payloadType" not in doc:
        return None
    try:
        payload = base64.b64decode(str(doc["payload"]), validate=True)
    except binascii.Error:
        return None
    signatures = []
    for entry in doc.get("signatures") or []:
        if isinstance(entry, dict) and isinstance(entry.get("sig"), str):
            try:
                signatures.append(base64.b64decode(entry["sig"], validate=True))
            except binascii.Error:
                continue
    return str(doc["payloadType"]), payload, signatures


def verify(raw: bytes, keys: Sequence[TrustedKey]) -> dict[str, Any]:
    """The signature facts of an evidence file: `signature` (verified, unverified or unsigned) and
    `signed_by` (the names of the trusted keys whose signature verifies)."""
    found = _envelope(raw)
    if found is None or not found[2]:
        return {"signature": UNSIGNED, "signed_by": []}
    payload_type, payload, signatures = found
    message = pae(payload_type, payload)
    names = sorted({k.name for k in keys for sig in signatures if _verifies(k.key, sig, message)})
    return {"signature": VERIFIED if names else UNVERIFIED, "signed_by": names}
