"""Signatures on DSSE envelopes (the wrapping of signed in-toto attestations such as SLSA provenance).

A DSSE signature covers the pre-authentication encoding (PAE) of the payload type and the payload:
`"DSSEv1" SP len(type) SP type SP len(payload) SP payload`, lengths in ASCII decimal. A signature counts when
it verifies with one of the organization's trusted public keys: Ed25519, ECDSA (P-256, P-384, P-521; DER
signatures, SHA-256/384/512 by curve), or RSA (PSS, else PKCS #1 v1.5, with SHA-256).

Sigstore bundles (GitHub artifact attestations, slsa-github-generator) carry the envelope with the signer's
short-lived certificate instead of a key. Offline, with no transparency log reached, such a signature counts
when the envelope verifies with the certificate's key, the certificate chains (through the intermediates in
the bundle) to a certificate authority trusted the same way as a key (`keys add NAME CA.pem`), and every
certificate of the chain was valid at the time the bundle's log entry records. The signer is then the
certificate's identity (its URI or e-mail subject alternative name, e.g. a GitHub workflow at a ref), with
the OIDC issuer it names; a system's trust policy decides which identities it accepts. The log entry's own
inclusion proof is not checked offline.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from missionos.compliance.evidence import SIGSTORE_BUNDLE, load_json
from missionos.errors import FieldError, InputError

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey
# What a provenance record's `signature` fact says.
VERIFIED, UNVERIFIED, UNSIGNED = "verified", "unverified", "unsigned"


# Sigstore's certificate extensions naming the OIDC issuer (1.1: raw text, deprecated; 1.8: a DER UTF8String).
_ISSUER_V1 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
_ISSUER_V2 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")


@dataclass(frozen=True)
class TrustedKey:
    """A public key trusted to sign envelopes, or a certificate authority trusted to certify signers."""

    name: str
    key: PublicKey
    certificate: x509.Certificate | None = None


def load_trusted(pem: bytes, name: str, source: str) -> TrustedKey:
    """A PEM public key, or a PEM CA certificate (whose key is then trusted only to certify signers)."""
    if b"-----BEGIN CERTIFICATE-----" in pem:
        try:
            cert = x509.load_pem_x509_certificate(pem)
        except ValueError:
            raise FieldError(
                "key", "a PEM certificate (-----BEGIN CERTIFICATE-----)", source=source
            ) from None
        if not _is_ca(cert):
            raise FieldError(
                "key", "a certificate authority's certificate (basic constraints CA)", source=source
            )
        key = cert.public_key()
        if not isinstance(key, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
            raise FieldError("key", "a CA certificate with an Ed25519, ECDSA or RSA key", source=source)
        return TrustedKey(name, key, cert)
    return TrustedKey(name, load_public_key(pem, source))


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


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


def describe_trusted(found: TrustedKey) -> str:
    """What a trusted entry is: `ECDSA P-256`, or `CA certificate CN=… (ECDSA P-384)`."""
    if found.certificate is None:
        return describe(found.key)
    return f"CA certificate {found.certificate.subject.rfc4514_string()} ({describe(found.key)})"


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


def _document(raw: bytes) -> Any:
    try:
        return load_json(raw, "envelope")
    except InputError:
        return None


def _envelope(doc: Any) -> tuple[str, bytes, list[bytes]] | None:
    """(payload type, payload, signatures) of a DSSE envelope; None for anything else."""
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
    `signed_by` (the names of the trusted keys whose signature verifies, or the certificate identity of a
    Sigstore bundle's signer, with `signer_issuer`)."""
    doc = _document(raw)
    bundle = isinstance(doc, dict) and str(doc.get("mediaType", "")).startswith(SIGSTORE_BUNDLE)
    found = _envelope(doc.get("dsseEnvelope") if bundle else doc)
    if found is None or not found[2]:
        return {"signature": UNSIGNED, "signed_by": []}
    payload_type, payload, signatures = found
    message = pae(payload_type, payload)
    signers = [k for k in keys if k.certificate is None]
    names = sorted({k.name for k in signers for sig in signatures if _verifies(k.key, sig, message)})
    facts: dict[str, Any] = {"signature": VERIFIED if names else UNVERIFIED, "signed_by": names}
    if bundle and not names:
        identity = _certified(doc, signatures, message, [k.certificate for k in keys if k.certificate])
        if identity is not None:
            facts.update(signature=VERIFIED, signed_by=identity[0], signer_issuer=identity[1])
    return facts


