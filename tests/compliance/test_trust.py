"""Supply-chain trust: provenance counts only under the system's trust policy (builders, sources, signers),
and Sigstore bundles are verified offline against a trusted certificate authority. Real files from
slsa-verifier's test data (tests/data/compliance/slsa, PROVENANCE-inputs.md)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from missionos.accounts import audit
from missionos.compliance import service, signatures
from missionos.compliance.evidence import parse
from missionos.compliance.trust import TrustPolicy, judge, source_repository
from missionos.errors import FieldError
from missionos.store import Database, utcnow
from tests.conftest import Cli

SLSA = Path(__file__).resolve().parents[1] / "data" / "compliance" / "slsa"
GENERATOR = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows"
RELEASED = TrustPolicy(
    builders=(f"{GENERATOR}/builder_go_slsa3.yml@refs/tags/v*",),
    sources=("https://github.com/slsa-framework/*",),
    signers=(f"{GENERATOR}/*@refs/heads/main",),
)
PROVENANCE_CONTROLS = ("sa-10", "sr-11", "si-7.1", "ia-3")


def _statuses(db: Database, now: dt.datetime | None = None) -> dict[str, Any]:
    with db.session() as session:
        result = service.assess_system(session, "portal", now=now or utcnow(), store=False).result
    return {c.control: c for c in result.controls}


def _add(db: Database, name: str, *, policy: TrustPolicy | None = RELEASED) -> None:
    with db.session() as session:
        service.define_system(session, "portal", services=["web"], actor="test")
        if policy is not None:
            service.set_trust_policy(session, "portal", policy, actor="test")
        service.add_evidence(
            session, (SLSA / name).read_bytes(), kind="slsa-provenance", subject="web", source=name
        )


@pytest.mark.parametrize(
    "name",
    ["binary-linux-amd64-untrusted-builder.intoto.jsonl", "binary-linux-amd64-no-tlog-upload.intoto.jsonl"],
)
def test_provenance_from_an_untrusted_builder_satisfies_nothing(db: Database, name: str) -> None:
    _add(db, name)
    found = _statuses(db)
    for control in PROVENANCE_CONTROLS:
        assert found[control].status == "not-satisfied", control
    reason = " ".join(f.description for f in found["sa-10"].findings)
    assert "trusted_builder" in reason


def test_provenance_from_the_released_builder_counts(db: Database) -> None:
    _add(db, "binary-linux-amd64-workflow_dispatch.intoto.jsonl")
    found = _statuses(db)
    for control in PROVENANCE_CONTROLS:
        assert found[control].status == "satisfied", (control, found[control].findings)


def test_without_a_trust_policy_no_provenance_counts(db: Database) -> None:
    _add(db, "binary-linux-amd64-workflow_dispatch.intoto.jsonl", policy=None)
    assert _statuses(db)["sa-10"].status == "not-satisfied"


def test_a_source_outside_the_policy_is_not_trusted() -> None:
    facts = parse(
        "slsa-provenance",
        (SLSA / "binary-linux-amd64-untrusted-builder.intoto.jsonl").read_bytes(),
        "untrusted",
    ).facts
    assert facts["source"] == "https://github.com/asraa/slsa-on-github-test"
    lenient = TrustPolicy(builders=("*",), sources=("https://github.com/slsa-framework/*",))
    verdict = judge(facts, lenient)
    assert verdict["trusted_builder"] and not verdict["trusted_source"] and verdict["trust"] == "untrusted"
    assert (
        "source 'https://github.com/asraa/slsa-on-github-test' is not allowed" in verdict["untrusted_because"]
    )


def test_source_repositories_are_normalized() -> None:
    assert (
        source_repository("git+https://github.com/org/repo@refs/heads/main") == "https://github.com/org/repo"
    )
    assert source_repository("https://github.com/org/repo.git") == "https://github.com/org/repo"


# -- Sigstore bundles ---------------------------------------------------------------------------------------


def _bundle(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((SLSA / name).read_bytes())
    return doc


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def sigstore_authorities() -> list[x509.Certificate]:
    """Sigstore's intermediate and root certificates, as the chain of slsa-verifier's bundle carries them
    (an administrator would take them from Sigstore's trusted root)."""
    chain = _bundle("valid.intoto.sigstore")["verificationMaterial"]["x509CertificateChain"]["certificates"]
    return [x509.load_der_x509_certificate(base64.b64decode(c["rawBytes"])) for c in chain[1:]]


def _trusted(certs: list[x509.Certificate]) -> list[signatures.TrustedKey]:
    return [signatures.load_trusted(_pem(c), f"ca-{i}", "ca.pem") for i, c in enumerate(certs)]


def test_a_sigstore_bundle_verifies_offline_against_the_trusted_authority() -> None:
    raw = (SLSA / "valid-v0.3.intoto.sigstore").read_bytes()
    facts = signatures.verify(raw, _trusted(sigstore_authorities()))
    assert facts["signature"] == "verified"
    assert facts["signed_by"] == [f"{GENERATOR}/generator_generic_slsa3.yml@refs/heads/main"]
    assert facts["signer_issuer"] == "https://token.actions.githubusercontent.com"
    parsed = parse("slsa-provenance", raw, "valid-v0.3").facts
    assert parsed["source"] == "https://github.com/slsa-framework/example-package"
    verdict = judge(
        {**parsed, **facts},
        TrustPolicy((f"{GENERATOR}/*",), ("https://github.com/slsa-framework/*",), RELEASED.signers),
    )
    assert verdict["trusted_signer"] and verdict["trust"] == "verified"


def test_a_sigstore_bundle_without_a_trusted_authority_is_unverified() -> None:
    raw = (SLSA / "valid-v0.3.intoto.sigstore").read_bytes()
    assert signatures.verify(raw, [])["signature"] == "unverified"
    only_root = _trusted(sigstore_authorities()[1:])  # the intermediate is not in a v0.3 bundle
    assert signatures.verify(raw, only_root)["signature"] == "unverified"


def test_a_bundle_whose_statement_was_changed_after_signing_is_unverified() -> None:
    doc = _bundle("valid-v0.3.intoto.sigstore")
    envelope = doc["dsseEnvelope"]
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["subject"][0]["digest"]["sha256"] = "0" * 64  # another artifact
    envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    facts = signatures.verify(json.dumps(doc).encode(), _trusted(sigstore_authorities()))
    assert facts["signature"] == "unverified" and facts["signed_by"] == []
    good = (SLSA / "valid.intoto.sigstore").read_bytes()  # a 0.1 bundle carrying its whole chain
    assert signatures.verify(good, _trusted(sigstore_authorities()))["signature"] == "verified"


def test_a_signing_certificate_expired_at_the_logged_time_is_unverified() -> None:
    doc = _bundle("valid-v0.3.intoto.sigstore")
    entry = doc["verificationMaterial"]["tlogEntries"][0]
    entry["integratedTime"] = str(int(entry["integratedTime"]) + 3600)  # an hour after the 10-minute cert
    facts = signatures.verify(json.dumps(doc).encode(), _trusted(sigstore_authorities()))
    assert facts["signature"] == "unverified"


def _own_ca_bundle(statement: bytes) -> tuple[bytes, x509.Certificate]:
    """A bundle signed by a leaf certificate from a certificate authority made here."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP384R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "agency-ca")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA384())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(2)
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(minutes=5))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier("https://git.agency.example/ci@main")]
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    payload_type = "application/vnd.in-toto+json"
    sig = leaf_key.sign(signatures.pae(payload_type, statement), ec.ECDSA(hashes.SHA256()))
    bundle = {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {
                "rawBytes": base64.b64encode(leaf.public_bytes(serialization.Encoding.DER)).decode()
            },
            "tlogEntries": [{"integratedTime": str(int(now.timestamp()))}],
        },
        "dsseEnvelope": {
            "payload": base64.b64encode(statement).decode(),
            "payloadType": payload_type,
            "signatures": [{"sig": base64.b64encode(sig).decode()}],
        },
    }
    return json.dumps(bundle).encode(), ca


def test_a_certificate_from_another_authority_is_not_trusted() -> None:
    from tests.compliance import samples

    raw, own_ca = _own_ca_bundle(samples.provenance())
    assert signatures.verify(raw, _trusted(sigstore_authorities()))["signature"] == "unverified"
    facts = signatures.verify(raw, _trusted([own_ca]))
    assert facts["signature"] == "verified" and facts["signed_by"] == ["https://git.agency.example/ci@main"]


def test_a_leaf_certificate_cannot_be_trusted_as_an_authority() -> None:
    from tests.compliance import samples

    raw, _ca = _own_ca_bundle(samples.provenance())
    leaf_b64 = json.loads(raw)["verificationMaterial"]["certificate"]["rawBytes"]
    leaf = x509.load_der_x509_certificate(base64.b64decode(leaf_b64))
    with pytest.raises(FieldError) as err:
        signatures.load_trusted(_pem(leaf), "leaf", "leaf.pem")
    assert "certificate authority" in str(err.value)


# -- the commands -------------------------------------------------------------------------------------------


def test_trust_set_and_show_are_audited_and_keys_add_takes_a_ca(
    cli: Cli, db: Database, tmp_path: Path
) -> None:
    assert cli("compliance", "system", "add", "portal", "--service", "web").exit_code == 0
    out = cli(
        "compliance", "trust", "set", "--system", "portal",
        "--builder", f"{GENERATOR}/*@refs/tags/v*", "--source", "https://github.com/slsa-framework/*",
        "--signer", f"{GENERATOR}/*@refs/heads/main",
    )  # fmt: skip
    assert out.exit_code == 0, out.stderr
    shown = json.loads(cli("compliance", "trust", "show", "--system", "portal", "--format", "json").stdout)
    assert shown["builders"] == [f"{GENERATOR}/*@refs/tags/v*"]
    with db.session() as session:
        entries = audit.entries(session, kind="compliance.trust_policy")
    assert [e.action for e in entries] == ["update"]
    missing = cli("compliance", "trust", "set", "--system", "portal", "--builder", " ", "--source", "x")
    assert missing.exit_code == 2 and "--builder" in missing.stderr and "Traceback" not in missing.stderr
    for i, cert in enumerate(sigstore_authorities()):
        path = tmp_path / f"ca{i}.pem"
        path.write_bytes(_pem(cert))
        added = cli("compliance", "keys", "add", f"sigstore-{i}", str(path))
        assert added.exit_code == 0, added.stderr
    listed = json.loads(cli("compliance", "keys", "list", "--format", "json").stdout)
    assert any("CA certificate CN=sigstore" in k["type"] for k in listed)
    bundle = SLSA / "valid-v0.3.intoto.sigstore"
    stored = cli(
        "compliance", "evidence", "add", str(bundle), "--kind", "slsa-provenance", "--subject", "web",
        "--format", "json",
    )  # fmt: skip
    assert stored.exit_code == 0, stored.stderr
    facts = json.loads(stored.stdout)[0]["facts"]
    assert (
        facts["signature"] == "verified"
        and facts["signer_issuer"] == "https://token.actions.githubusercontent.com"
    )


def test_a_bundle_signed_with_a_configured_key_verifies_with_that_key() -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from tests.compliance import samples

    key = ed25519.Ed25519PrivateKey.generate()
    statement = samples.provenance()
    payload_type = "application/vnd.in-toto+json"
    bundle = {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": "factory"}},
        "dsseEnvelope": {
            "payload": base64.b64encode(statement).decode(),
            "payloadType": payload_type,
            "signatures": [
                {"sig": base64.b64encode(key.sign(signatures.pae(payload_type, statement))).decode()}
            ],
        },
    }
    raw = json.dumps(bundle).encode()
    trusted = [signatures.TrustedKey("factory", key.public_key())]
    assert signatures.verify(raw, trusted) == {"signature": "verified", "signed_by": ["factory"]}
    other = [signatures.TrustedKey("other", ed25519.Ed25519PrivateKey.generate().public_key())]
    assert signatures.verify(raw, other)["signature"] == "unverified"
    assert parse("slsa-provenance", raw, "bundle.json").facts["builder"] == "https://factory.example/pipeline"
