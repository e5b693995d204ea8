"""Offers verified by real production deployments, teams' gaps, and bad documents stored not at all."""

from __future__ import annotations

import datetime as dt

import pytest

from missionos.errors import NotFoundError
from missionos.platform import service
from missionos.platform.service import PlatformInvalid
from missionos.store import Database
from tests.datafiles import DATA
from tests.platform import scenario


def _apply(db: Database, text: str = scenario.DOCUMENT) -> dict[str, int]:
    doc, node = service.parse_text(text, source="platform.yaml")
    with db.session() as s:
        return service.apply_document(
            s, doc, actor="test", source="platform.yaml", node=node, now=scenario.NOW
        )


def test_offers_are_verified_by_the_first_production_deployment_that_used_them(db: Database) -> None:
    scenario.load(db)
    assert _apply(db) == {"offers": 9, "teams": 2, "bindings": 2, "unchanged": 0}
    assert _apply(db) == {"offers": 0, "teams": 0, "bindings": 0, "unchanged": 13}
    with db.session() as s:
        found = service.overview(s, now=scenario.NOW)
    by = {(o.offer.kind, o.offer.name): o for o in found.offers}
    # the failed deployment web-0 proves nothing; web-1 carries the npm SBOM
    js = by[("language", "javascript")]
    assert js.first is not None and js.first.deployment == "web-1"
    assert js.first.evidence(js.offer) == "its SBOM lists pkg:npm packages"
    # api-1 has no SBOM, so PHP waits for api-2 and its composer SBOM
    php = by[("language", "php")]
    assert php.first is not None and php.first.deployment == "api-2"
    postgres = by[("service", "postgres")]
    assert postgres.first is not None and postgres.first.deployment == "api-1" and postgres.uses == 1
    assert by[("zone", "public")].first.deployment == "web-1"  # type: ignore[union-attr]
    assert by[("stage", "sbom")].uses == 2
    assert [f"{o.offer.kind} {o.offer.name}" for o in found.unverified] == [
        "language go",
        "service message-queue",
        "stage sast",
    ]
    assert found.as_dict()["never_deployed_with"] == ["language go", "service message-queue", "stage sast"]


def test_each_team_sees_its_gap_its_probe_and_its_time_to_first_deploy(db: Database) -> None:
    scenario.load(db)
    _apply(db)
    with db.session() as s:
        new = service.team(s, "Newcomers", now=scenario.NOW)
        web = service.team(s, "Web", now=scenario.NOW)
        with pytest.raises(NotFoundError):
            service.team(s, "Nobody", now=scenario.NOW)
    assert new.state == "blocked"
    assert [f"{n.kind} {n.name}" for n in new.blocked_by] == [
        "language go",
        "service message-queue",
        "stage sast",
    ]
    assert new.as_dict()["not_offered"] == ["language cobol"]
    assert new.days_waiting == 61  # 2026-04-01 to 2026-06-01
    assert new.probe == "newcomers-hello" and new.probe_deployed is None
    assert web.state == "shipping" and not web.gap
    assert web.first_deploy is not None and web.first_deploy.deployment == "web-1"
    # created 2026-03-01 (midnight UTC), first production deployment 2026-03-21 10:00
    assert web.days_to_first_deploy == pytest.approx(20 + 10 / 24)
    assert web.probe_deployed is not None and web.probe_deployed.deployment == "web-1"


@pytest.mark.parametrize(
    ("change", "where", "expected"),
    [
        (
            ("evidence: sarif", "evidence: zap"),
            "platform.yaml:17: offers.stages[1].evidence",
            "kind of evidence",
        ),
        (
            ("    - name: go\n", "    - name: cobol\n"),
            "platform.yaml:7: offers.languages[2].purl",
            "purl type",
        ),
        (
            ("deployment: web-1", "deployment: web-0"),
            "platform.yaml:35: bindings[0].deployment",
            "successful",
        ),
        (("probe: storefront", "probe: [storefront]"), "platform.yaml:21: teams[0].probe", "name"),
        (("zones: [public]", "zone: [public]"), "platform.yaml:25: teams[0].needs.zone", "one of the fields"),
    ],
)
def test_a_bad_document_names_line_and_field_and_stores_nothing(
    db: Database, change: tuple[str, str], where: str, expected: str
) -> None:
    scenario.load(db)
    assert change[0] in scenario.DOCUMENT
    with pytest.raises(PlatformInvalid) as caught:
        _apply(db, scenario.DOCUMENT.replace(change[0], change[1], 1))
    message = str(caught.value)
    assert where in message and expected in message
    with db.session() as s:
        assert service.offers(s) == [] and service.team(s, "Newcomers", now=scenario.NOW).needs == ()