def _certified(
    bundle: dict[str, Any], signatures: list[bytes], message: bytes, anchors: list[x509.Certificate]
) -> tuple[list[str], str | None] | None:
    """The identities and OIDC issuer of a Sigstore bundle's signing certificate, when the envelope verifies
    with its key and it chains to a trusted authority, all valid at the log's integrated time; else None."""
    certs, at = _bundle_material(bundle)
    if not certs or not anchors or at is None:
        return None
    leaf = certs[0]
    key = leaf.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey):
        return None
    if not any(_verifies(key, sig, message) for sig in signatures):
        return None
    if not _chains(leaf, certs[1:], anchors, at):
        return None
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    identities = [
        *san.get_values_for_type(x509.UniformResourceIdentifier),
        *san.get_values_for_type(x509.RFC822Name),
    ]
    return (identities, _issuer(leaf)) if identities else None


def _bundle_material(bundle: dict[str, Any]) -> tuple[list[x509.Certificate], dt.datetime | None]:
    """The certificates of a bundle (signer first) and the earliest time its log entries record."""
    material = bundle.get("verificationMaterial") or {}
    if not isinstance(material, dict):
        return [], None
    raws = [c.get("rawBytes") for c in (material.get("x509CertificateChain") or {}).get("certificates") or []]
    if isinstance(material.get("certificate"), dict):
        raws = [material["certificate"].get("rawBytes")]
    certs = []
    for text in raws:
        try:
            certs.append(x509.load_der_x509_certificate(base64.b64decode(str(text), validate=True)))
        except (ValueError, binascii.Error):
            return [], None
    times = [
        int(e["integratedTime"])
        for e in material.get("tlogEntries") or []
        if isinstance(e, dict) and str(e.get("integratedTime", "")).isdigit()
    ]
    return certs, dt.datetime.fromtimestamp(min(times), dt.UTC) if times else None


def _valid_at(cert: x509.Certificate, at: dt.datetime) -> bool:
    return cert.not_valid_before_utc <= at <= cert.not_valid_after_utc


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    if child.issuer != parent.subject or not _is_ca(parent):
        return False
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _chains(
    leaf: x509.Certificate,
    intermediates: list[x509.Certificate],
    anchors: list[x509.Certificate],
    at: dt.datetime,
) -> bool:
    """Whether `leaf` chains to one of `anchors`, every certificate on the way valid at `at`."""
    current = leaf
    for _ in range(6):
        if not _valid_at(current, at):
            return False
        anchor = next((a for a in anchors if _issued_by(current, a)), None)
        if anchor is not None:
            return _valid_at(anchor, at)
        step = next((c for c in intermediates if c != current and _issued_by(current, c)), None)
        if step is None:
            return False
        current = step
    return False


def _issuer(cert: x509.Certificate) -> str | None:
    """The OIDC issuer a Sigstore certificate names."""
    for oid, der in ((_ISSUER_V2, True), (_ISSUER_V1, False)):
        try:
            value = cert.extensions.get_extension_for_oid(oid).value
        except x509.ExtensionNotFound:
            continue
        data = value.value if isinstance(value, x509.UnrecognizedExtension) else b""
        if der and len(data) > 2 and data[0] == 0x0C:  # a UTF8String: tag, length (short or long form)
            start = 2 + (data[1] & 0x7F if data[1] & 0x80 else 0)
            return data[start:].decode(errors="replace")
        return data.decode(errors="replace")
    return None
