"""The platform's part of the demo: Go and the queue advertised, never used; Payments blocked by them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from missionos.compliance import demo as compliance_demo
from missionos.delivery import demo as delivery_demo
from missionos.demo.org import DemoOrg
from missionos.demo.repos import ensure_repositories
from missionos.platform import demo, service
from missionos.store import Database

TODAY = dt.date(2026, 11, 24)


def test_the_demo_s_unverified_offers_block_payments_and_loading_twice_changes_nothing(
    db: Database, tmp_path: Path
) -> None:
    org = DemoOrg(db=db, seed=7, home=tmp_path, today=TODAY)
    ensure_repositories(org)
    delivery_demo.load(org)
    compliance_demo.load(org)
    demo.load(org)
    demo.load(org)
    with db.session() as s:
        found = service.overview(s, now=dt.datetime.combine(TODAY, dt.time(), dt.UTC))
        again = service.apply_document(s, demo.document(org), actor="demo")
    assert again["offers"] == again["teams"] == again["bindings"] == 0
    assert [f"{o.offer.kind} {o.offer.name}" for o in found.unverified] == [
        "language go",
        "service message-queue",
    ]
    payments = next(t for t in found.teams if t.team == "Payments")
    assert payments.state == "blocked" and payments.probe_deployed is None
    assert [n.name for n in payments.blocked_by] == ["go", "message-queue"]
    intake = next(t for t in found.teams if t.team == "Intake")
    assert intake.state == "shipping" and intake.probe_deployed is not None
    assert intake.days_to_first_deploy is not None and intake.days_to_first_deploy > 0
    python = next(o for o in found.offers if o.offer.name == "python")
    assert python.first is not None and python.first.service == "intake-api"
