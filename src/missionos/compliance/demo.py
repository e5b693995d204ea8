"""The `compliance` context's part of the demo organization (demo.md).

- System `benefits-portal` (intake-web, intake-api, eligibility-engine) on the MODERATE baseline, inheriting
  the platform's controls from `factory-pipeline`; system `payments-legacy` (payments-batch), not on the
  platform yet.
- Pipeline evidence for each deployment: JUnit, SARIF, CycloneDX and SLSA provenance files written under
  `<home>/demo/evidence/` and added like any user's files.
- Where it falls short: eligibility-engine's last scan is stale; payments-batch carries a high finding older
  than the remediation limit; of two attestations, one has expired.
- A weekly assessment over the period, so the trend and the POA&M ages are real.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from missionos.compliance import service, signatures
from missionos.compliance.assess import LeveragedAuthorization
from missionos.compliance.trust import TrustPolicy
from missionos.demo.org import DemoOrg
from missionos.errors import NotFoundError
from missionos.measures import Window

SYSTEM = "benefits-portal"
PORTAL_SERVICES = ("intake-web", "intake-api", "eligibility-engine")
LEGACY_SYSTEM = "payments-legacy"
PROVIDER = "factory-pipeline"
BUILDER = "https://factory.agency.example/pipeline/v2"
# The factory platform's own authorization, which benefits-portal leverages for the controls it inherits.
PROVIDER_AUTHORIZATION = LeveragedAuthorization(
    "Agency ATO of the factory-pipeline platform", dt.date(2026, 1, 15)
)
# Provenance counts only from the factory's builder, for the agency's repositories, signed with its key.
FACTORY_TRUST = TrustPolicy(
    builders=("https://factory.agency.example/pipeline/*",),
    sources=("https://git.agency.example/*",),
    signers=("factory-builder",),
)
FACTORY_KEY = "factory-builder"  # the trusted key the demo factory signs its provenance with
# Days between pipeline runs that end in a production deployment.
CADENCE = {"intake-web": 2, "intake-api": 3, "eligibility-engine": 7, "payments-batch": 7}
STALE_SCAN_DAYS = 19  # eligibility-engine's scanner job broke this long ago
LIBRARIES = {
    "intake-web": [("react", "18.3.1", "MIT"), ("i18next", "23.11.5", "MIT"), ("zod", "3.23.8", "MIT")],
    "intake-api": [
        ("fastapi", "0.115.6", "MIT"),
        ("pydantic", "2.10.4", "MIT"),
        ("boto3", "1.35.90", "Apache-2.0"),
    ],
    "eligibility-engine": [
        ("org.drools:drools-core", "9.44.0", "Apache-2.0"),
        ("com.fasterxml.jackson.core:jackson-databind", "2.17.2", "Apache-2.0"),
        ("org.slf4j:slf4j-api", "2.0.16", "MIT"),
    ],
    "payments-batch": [("ibm-cobol-runtime", "6.4.0", "Proprietary"), ("log4j-core", "2.14.1", "Apache-2.0")],
}
RULES = [
    ("python.lang.security.audit.insecure-hash", "Use of a weak hash", 5.3),
    ("javascript.browser.security.insecure-document-method", "innerHTML with user input", 6.1),
    ("java.lang.security.audit.xxe", "XML parser allows external entities", 8.2),
    ("generic.secrets.hardcoded-password", "Hard-coded password", 7.5),
]


def load(org: DemoOrg) -> None:
    """Add this context's demo records to `org.db`; idempotent for a given seed."""
    root = org.home / "demo" / "evidence"
    # Midnight starting today: never later than the moment the demo is loaded, and the same all day.
    now = dt.datetime.combine(org.today, dt.time(0, 0), dt.UTC)
    with org.db.session() as session:
        service.define_system(
            session,
            SYSTEM,
            baseline="moderate",
            services=PORTAL_SERVICES,
            provider=PROVIDER,
            description="Residents apply for benefits online and get an eligibility decision.",
            authorization=PROVIDER_AUTHORIZATION,
            actor="demo",
        )
        service.define_system(
            session,
            LEGACY_SYSTEM,
            baseline="moderate",
            services=("payments-batch",),
            description="The nightly benefit payment batch, not yet on the factory platform.",
            actor="demo",
        )
        for name in (SYSTEM, LEGACY_SYSTEM):
            service.set_trust_policy(session, name, FACTORY_TRUST, actor="demo")
        if not any(k["name"] == FACTORY_KEY for k in service.list_signing_keys(session)):
            public = (
                _factory_key(org)
                .public_key()
                .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            )
            service.add_signing_key(session, FACTORY_KEY, public, source="demo", actor="demo")
        for name in (*PORTAL_SERVICES, "payments-batch"):
            for path, kind, subject, at in _pipeline_runs(org, name, root, now):
                service.add_evidence(
                    session, path.read_bytes(), kind=kind, subject=subject, source=str(path), collected_at=at
                )
        start = dt.datetime.combine(org.start, dt.time(9, 0), dt.UTC)
        service.attest(
            session,
            system=SYSTEM,
            controls=["ps-3", "ps-4"],
            by="Morgan Ellis (ISSO)",
            statement="Everyone with access is screened before access is granted and de-provisioned on exit "
            "through the agency's HR workflow, reviewed quarterly.",
            expires_in_days=365,
            at=now - dt.timedelta(days=40),
            recorded_by="demo",
        )
        service.attest(
            session,
            system=SYSTEM,
            controls=["ir-4"],
            by="Chris Ward (incident response lead)",
            statement="Incidents are handled under the agency's incident response plan; "
            "the on-call rota covers the portal around the clock.",
            expires_in_days=90,
            at=start + dt.timedelta(days=10),
            recorded_by="demo",
        )
        for system in (SYSTEM, LEGACY_SYSTEM):
            service.forget_assessments(session, system)
            moment = now - dt.timedelta(weeks=25)
            ids = []
            while moment <= now:
                ids.append(service.assess_system(session, system, now=moment).id)
                moment += dt.timedelta(weeks=1)
            # The ISSO accepted the assessment of four weeks ago as the gate's baseline.
            service.accept_baseline(
                session,
                system,
                actor="Morgan Ellis (ISSO)",
                note="Accepted at the monthly continuous-monitoring review.",
                assessment_id=ids[-5],
            )
    org.notes.append(
        f"compliance: {SYSTEM} assessed weekly on MODERATE; eligibility-engine's scan is stale, "
        f"payments-batch has an overdue high finding; evidence files under {root}"
    )


