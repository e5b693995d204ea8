"""Two teams' production deployments with real SBOMs, so every verification in the platform tests has a record
behind it.

Team Web ships `storefront` (its SBOM is CERN's vdM editor bill of materials: npm packages) and `shop-api`
(Laravel 7.12's: composer packages). Team Newcomers was created on `CREATED` and has shipped nothing.
"""

from __future__ import annotations

import datetime as dt

from missionos.compliance import service as compliance
from missionos.delivery import service as delivery
from missionos.delivery.records import DeploymentRecord
from missionos.store import Database
from tests.datafiles import DATA

NPM_SBOM = DATA / "compliance" / "cyclonedx-xml" / "cern-lhc-vdm-editor-bom.xml"
COMPOSER_SBOM = DATA / "compliance" / "cyclonedx-xml" / "laravel-7.12.0-bom.1.1.xml"
WEB_CREATED = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
CREATED = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
REV_WEB = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
REV_API = "0fedcba9876543210fedcba9876543210fedcba9"
REV_API_2 = "1234567890abcdef1234567890abcdef12345678"

DOCUMENT = f"""\
platform: factory
offers:
  languages:
    - javascript
    - name: php
      description: PHP 8 build pack
    - name: go
  services:
    - postgres
    - name: message-queue
      description: Managed RabbitMQ
  zones: [public, internal]
  stages:
    - name: sbom
      evidence: cyclonedx
    - name: sast
      evidence: sarif
teams:
  - team: Web
    created: {WEB_CREATED.date().isoformat()}
    probe: storefront
    needs:
      languages: [javascript, php]
      services: [postgres]
      zones: [public]
  - team: Newcomers
    created: {CREATED.date().isoformat()}
    probe: newcomers-hello
    needs:
      languages: [go, cobol]
      services: [postgres, message-queue]
      stages: [sbom, sast]
bindings:
  - service: storefront
    deployment: web-1
    zone: public
  - service: shop-api
    deployment: api-1
    zone: internal
    services: [postgres]
"""


def _deploy(
    did: str, service: str, revision: str, at: dt.datetime, status: str = "success"
) -> DeploymentRecord:
    return DeploymentRecord(did, service, "production", status, at - dt.timedelta(minutes=10), at, revision)


def load(db: Database) -> None:
    with db.session() as s:
        delivery.ensure_service(s, "storefront", team="Web")
        delivery.ensure_service(s, "shop-api", team="Web")
        delivery.ensure_team(s, "Newcomers")
        delivery.upsert_deployments(
            s,
            [
                _deploy(
                    "web-0", "storefront", REV_WEB, dt.datetime(2026, 3, 20, 10, tzinfo=dt.UTC), "failure"
                ),
                _deploy("web-1", "storefront", REV_WEB, dt.datetime(2026, 3, 21, 10, tzinfo=dt.UTC)),
                _deploy("api-1", "shop-api", REV_API, dt.datetime(2026, 3, 25, 10, tzinfo=dt.UTC)),
                _deploy("api-2", "shop-api", REV_API_2, dt.datetime(2026, 4, 2, 10, tzinfo=dt.UTC)),
            ],
            source="test",
        )
        compliance.add_evidence(
            s,
            NPM_SBOM.read_bytes(),
            kind="cyclonedx",
            subject=f"storefront@{REV_WEB[:12]}",
            source=NPM_SBOM.name,
        )
        compliance.add_evidence(
            s,
            COMPOSER_SBOM.read_bytes(),
            kind="cyclonedx",
            subject=f"shop-api@{REV_API_2[:12]}",
            source=COMPOSER_SBOM.name,
        )
