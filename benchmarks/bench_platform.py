"""Platform verification at scale: the overview (every offer verified or not, every team's gap) over many
production deployments, each with an SBOM and a binding record.

Work: S services (BENCH_PLATFORM_SERVICES, default 20) in teams of 4, D production deployments each
(BENCH_PLATFORM_DEPLOYMENTS, default 250), one CycloneDX SBOM of 30 packages per deployed revision, a binding
record per deployment, 23 offers of which 5 are never used. The peer is the floor under any verification:
reading the same production deployments and SBOM facts through the delivery and compliance services, nothing
else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

from missionos.compliance import service as compliance
from missionos.delivery import service as delivery
from missionos.delivery.records import DeploymentRecord
from missionos.measures import Window
from missionos.platform import service
from missionos.store import Database, open_database

ECOSYSTEMS = ["pypi", "npm", "maven", "golang", "gem"]
LANGUAGES = ["python", "javascript", "java", "go", "ruby", "rust"]  # rust: advertised, never shipped
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _sbom(service_name: str, n: int, ecosystem: str) -> bytes:
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "metadata": {"component": {"type": "application", "name": service_name, "version": f"1.0.{n}"}},
        "components": [
            {
                "type": "library",
                "name": f"lib{k}",
                "version": f"{n}.{k}",
                "purl": f"pkg:{ecosystem}/lib{k}@{n}.{k}",
            }
            for k in range(30)
        ],
    }
    return json.dumps(doc).encode()


def build(db: Database, services: int, per_service: int) -> int:
    document: dict[str, object] = {
        "platform": "bench",
        "offers": {
            "languages": LANGUAGES,
            "services": [f"svc-{k}" for k in range(10)] + ["never-bound", "never-bound-2"],
            "zones": ["public", "internal", "never-zone"],
            "stages": [{"name": "sbom", "evidence": "cyclonedx"}, {"name": "sast", "evidence": "sarif"}],
        },
        "teams": [
            {
                "team": f"team-{t}",
                "created": "2025-12-01",
                "needs": {"languages": ["go", "rust"], "services": ["svc-1"]},
            }
            for t in range(services // 4 + 1)
        ],
        "bindings": [],
    }
    bindings: list[dict[str, object]] = []
    with db.session() as s:
        for i in range(services):
            name = f"service-{i}"
            delivery.ensure_service(s, name, team=f"team-{i // 4}")
            records = []
            for n in range(per_service):
                at = START + dt.timedelta(hours=n * 6 + i)
                revision = hashlib.sha1(f"{name}:{n}".encode()).hexdigest()
                records.append(
                    DeploymentRecord(f"{name}-{n}", name, "production", "success", None, at, revision)
                )
                raw = _sbom(name, n, ECOSYSTEMS[i % len(ECOSYSTEMS)])
                compliance.add_evidence(
                    s, raw, kind="cyclonedx", subject=f"{name}@{revision[:12]}", source="bench"
                )
                bindings.append(
                    {"service": name, "deployment": f"{name}-{n}", "zone": ["public", "internal"][n % 2],
                     "services": [f"svc-{(i + n) % 10}"]}
                )  # fmt: skip
            delivery.upsert_deployments(s, records, source="bench")
    document["bindings"] = bindings
    with db.session() as s:
        service.apply_document(s, document, actor="bench")
    return services * per_service


def peer(db: Database) -> float:
    started = time.perf_counter()
    window = Window(dt.datetime(1970, 1, 1, tzinfo=dt.UTC), dt.datetime.now(dt.UTC))
    with db.session() as s:
        for svc in delivery.list_services(s):
            delivery.production_deployments(s, svc.name, window)
            compliance.revision_evidence(s, svc.name)
    return time.perf_counter() - started


def main() -> None:
    services = int(os.environ.get("BENCH_PLATFORM_SERVICES", "20"))
    per_service = int(os.environ.get("BENCH_PLATFORM_DEPLOYMENTS", "250"))
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MISSIONOS_HOME"] = str(Path(tmp) / "home")
        db = open_database(f"sqlite:///{tmp}/bench.db")
        started = time.perf_counter()
        deployments = build(db, services, per_service)
        took = time.perf_counter() - started
        print(f"setup: {deployments:,} production deployments with SBOMs and bindings in {took:.1f} s")
        floor = min(peer(db) for _ in range(3))
        timings = []
        for _ in range(3):
            started, cpu = time.perf_counter(), time.process_time()
            with db.session() as s:
                found = service.overview(s)
            timings.append((time.perf_counter() - started, time.process_time() - cpu))
        wall, cpu = min(timings)
        unverified = ", ".join(f"{o.offer.kind} {o.offer.name}" for o in found.unverified)
        size = f"{len(found.offers)} offers, {found.deployments:,} deployments, {len(found.teams)} teams"
        print(f"overview: {size}")
        rate = found.deployments / wall
        print(f"  best of 3: {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU ({rate:,.0f} deployments/s)")
        print(f"  peer (deployments and SBOM facts read, nothing else): {floor * 1000:.0f} ms")
        print(f"  ratio to the peer: {wall / floor:.2f}")
        print(f"  never deployed with: {unverified}")
        db.dispose()
