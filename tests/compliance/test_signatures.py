"""Signed provenance: DSSE signatures verified against the organization's trusted keys."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from missionos.accounts import audit
from missionos.compliance import service, signatures
from missionos.compliance.trust import TrustPolicy
from missionos.errors import MissionOSError
from missionos.store import Database
from tests.compliance import samples
from tests.conftest import Cli

PAYLOAD_TYPE = "application/vnd.in-toto+json"
# the builder and source of `samples.provenance()`, and the key name the tests trust
FACTORY_POLICY = TrustPolicy(("https://factory.example/*",), ("https://git.example/*",), ("factory",))
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def _sign(key: PrivateKey, message: bytes) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(message)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(message, ec.ECDSA(hashes.SHA256()))
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH)
    return key.sign(message, pss, hashes.SHA256())


def envelope(statement: bytes, *keys: PrivateKey, payload: bytes | None = None) -> bytes:
    """`statement` in a DSSE envelope signed by `keys` (`payload` replaces what is sent, to tamper)."""
    sigs = [
        {"sig": base64.b64encode(_sign(k, signatures.pae(PAYLOAD_TYPE, statement))).decode()} for k in keys
    ]
    doc = {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(payload if payload is not None else statement).decode(),
        "signatures": sigs,
    }
    return json.dumps(doc).encode()


def pem(key: PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


KEYS: dict[str, Callable[[], PrivateKey]] = {
    "ed25519": ed25519.Ed25519PrivateKey.generate,
    "ecdsa-p256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "rsa-2048": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
}


@pytest.mark.parametrize("kind", sorted(KEYS))
def test_a_signature_verifies_only_with_its_trusted_key(kind: str) -> None:
    key, other = KEYS[kind](), KEYS[kind]()
    trusted = [signatures.TrustedKey("factory", signatures.load_public_key(pem(key), "k.pem"))]
    statement = samples.provenance()
    assert signatures.verify(envelope(statement, key), trusted) == {
        "signature": "verified",
        "signed_by": ["factory"],
    }
    assert signatures.verify(envelope(statement, other), trusted)["signature"] == "unverified"
    tampered = envelope(statement, key, payload=statement.replace(b"a" * 40, b"c" * 40))
    assert signatures.verify(tampered, trusted) == {"signature": "unverified", "signed_by": []}
    assert signatures.verify(statement, trusted) == {"signature": "unsigned", "signed_by": []}
    assert signatures.verify(envelope(statement), trusted)["signature"] == "unsigned"


def test_bad_and_weak_keys_are_refused_naming_the_file() -> None:
    with pytest.raises(MissionOSError, match=r"k\.pem.*PEM public key"):
        signatures.load_public_key(b"not a key", "k.pem")
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(MissionOSError, match="at least 2048 bits"):
        signatures.load_public_key(pem(weak), "weak.pem")


def _si7(db: Database) -> str:
    with db.session() as session:
        result = service.assess_system(session, "portal", now=samples.NOW).result
    return {c.control: c.status for c in result.controls}["si-7"]


def test_keys_added_or_removed_later_verify_stored_provenance_again(db: Database) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    with db.session() as session:
        service.define_system(session, "portal", services=["web"], actor="test")
        service.set_trust_policy(session, "portal", FACTORY_POLICY, actor="test")
        added = service.add_evidence(
            session,
            envelope(samples.provenance(), key),
            kind="slsa-provenance",
            subject="web@abc",
            source="p.json",
        )
    assert added.facts["signature"] == "unverified"
    assert _si7(db) != "satisfied", "provenance signed by an unknown key meets nothing"
    with db.session() as session:
        change = service.add_signing_key(session, "factory", pem(key), source="k.pem", actor="test")
        assert change["reverified"] == 1
        (stored,) = service.list_evidence(session, kind="slsa-provenance")
        assert stored.facts["signature"] == "verified" and stored.facts["signed_by"] == ["factory"]
    assert _si7(db) == "satisfied"
    with db.session() as session:
        assert service.remove_signing_key(session, "factory", actor="test")["reverified"] == 1
    assert _si7(db) != "satisfied"


def test_keys_commands_add_list_remove_with_audit(cli: Cli, db: Database, tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "factory.pem"
    path.write_bytes(pem(key))
    added = cli("compliance", "keys", "add", "factory", str(path))
    assert added.exit_code == 0, added.stderr
    assert "Trusted factory" in added.stdout
    again = cli("compliance", "keys", "add", "factory", str(path))
    assert again.exit_code == 2 and "already exists" in again.stderr
    listed = cli("compliance", "keys", "list", "--format", "json")
    (row,) = json.loads(listed.stdout)
    assert row["name"] == "factory" and row["type"] == "ECDSA P-256"
    assert row["key_id"] == signatures.key_id(key.public_key())
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n")
    refused = cli("compliance", "keys", "add", "other", str(bad))
    assert refused.exit_code == 2 and "bad.pem" in refused.stderr and "Traceback" not in refused.stderr
    removed = cli("compliance", "keys", "remove", "factory")
    assert removed.exit_code == 0 and "Removed factory" in removed.stdout
    missing = cli("compliance", "keys", "remove", "factory")
    assert missing.exit_code == 2 and "no signing key named 'factory'" in missing.stderr
    with db.session() as session:
        actions = [(e.action, e.key) for e in audit.entries(session, kind="compliance.signing-key")]
    assert sorted(actions) == [("create", "factory"), ("delete", "factory")]