def test_a_revision_s_evidence_is_read_for_its_own_service_only(db: Database) -> None:
    from missionos.compliance import service as compliance

    raw = scenario.NPM_SBOM.read_bytes()
    with db.session() as s:
        # `_` is a LIKE wildcard: `shop_api` must not read `shopxapi`'s evidence
        compliance.add_evidence(s, raw, kind="cyclonedx", subject="shop_api@abc1234", source="a.xml")
        compliance.add_evidence(s, raw, kind="cyclonedx", subject="shopxapi@def5678", source="b.xml")
        compliance.add_evidence(s, raw, kind="cyclonedx", subject="shop_api", source="c.xml")
        found = compliance.revision_evidence(s, "shop_api")
    assert [(e.revision, sorted(e.kinds)) for e in found] == [("abc1234", ["cyclonedx"])]
    import xml.etree.ElementTree as ET

    components = next(el for el in ET.fromstring(raw) if el.tag.endswith("}components"))
    listed = {el.text for el in components.iter() if el.tag.endswith("}purl") and el.text}
    assert found[0].purls == tuple(sorted(listed))
    assert all(p.startswith("pkg:npm/") for p in found[0].purls)


def test_a_build_labelled_by_version_is_found_through_the_commit_its_provenance_names(db: Database) -> None:
    from missionos.compliance import service as compliance
    from missionos.delivery import service as delivery
    from missionos.delivery.records import DeploymentRecord

    provenance = DATA / "compliance" / "slsa" / "binary-linux-amd64-workflow_dispatch.intoto.jsonl"
    commit = "fd3ab12c1618b53d037c769a960d342d56b95fbf"  # the gitCommit/sha1 material of that provenance
    at = scenario.NOW - dt.timedelta(days=3)
    doc = {
        "offers": {
            "languages": ["javascript"],
            "stages": [{"name": "provenance", "evidence": "slsa-provenance"}],
        }
    }
    with db.session() as s:
        delivery.ensure_service(s, "example-package", team="Examples")
        delivery.upsert_deployments(
            s,
            [DeploymentRecord("ex-1", "example-package", "prod", "success", None, at, commit)],
            source="test",
        )
        compliance.add_evidence(
            s,
            scenario.NPM_SBOM.read_bytes(),
            kind="cyclonedx",
            subject="example-package@v1.2.2",
            source="sbom",
        )
        service.apply_document(s, doc, actor="test", now=scenario.NOW)
        before = service.overview(s, now=scenario.NOW)
        assert [o.offer.name for o in before.unverified] == ["javascript", "provenance"]
        compliance.add_evidence(
            s,
            provenance.read_bytes(),
            kind="slsa-provenance",
            subject="example-package@v1.2.2",
            source="prov",
        )
        after = service.overview(s, now=scenario.NOW)
    assert after.unverified == []
    assert all(o.first is not None and o.first.deployment == "ex-1" for o in after.offers)


def test_writes_are_audited_a_check_stores_nothing_and_a_withdrawn_offer_is_not_offered(db: Database) -> None:
    from missionos.accounts import audit

    scenario.load(db)
    doc, node = service.parse_text(scenario.DOCUMENT, source="platform.yaml")
    with db.session() as s:
        assert service.check(s, doc, source="platform.yaml", node=node) == {
            "offers": 9,
            "teams": 2,
            "bindings": 2,
        }
        assert service.offers(s) == []
    _apply(db)
    with db.session() as s:
        service.withdraw(s, "services", "message-queue", actor="lead")
        with pytest.raises(NotFoundError):
            service.withdraw(s, "service", "message-queue", actor="lead")
        new = service.team(s, "Newcomers", now=scenario.NOW)
        actions = [e.action for e in audit.entries(s, kind="platform-offer")]
    assert ("service", "message-queue", "not offered") in [(n.kind, n.name, n.state) for n in new.needs]
    assert actions.count("platform.offer.advertise") == 9 and actions[0] == "platform.offer.withdraw"