def _deployments(org: DemoOrg, name: str, now: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """The revisions that went to production, with when: delivery's records when it has them, else one
    commit every few days."""
    from missionos.delivery import production_deployments

    with org.db.session() as session:
        try:
            found = production_deployments(
                session, name, Window(dt.datetime.combine(org.start, dt.time(), dt.UTC), now)
            )
        except NotFoundError:
            found = []
    runs = [(d.revision, d.finished_at) for d in found if d.revision and d.finished_at < now]
    if runs:
        return runs
    rng = random.Random(f"{org.seed}:compliance:deployments:{name}")
    picked: list[tuple[str, dt.datetime]] = []
    last: dt.datetime | None = None
    for sha, at in org.commits(name):
        if last is None or at - last >= dt.timedelta(days=CADENCE[name] + rng.choice((-1, 0, 0, 1))):
            picked.append((sha, at + dt.timedelta(minutes=rng.randint(8, 40))))
            last = at
    return [(sha, at) for sha, at in picked if at < now]


def _pipeline_runs(
    org: DemoOrg, name: str, root: Path, now: dt.datetime
) -> Iterator[tuple[Path, str, str, dt.datetime]]:
    rng = random.Random(f"{org.seed}:compliance:{name}")
    runs = _deployments(org, name, now)
    if name == "payments-batch":
        runs = [(sha, at) for sha, at in org.commits(name)[:: max(1, len(org.commits(name)) // 26)]][-26:]
    stale_after = now - dt.timedelta(days=STALE_SCAN_DAYS)
    for n, (sha, at) in enumerate(runs, start=1):
        run_dir = root / name / f"run-{n:04d}-{sha[:10]}"
        run_dir.mkdir(parents=True, exist_ok=True)
        subject = f"{name}@{sha[:12]}"
        version = f"1.{n // 20}.{n % 20}"
        files: list[tuple[str, str, bytes]] = [
            ("junit.xml", "junit", _junit(rng, name, at)),
            ("sbom.cdx.json", "cyclonedx", _cyclonedx(name, version, sha, at)),
            ("provenance.intoto.json", "slsa-provenance", _signed(org, _provenance(name, version, sha, at))),
        ]
        if not (name == "eligibility-engine" and at > stale_after):
            files.append(("scan.sarif", "sarif", _sarif(rng, org, name, at)))
        if name == "payments-batch":
            files = [f for f in files if f[1] in ("sarif", "junit")]
        for file_name, kind, body in files:
            path = run_dir / file_name
            if not path.exists() or path.read_bytes() != body:
                path.write_bytes(body)
            yield path, kind, subject, at


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _junit(rng: random.Random, name: str, at: dt.datetime) -> bytes:
    cases = []
    for i in range(rng.randint(40, 60)):
        t = rng.uniform(0.001, 0.4)
        skipped = "<skipped/>" if rng.random() < 0.03 else ""
        cases.append(
            f'    <testcase classname="{name}.suite{i % 6}" name="test_{i:03d}" time="{t:.3f}">'
            f"{skipped}</testcase>"
        )
    body = "\n".join(cases)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n'
        f'  <testsuite name="{name}" tests="{len(cases)}" timestamp="{_iso(at)}">\n'
        f"{body}\n  </testsuite>\n</testsuites>\n"
    ).encode()


def _sarif(rng: random.Random, org: DemoOrg, name: str, at: dt.datetime) -> bytes:
    results: list[dict[str, Any]] = []
    if name == "payments-batch":
        first = dt.datetime.combine(org.today, dt.time(2, 0), dt.UTC) - dt.timedelta(days=75)
        if at >= first:
            results.append(
                _result(
                    "java.lang.security.audit.log4j-jndi",
                    "Log4j JNDI lookup (CVE-2021-44228)",
                    8.1,
                    "lib/log4j-core-2.14.1.jar",
                    first,
                )
            )
    elif rng.random() < 0.5:
        rule, text, score = RULES[rng.randrange(len(RULES) - 1)]
        score = min(score, 6.5)  # the product teams fix their highs within the limit
        results.append(_result(rule, text, score, f"src/{name}/module{rng.randint(1, 9)}.py", at))
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "Semgrep OSS", "version": "1.97.0", "rules": []}},
                "invocations": [{"executionSuccessful": True, "endTimeUtc": _iso(at)}],
                "results": results,
            }
        ],
    }
    return (json.dumps(doc, indent=2) + "\n").encode()


