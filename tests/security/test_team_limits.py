"""Team limits, as an attacker holding a token limited to team Intake would try them: every team-owned
endpoint x {own team, other team} x {read, write, admin} token."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from missionos.compliance import service as compliance
from missionos.delivery import files
from missionos.delivery import service as delivery
from missionos.experiments import service as experiments
from missionos.measures import Window
from missionos.store import Database
from missionos.web.app import create_app
from missionos.web.security import SecurityConfig

SERVICES = {"Intake": "intake-web", "Payments": "pay-api"}
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _seed(db: Database, folder: Path) -> None:
    from missionos.flow import service as flow

    with db.session() as session:
        for team, name in SERVICES.items():
            delivery.ensure_service(session, name, team=team)
            deployment = files.deployment_from(
                {
                    "id": f"d-{name}",
                    "service": name,
                    "environment": "production",
                    "status": "success",
                    "revision": "abc1234",
                    "finished_at": (NOW - dt.timedelta(days=2)).isoformat(),
                },
                source="seed",
                line=1,
            )
            delivery.upsert_deployments(session, [deployment], source="seed", lines=[1])
            incident = files.incident_from(
                {"id": f"i-{name}", "service": name, "started_at": (NOW - dt.timedelta(days=1)).isoformat()},
                source="seed",
                line=1,
            )
            delivery.upsert_incidents(session, [incident], source="seed", lines=[1])
            flag = experiments.validate_flag(
                {"key": f"{name}-flag", "service": name, "defaultValue": False, "rules": []}, "seed"
            )
            experiments.save_flag(session, flag, actor="seed")
            compliance.define_system(session, f"{name}-system", services=[name], actor="test")
            stream_file = folder / f"{name}.yaml"
            stream_file.write_text(
                f"name: {name}-stream\nteam: {team}\ndone: [Done]\n"
                "steps:\n  - {name: Build, statuses: [Doing], kind: active}\n"
            )
            flow.apply_stream(session, flow.read_stream_file(stream_file))
        experiments.apply_document(
            session,
            {
                "metrics": [{"key": "submitted", "type": "proportion", "event": "submitted"}],
                "experiments": [
                    {
                        "key": f"{name}-exp",
                        "service": name,
                        "variations": ["control", "new"],
                        "primary_metric": "submitted",
                    }
                    for name in SERVICES.values()
                ],
            },
            actor="seed",
        )


@dataclass(frozen=True)
class Probe:
    """One endpoint, aimed at a team's object: the request, and the role it needs."""

    name: str
    role: str  # viewer: a read; editor: a write
    call: Callable[[httpx.Client, str, dict[str, str]], httpx.Response]
    # for lists: whether the other team's object shows up (None: not a list)
    listed: Callable[[httpx.Response, str], bool] | None = None


def _names(response: httpx.Response, key: str) -> set[str]:
    return {str(row.get(key)) for row in response.json()}


