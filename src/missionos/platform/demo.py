"""The platform context's part of the demo organization (demo.md): the seed's own story of things that were
not as advertised.

The factory pipeline advertises Go beside Python, JavaScript and Java, and a managed message queue beside
PostgreSQL, Redis and object storage. Intake and Eligibility ship on the others, so those are verified by
their production deployments' SBOMs and binding records; no one has ever shipped Go or been bound to the
queue. Payments, the new team, needs both: it is blocked by unverified offers, and its hello-world probe has
not reached production.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from missionos import delivery
from missionos.measures import Window
from missionos.platform import service

if TYPE_CHECKING:
    from missionos.demo.org import DemoOrg

ACTOR = "demo"
# What each service's deploy manifest binds it to on the factory platform: (zone, backing services).
BOUND = {
    "intake-web": ("public", ()),
    "intake-api": ("internal", ("postgres", "object-storage")),
    "eligibility-engine": ("internal", ("postgres", "redis")),
}


def document(org: DemoOrg) -> dict[str, Any]:
    start = dt.datetime.combine(org.start, dt.time(9), dt.UTC)
    return {
        "platform": "factory",
        "offers": {
            "languages": [
                {"name": "python", "description": "Python 3.12 build pack and hardened base image"},
                {"name": "javascript", "description": "Node.js 22 build pack for web front ends"},
                {"name": "java", "description": "Java 21 build pack (Maven)"},
                {"name": "go", "description": "Go 1.23 toolchain and distroless base image"},
            ],
            "services": [
                {"name": "postgres", "description": "Managed PostgreSQL 16 with nightly backups"},
                {"name": "redis", "description": "Managed Redis cache"},
                {"name": "object-storage", "description": "S3-compatible object storage, encrypted at rest"},
                {"name": "message-queue", "description": "Managed RabbitMQ for batch and event work"},
            ],
            "zones": [
                {"name": "public", "description": "Internet-facing, behind the web application firewall"},
                {"name": "internal", "description": "Agency network only"},
            ],
            "stages": [
                {"name": "unit-tests", "evidence": "junit"},
                {"name": "sast", "evidence": "sarif", "description": "Static analysis on every change"},
                {"name": "sbom", "evidence": ["cyclonedx", "spdx"]},
                {"name": "signed-provenance", "evidence": "slsa-provenance"},
            ],
        },
        "teams": [
            {
                "team": "Intake",
                "created": start,
                "probe": "intake-web",
                "needs": {
                    "languages": ["javascript", "python"],
                    "services": ["postgres", "object-storage"],
                    "zones": ["public", "internal"],
                    "stages": ["unit-tests", "sast", "sbom", "signed-provenance"],
                },
            },
            {
                "team": "Eligibility",
                "created": start,
                "needs": {
                    "languages": ["java"],
                    "services": ["postgres", "redis"],
                    "zones": ["internal"],
                    "stages": ["unit-tests", "sast", "sbom"],
                },
            },
            {
                "team": "Payments",
                "created": start + dt.timedelta(days=60),
                "probe": "payments-hello",
                "needs": {
                    "languages": ["go"],
                    "services": ["postgres", "message-queue"],
                    "zones": ["internal"],
                    "stages": ["unit-tests", "sast", "sbom", "signed-provenance"],
                },
            },
        ],
        "bindings": _bindings(org),
    }


def _bindings(org: DemoOrg) -> list[dict[str, Any]]:
    """A binding record for each successful production deployment of the services on the platform."""
    window = Window(dt.datetime(1970, 1, 1, tzinfo=dt.UTC), dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    out: list[dict[str, Any]] = []
    with org.db.session() as session:
        for name, (zone, bound) in BOUND.items():
            for d in delivery.production_deployments(session, name, window):
                if d.status == "success":
                    out.append({"service": name, "deployment": d.id, "zone": zone, "services": list(bound)})
    return out


def load(org: DemoOrg) -> None:
    """Advertise the factory's offers, declare the teams' needs and record the deploy bindings; idempotent."""
    with org.db.session() as session:
        service.apply_document(session, document(org), actor=ACTOR, source="demo")
        found = service.overview(session)
    unverified = ", ".join(f"{s.offer.kind} {s.offer.name}" for s in found.unverified) or "none"
    org.notes.append(f"platform: {len(found.offers)} offers advertised; never deployed with: {unverified}")
