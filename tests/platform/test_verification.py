"""The verification rules on plain records: which deployment proves an offer, and what a team waits for."""

from __future__ import annotations

import datetime as dt

from missionos.platform.verification import OfferSpec, Use, offer_statuses, purl_type, team_status

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _use(service: str, day: int, **extra: object) -> Use:
    return Use(service, "Team", f"{service}-{day}", T0 + dt.timedelta(days=day), "abc1234", **extra)  # type: ignore[arg-type]


def test_purl_type_reads_the_type_of_a_package_url() -> None:
    assert purl_type("pkg:pypi/fastapi@0.115.6") == "pypi"
    assert purl_type("pkg:Maven/org.slf4j/slf4j-api@2.0.16") == "maven"
    assert purl_type("pkg:/npm/react@18") == "npm"  # the spec tolerates slashes after the scheme
    assert purl_type("cpe:2.3:a:apache:log4j") is None


def test_each_kind_of_offer_is_proven_only_by_its_own_record() -> None:
    python = OfferSpec("language", "python", proof=("pypi",))
    queue = OfferSpec("service", "queue")
    internal = OfferSpec("zone", "internal")
    sast = OfferSpec("stage", "sast", proof=("sarif",))
    use = _use("api", 1, purl_types=frozenset({"npm"}), kinds=frozenset({"sarif"}), bound=frozenset({"db"}))
    assert not use.used(python) and not use.used(queue) and not use.used(internal) and use.used(sast)
    assert use.evidence(sast) == "its revision carries sarif evidence"
    bound = _use("api", 2, zone="internal", bound=frozenset({"queue"}), purl_types=frozenset({"pypi"}))
    assert bound.used(python) and bound.used(queue) and bound.used(internal) and not bound.used(sast)
    assert bound.evidence(python) == "its SBOM lists pkg:pypi packages"


def test_the_first_deployment_verifies_and_unverified_offers_come_first() -> None:
    go = OfferSpec("language", "go", proof=("golang",))
    db = OfferSpec("service", "db")
    uses = [_use("b", 5, bound=frozenset({"db"})), _use("a", 3, bound=frozenset({"db"}))]
    statuses = offer_statuses([db, go], uses)
    assert [s.offer.name for s in statuses] == ["go", "db"]
    assert not statuses[0].verified and statuses[0].uses == 0
    assert statuses[1].first is not None and statuses[1].first.service == "a" and statuses[1].uses == 2


def test_a_team_with_no_deployment_is_blocked_by_what_is_unverified_or_not_offered() -> None:
    go = OfferSpec("language", "go", proof=("golang",))
    db = OfferSpec("service", "db")
    statuses = offer_statuses([go, db], [_use("other", 1, bound=frozenset({"db"}))])
    new = team_status(
        "New",
        services=["hello"],
        created=T0,
        probe="hello",
        needs={"language": ["go", "cobol"], "service": ["db"]},
        statuses=statuses,
        uses=[],
        now=T0 + dt.timedelta(days=30),
    )
    assert new.state == "blocked"
    assert [n.name for n in new.blocked_by] == ["go"]
    assert [(n.name, n.state) for n in new.gap] == [("go", "unverified"), ("cobol", "not offered")]
    assert new.days_waiting == 30 and new.days_to_first_deploy is None and new.probe_deployed is None
    shipped = team_status(
        "New",
        services=["hello"],
        created=T0,
        probe="hello",
        needs={},
        statuses=statuses,
        uses=[_use("hello", 12), _use("hello", 9)],
        now=T0 + dt.timedelta(days=30),
    )
    assert shipped.state == "shipping" and shipped.days_to_first_deploy == 9 and shipped.days_waiting is None
    assert shipped.probe_deployed is not None and shipped.probe_deployed.deployment == "hello-9"


def test_a_team_created_after_its_first_deploy_reads_zero_days() -> None:
    late = team_status(
        "Re-formed",
        services=["svc"],
        created=T0 + dt.timedelta(days=40),
        probe=None,
        needs={},
        statuses=[],
        uses=[_use("svc", 10)],
        now=T0 + dt.timedelta(days=50),
    )
    assert late.state == "shipping" and late.days_to_first_deploy == 0
