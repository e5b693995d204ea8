"""Every write of compliance configuration is audited by the service itself, so a Python caller, the CLI and
the API leave the same trail."""

from __future__ import annotations

from missionos.accounts import audit
from missionos.compliance import service
from missionos.compliance.trust import TrustPolicy
from missionos.store import Database


def test_a_python_caller_leaves_the_same_audit_trail_as_the_cli(db: Database) -> None:
    with db.session() as session:
        service.define_system(session, "portal", services=["web"], actor="ann")
        service.define_system(session, "portal", services=["web"], actor="ann")  # unchanged: not a write
        service.define_system(session, "portal", services=["web", "api"], actor="bob")
        service.set_threshold(session, "portal", min_share=0.8, actor="ann")
        service.set_trust_policy(
            session, "portal", TrustPolicy(("https://ci.example/*",), ("git",)), actor="ann"
        )
        service.attest(
            session,
            system="portal",
            controls=["ps-3"],
            by="Ann Lee",
            statement="Screened before access.",
            expires_in_days=30,
            recorded_by="ann",
        )
        service.assess_system(session, "portal")
        service.accept_baseline(session, "portal", actor="carol", note="first ATO")
    with db.session() as session:
        trail = [(e.actor, e.action, e.kind, e.key) for e in reversed(audit.entries(session))]
    assert trail == [
        ("ann", "create", "compliance.system", "portal"),
        ("bob", "update", "compliance.system", "portal"),
        ("ann", "update", "compliance.threshold", "portal"),
        ("ann", "update", "compliance.trust_policy", "portal"),
        ("ann", "attest", "compliance.attestation", "portal:ps-3"),
        ("carol", "accept", "compliance.baseline", "portal"),
    ]