PROBES = [
    Probe(
        "services list",
        "viewer",
        lambda c, s, h: c.get("/api/v1/delivery/services", headers=h),
        lambda r, s: s in _names(r, "name"),
    ),
    Probe(
        "deployments of the organization",
        "viewer",
        lambda c, s, h: c.get("/api/v1/delivery/deployments", headers=h),
        lambda r, s: s in _names(r, "service"),
    ),
    Probe(
        "incidents of the organization",
        "viewer",
        lambda c, s, h: c.get("/api/v1/delivery/incidents", headers=h),
        lambda r, s: s in _names(r, "service"),
    ),
    Probe(
        "incidents of a service",
        "viewer",
        lambda c, s, h: c.get("/api/v1/delivery/incidents", params={"service": s}, headers=h),
    ),
    Probe(
        "deployments of a team",
        "viewer",
        lambda c, s, h: c.get(
            "/api/v1/delivery/deployments",
            params={"team": next(t for t, n in SERVICES.items() if n == s)},
            headers=h,
        ),
    ),
    Probe(
        "metrics of a service",
        "viewer",
        lambda c, s, h: c.get("/api/v1/delivery/metrics", params={"service": s}, headers=h),
    ),
    Probe(
        "flags list",
        "viewer",
        lambda c, s, h: c.get("/api/v1/flags", headers=h),
        lambda r, s: f"{s}-flag" in _names(r, "key"),
    ),
    Probe(
        "value streams list",
        "viewer",
        lambda c, s, h: c.get("/api/v1/flow/streams", headers=h),
        lambda r, s: f"{s}-stream" in _names(r, "name"),
    ),
    Probe(
        "stream metrics",
        "viewer",
        lambda c, s, h: c.get(f"/api/v1/flow/streams/{s}-stream/metrics", headers=h),
    ),
    Probe("stream page", "viewer", lambda c, s, h: c.get(f"/flow/streams/{s}-stream", headers=h)),
    Probe(
        "experiments list",
        "viewer",
        lambda c, s, h: c.get("/api/v1/experiments", headers=h),
        lambda r, s: f"{s}-exp" in _names(r, "key"),
    ),
    Probe("experiment analysis", "viewer", lambda c, s, h: c.get(f"/api/v1/experiments/{s}-exp", headers=h)),
    Probe("experiment page", "viewer", lambda c, s, h: c.get(f"/experiments/{s}-exp", headers=h)),
    Probe(
        "record exposures",
        "editor",
        lambda c, s, h: c.post(
            "/api/v1/exposures",
            json=[
                {"experiment": f"{s}-exp", "unit_id": "u1", "variation": "new", "timestamp": NOW.isoformat()}
            ],
            headers=h,
        ),
    ),
    Probe("flag history", "viewer", lambda c, s, h: c.get(f"/api/v1/flags/{s}-flag/history", headers=h)),
    Probe(
        "systems list",
        "viewer",
        lambda c, s, h: c.get("/api/v1/compliance/systems", headers=h),
        lambda r, s: f"{s}-system" in _names(r, "name"),
    ),
    Probe(
        "assessment",
        "viewer",
        lambda c, s, h: c.get(f"/api/v1/compliance/systems/{s}-system/assessment", headers=h),
    ),
    Probe(
        "readiness list",
        "viewer",
        lambda c, s, h: c.get("/api/v1/delivery/readiness", headers=h),
        lambda r, s: s in _names(r, "service"),
    ),
    Probe("service page", "viewer", lambda c, s, h: c.get(f"/delivery/services/{s}", headers=h)),
    Probe(
        "team page",
        "viewer",
        lambda c, s, h: c.get(f"/delivery/teams/{next(t for t, n in SERVICES.items() if n == s)}", headers=h),
    ),
    Probe("system page", "viewer", lambda c, s, h: c.get(f"/compliance/{s}-system", headers=h)),
    Probe("flag page", "viewer", lambda c, s, h: c.get(f"/experiments/flags/{s}-flag", headers=h)),
    Probe(
        "add evidence",
        "editor",
        lambda c, s, h: c.post(
            "/api/v1/compliance/evidence",
            params={"kind": "junit", "subject": s, "name": "junit.xml"},
            content=JUNIT,
            headers={**h, "content-type": "application/octet-stream"},
        ),
    ),
    Probe(
        "change a flag",
        "editor",
        lambda c, s, h: c.put(
            f"/api/v1/flags/{s}-flag", json={"service": s, "defaultValue": True, "rules": []}, headers=h
        ),
    ),
    Probe(
        "record an incident",
        "editor",
        lambda c, s, h: c.post(
            "/api/v1/delivery/incidents",
            json={"id": "i-new", "service": s, "started_at": NOW.isoformat()},
            headers=h,
        ),
    ),
    Probe(
        "record a deployment",
        "editor",
        lambda c, s, h: c.post(
            "/api/v1/delivery/deployments",
            json={
                "id": "d-new",
                "service": s,
                "environment": "production",
                "status": "success",
                "revision": "def5678",
                "finished_at": NOW.isoformat(),
            },
            headers=h,
        ),
    ),
    Probe(
        "attest a control",
        "editor",
        lambda c, s, h: c.post(
            f"/api/v1/compliance/systems/{s}-system/attestations",
            json={"controls": ["ps-3"], "by": "Ana", "statement": "Screened before access."},
            headers=h,
        ),
    ),
]
SCOPES = {"read": "viewer", "write": "editor", "admin": "admin"}
JUNIT = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="1" failures="0"><testsuite name="unit" tests="1" failures="0">
<testcase classname="intake" name="saves a form" time="0.01"/></testsuite></testsuites>
"""
RANK = ("viewer", "editor", "admin")


@pytest.fixture
def limited(
    db: Database, make_token: Callable[..., str], tmp_path: Path
) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    _seed(db, tmp_path)
    made = {scope: make_token(scope, team="Intake", name=f"intake-{scope}") for scope in SCOPES}
    with TestClient(create_app(db, SecurityConfig())) as client:
        yield client, made


@pytest.mark.parametrize("probe", PROBES, ids=lambda p: p.name)
def test_every_endpoint_by_team_and_scope(limited: tuple[httpx.Client, dict[str, str]], probe: Probe) -> None:
    client, made = limited
    for scope, role in SCOPES.items():
        headers = {"authorization": f"Bearer {made[scope]}"}
        enough = RANK.index(role) >= RANK.index(probe.role)
        for team, service in SERVICES.items():
            own = team == "Intake"
            response = probe.call(client, service, headers)
            where = f"{probe.name}, {scope} token, {'own' if own else 'other'} team"
            if not enough:
                assert response.status_code == 403, where
            elif probe.listed is not None:
                assert response.status_code == 200, where
                assert probe.listed(response, service) is own, where
            elif own:
                assert response.status_code in (200, 201, 404), f"{where}: {response.text}"
                assert response.status_code != 404 or "assessment" in response.text, where
            else:
                assert response.status_code == 403, f"{where}: {response.text}"


def test_a_refused_batch_writes_nothing(limited: tuple[httpx.Client, dict[str, str]], db: Database) -> None:
    client, made = limited
    batch = [
        {"id": "i-mine", "service": "intake-web", "started_at": NOW.isoformat()},
        {"id": "i-theirs", "service": "pay-api", "started_at": NOW.isoformat()},
    ]
    refused = client.post(
        "/api/v1/delivery/incidents", json=batch, headers={"authorization": f"Bearer {made['write']}"}
    )
    assert refused.status_code == 403
    with db.session() as session:
        window = Window(NOW - dt.timedelta(days=9), NOW + dt.timedelta(days=1))
        found = delivery.incidents(session, delivery.scope_of(session), window)
    assert {i["id"] for i in found} == {"i-intake-web", "i-pay-api"}


def test_an_admin_limited_to_a_team_lists_only_the_users_and_tokens_within_its_reach(
    limited: tuple[httpx.Client, dict[str, str]], db: Database, make_token: Callable[..., str]
) -> None:
    from missionos.accounts import users

    client, made = limited
    make_token("admin", name="everyone-admin")
    make_token("write", team="Payments", name="payments-writer")
    with db.session() as session:
        users.create_user(session, "ivy", role="editor", actor="seed", password=None, teams=["Intake"])
        users.create_user(session, "pat", role="editor", actor="seed", password=None, teams=["Payments"])
        users.create_user(session, "root-admin", role="admin", actor="seed", password=None)
    intake_admin = {"authorization": f"Bearer {made['admin']}"}
    listed = client.get("/api/v1/accounts/users", headers=intake_admin)
    assert listed.status_code == 200 and _names(listed, "name") == {"ivy"}
    token_names = _names(client.get("/api/v1/accounts/tokens", headers=intake_admin), "name")
    assert token_names == {"intake-read", "intake-write", "intake-admin"}
    page = client.get("/accounts", headers={**intake_admin, "accept": "text/html"})
    assert page.status_code == 200
    assert "ivy" in page.text and "pat" not in page.text and "root-admin" not in page.text
    assert "payments-writer" not in page.text and "everyone-admin" not in page.text
    # An admin of every team still sees everyone.
    everyone = {"authorization": f"Bearer {make_token('admin', name='second-admin')}"}
    assert {"ivy", "pat", "root-admin"} <= _names(
        client.get("/api/v1/accounts/users", headers=everyone), "name"
    )


def test_a_plan_is_changed_only_by_editors_of_its_team(
    limited: tuple[httpx.Client, dict[str, str]], db: Database, make_token: Callable[..., str]
) -> None:
    from missionos.strategy import service as strategy

    client, made = limited
    goal = "  - {id: G1, statement: Ship %s, measure: {manual: releases}, target: {value: 1, by: 2027-09-30}}"
    goal += "\n"
    program = "plan: program\nobjective: Ship\ngoals:\n" + goal % "weekly"
    strategy.apply_plan(db, program, actor="seed")
    intake = {"authorization": f"Bearer {made['write']}", "content-type": "application/yaml"}
    # The program's plan (no team) needs an editor of every team, even when the new text claims a team.
    for text in (program.replace("Ship weekly", "Ship daily"), program + "team: Intake\n"):
        refused = client.post("/api/v1/strategy/plans", content=text, headers=intake)
        assert refused.status_code == 403, refused.text
    # Its own team's plan it may create and change; it cannot hand it to another team.
    mine = "plan: intake\nteam: Intake\nobjective: Flow\ngoals:\n" + goal % "in days"
    assert client.post("/api/v1/strategy/plans", content=mine, headers=intake).status_code in (200, 201)
    changed = client.post("/api/v1/strategy/plans", content=mine.replace("days", "hours"), headers=intake)
    assert changed.status_code in (200, 201), changed.text
    given_away = client.post(
        "/api/v1/strategy/plans", content=mine.replace("team: Intake", "team: Payments"), headers=intake
    )
    assert given_away.status_code == 403
    with db.session() as session:
        assert strategy.get_plan(session, "program").version == 1
        assert strategy.get_plan(session, "intake").version == 2
    # An editor of every team changes the program's plan.
    everyone = {
        "authorization": f"Bearer {make_token('write', name='all-writer')}",
        "content-type": "application/yaml",
    }
    assert client.post(
        "/api/v1/strategy/plans", content=program.replace("weekly", "daily"), headers=everyone
    ).status_code in (200, 201)


ORG_WIDE = (
    ("get", "/api/v1/hooks/deliveries"),
    ("post", "/api/v1/hooks/deliveries/replay"),
    ("get", "/api/v1/audit"),
    ("get", "/api/v1/audit/export"),
    ("get", "/api/v1/sync/sources"),
    ("post", "/api/v1/sync/sources/forge/read"),
)


def test_webhooks_sources_and_the_audit_log_need_an_admin_of_every_team(
    limited: tuple[httpx.Client, dict[str, str]], db: Database, make_token: Callable[..., str]
) -> None:
    from missionos.ingest import inbox

    client, made = limited
    with db.session() as session:
        inbox.store(
            session,
            source="github",
            delivery_id="payments-push-1",
            event="push",
            headers={"x-github-event": "push"},
            payload=b'{"repository": {"full_name": "acme/pay-api"}, "ref": "refs/heads/main"}',
        )
    intake_admin = {"authorization": f"Bearer {made['admin']}"}
    everyone = {"authorization": f"Bearer {make_token('admin', name='every-team-admin')}"}
    for method, path in ORG_WIDE:
        body = {"json": {"ids": []}} if path.endswith("/replay") else {}
        refused = client.request(method, path, headers=intake_admin, **body)
        assert refused.status_code == 403, f"{method} {path}: {refused.status_code} {refused.text}"
        assert refused.headers["content-type"].startswith("application/problem+json"), path
        assert "needs every team" in refused.json()["detail"], path
        allowed = client.request(method, path, headers=everyone, **body)
        # 409: this server reads no sources file, which only an admin of every team may learn.
        assert allowed.status_code in (200, 202, 409), f"{method} {path}: {allowed.text}"
    listed = client.get("/api/v1/hooks/deliveries", headers=everyone).json()
    assert [d["delivery_id"] for d in listed["deliveries"]] == ["payments-push-1"]
    page = client.get("/accounts", headers={**intake_admin, "accept": "text/html"})
    assert page.status_code == 200
    assert "payments-push-1" not in page.text and 'id="hooks"' not in page.text
    assert 'id="org-wide-note"' in page.text and 'href="/accounts/audit"' not in page.text
    assert client.get("/accounts/audit", headers={**intake_admin, "accept": "text/html"}).status_code == 403
    full = client.get("/accounts", headers={**everyone, "accept": "text/html"})
    assert "payments-push-1" in full.text and 'id="org-wide-note"' not in full.text
