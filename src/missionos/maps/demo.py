"""The maps context's part of the demo organization (demo.md): the program's landscape and its domains.

The Wardley map's first version shows the paper-era landscape; its second moves claim intake and change
approval to the right (the strategies that move them), with the reason recorded, so the map's history shows
one turn of re-planning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from missionos.maps import service

if TYPE_CHECKING:
    from missionos.demo.org import DemoOrg

ACTOR = "demo"
PLAN = "benefits-2027"

LANDSCAPE_V1 = """\
title Benefits Modernization landscape
anchor Resident [0.96, 0.62]
component Benefit decision [0.86, 0.45]
component Claim intake [0.74, 0.30]
component Eligibility rules [0.60, 0.38]
component Caseworker review [0.62, 0.22] inertia
component Payments batch [0.45, 0.30] (build)
component Change approval [0.36, 0.20] inertia
component Delivery pipeline [0.26, 0.55] (build)
component Cloud platform [0.12, 0.82] (outsource)
Resident->Benefit decision
Benefit decision->Claim intake
Benefit decision->Eligibility rules
Benefit decision->Caseworker review
Benefit decision->Payments batch
Claim intake->Delivery pipeline
Eligibility rules->Delivery pipeline
Payments batch->Delivery pipeline
Delivery pipeline->Change approval; limited by
Delivery pipeline->Cloud platform
note Paper forms and a weekly CAB [0.40, 0.05]
"""

LANDSCAPE_V2 = (
    LANDSCAPE_V1
    + """\
evolve Claim intake 0.58
evolve Change approval 0.72
annotation 1 [0.74, 0.30] Guided digital form replaces paper intake (S1)
annotation 2 [0.36, 0.20] Automated change evidence replaces the weekly CAB (S4)
annotations [0.20, 0.05]
link Claim intake -> strategy:benefits-2027/S1
link Eligibility rules -> strategy:benefits-2027/S2
link Payments batch -> strategy:benefits-2027/S3
link Change approval -> strategy:benefits-2027/S4
link Delivery pipeline -> service:factory-pipeline
"""
)

DOMAINS = """\
title: Benefits domains
contexts:
  - {name: Intake, type: core, team: Intake, services: [intake-web, intake-api]}
  - {name: Eligibility, type: core, team: Eligibility, services: [eligibility-engine]}
  - {name: Payments, type: supporting, team: Payments, services: [payments-batch]}
  - {name: Identity, type: generic, services: []}
  - {name: Delivery platform, type: generic, team: Platform, services: [factory-pipeline]}
relationships:
  - {upstream: Eligibility, downstream: Intake, pattern: customer-supplier}
  - {upstream: Eligibility, downstream: Payments, pattern: published-language}
  - {upstream: Identity, downstream: Intake, pattern: conformist}
  - {upstream: Payments, downstream: Intake, pattern: anticorruption-layer}
  - {between: [Intake, Eligibility], pattern: partnership}
"""


def load(org: DemoOrg) -> None:
    """Save the maps (idempotent: an unchanged text adds no version)."""
    with org.db.session() as session:
        if not any(m.key == "benefits-landscape" for m in service.list_maps(session)):
            service.save(
                session, "benefits-landscape", "wardley", LANDSCAPE_V1, actor=ACTOR, plan=PLAN,
                rationale="The landscape as the program found it: paper intake, a weekly CAB",
            )  # fmt: skip
        service.save(
            session, "benefits-landscape", "wardley", LANDSCAPE_V2, actor=ACTOR, plan=PLAN,
            rationale="S1 and S4 move intake and change approval towards product; each component now names "
            "the strategy that moves it",
        )  # fmt: skip
        service.save(
            session, "benefits-domains", "domain", DOMAINS, actor=ACTOR, plan=PLAN,
            rationale="The bounded contexts of the program and who owns them",
        )  # fmt: skip
    org.notes.append("maps: the program's Wardley map (2 versions) and its domain map")