def _result(rule: str, text: str, score: float, uri: str, first: dt.datetime) -> dict[str, Any]:
    return {
        "ruleId": rule,
        "level": "error" if score >= 7 else "warning",
        "message": {"text": text},
        "properties": {"security-severity": f"{score:.1f}"},
        "provenance": {"firstDetectionTimeUtc": _iso(first)},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": 42}}}],
    }


def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _cyclonedx(name: str, version: str, sha: str, at: dt.datetime) -> bytes:
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{uuid.UUID(_digest(name, sha)[:32])}",
        "version": 1,
        "metadata": {
            "timestamp": _iso(at),
            "component": {"type": "application", "name": name, "version": version},
        },
        "components": [
            {
                "type": "library",
                "name": lib,
                "version": ver,
                "purl": _purl(name, lib, ver),
                "licenses": [{"license": {"id": lic}}],
            }
            for lib, ver, lic in LIBRARIES[name]
        ],
    }
    return (json.dumps(doc, indent=2) + "\n").encode()


# The package ecosystem of each demo service's SBOM, so the purls say which language a build used.
PURL_TYPES = {"intake-web": "npm", "intake-api": "pypi", "eligibility-engine": "maven"}


def _purl(service: str, lib: str, version: str) -> str:
    kind = PURL_TYPES.get(service, "generic")
    if kind == "maven" and ":" in lib:
        group, artifact = lib.split(":", 1)
        return f"pkg:maven/{group}/{artifact}@{version}"
    return f"pkg:{kind}/{lib}@{version}"


def _factory_key(org: DemoOrg) -> Ed25519PrivateKey:
    """The demo factory's signing key, the same for a given seed."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"demo-factory-{org.seed}".encode()).digest())


def _signed(org: DemoOrg, statement: bytes) -> bytes:
    """`statement` in a DSSE envelope signed with the demo factory's key, as a signing builder writes it."""
    key = _factory_key(org)
    payload_type = "application/vnd.in-toto+json"
    envelope = {
        "payloadType": payload_type,
        "payload": base64.b64encode(statement).decode(),
        "signatures": [
            {
                "keyid": signatures.key_id(key.public_key()),
                "sig": base64.b64encode(key.sign(signatures.pae(payload_type, statement))).decode(),
            }
        ],
    }
    return (json.dumps(envelope, indent=2) + "\n").encode()


def _provenance(name: str, version: str, sha: str, at: dt.datetime) -> bytes:
    doc = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [
            {
                "name": f"registry.agency.example/benefits/{name}",
                "digest": {"sha256": _digest(name, sha, "image")},
            }
        ],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://factory.agency.example/buildtypes/container@v1",
                "externalParameters": {
                    "repository": f"https://git.agency.example/benefits/{name}",
                    "ref": "refs/heads/main",
                },
                "resolvedDependencies": [
                    {
                        "uri": f"git+https://git.agency.example/benefits/{name}@refs/heads/main",
                        "digest": {"gitCommit": sha},
                    }
                ],
            },
            "runDetails": {
                "builder": {"id": BUILDER},
                "metadata": {
                    "invocationId": f"{name}-{version}",
                    "startedOn": _iso(at - dt.timedelta(minutes=6)),
                    "finishedOn": _iso(at),
                },
            },
        },
    }
    return (json.dumps(doc, indent=2) + "\n").encode()
