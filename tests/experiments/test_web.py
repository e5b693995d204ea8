"""The experiments API, the GrowthBook SDK endpoint (checked with the real GrowthBook SDK), OFREP, the
OpenFeature provider, the page actions' authorization, and the demo's verdicts."""

from __future__ import annotations

import base64
import datetime as dt
import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from missionos import measures
from missionos.accounts import audit
from missionos.demo.org import DemoOrg
from missionos.experiments import demo, service
from missionos.experiments.evaluation import EvalContext, evaluate_feature
from missionos.experiments.models import Exposure, FlagVersion
from missionos.experiments.openfeature import MissionOSProvider
from missionos.experiments.payload import decrypt_payload
from missionos.store import Database
from missionos.web.app import create_app
from tests.experiments import ofrep_schema
from tests.experiments.seed import reminder_data

TODAY = dt.date(2026, 11, 24)


SMALL = {
    "flags": [
        {
            "key": "guided-intake",
            "service": "intake-web",
            "defaultValue": False,
            "rules": [
                {
                    "id": "exp",
                    "key": "guided-intake",
                    "variations": [False, True],
                    "coverage": 0.5,
                    "hashVersion": 2,
                    "meta": [{"key": "control"}, {"key": "guided"}],
                }
            ],
        },
        {
            "key": "document-upload-v2",
            "defaultValue": False,
            "rules": [{"id": "ramp", "force": True, "coverage": 0.25, "seed": "upload-v2"}],
        },
        {
            "key": "copy-tone",
            "defaultValue": "plain",
            "rules": [{"force": "warm", "condition": {"country": {"$in": ["US", "CA"]}}}],
        },
    ],
    "metrics": [{"key": "documents-uploaded", "type": "proportion", "event": "documents_uploaded"}],
    "experiments": [
        {
            "key": "document-reminder",
            "variations": ["control", "reminder"],
            "primary_metric": "documents-uploaded",
        }
    ],
}


@pytest.fixture
def small_db(db: Database) -> Database:
    """A few flags, a client key and one experiment with a little data: cheap enough for every test."""
    with db.session() as session:
        service.apply_document(session, SMALL, actor="test")
        service.add_client_key(session, "sdk-intake", actor="test")
        reminder_data(session)
    return db


@pytest.fixture
def small_client(small_db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(small_db)) as client:
        yield client


def test_the_demo_tells_its_story(db: Database, tmp_path: Path) -> None:
    demo.load(DemoOrg(db=db, seed=7, home=tmp_path, today=TODAY))
    expected = {
        "guided-intake": "validated",
        "document-reminder": "inconclusive",
        "status-page-redesign": "invalid",
        "auto-eligibility-hints": "invalidated",
    }
    for key, status in expected.items():
        verdict = measures.verdict_for(db, key)
        assert verdict is not None and verdict.status == status, (key, verdict)
        assert verdict.evidence_url == f"/experiments/{key}"
    assert measures.verdict_for(db, "no-such-bet") is None
    # What the loop compares with the plan: the judged metric, the flag's real allocation, the effect.
    guided = measures.verdict_for(db, "guided-intake")
    assert guided is not None and guided.primary_metric == "claim-completed" and guided.allocation == 0.5
    assert guided.effect is not None and guided.ci is not None and 0 < guided.ci[0] < guided.effect
    assert guided.started_at is not None and guided.running is True
    hints = measures.verdict_for(db, "auto-eligibility-hints")
    assert hints is not None and hints.allocation == 1.0 and hints.effect is not None and hints.effect < 0
    with db.session() as session:
        service.set_rollout(session, "auto-eligibility-hints", 0.0, actor="test")
    stopped = measures.verdict_for(db, "auto-eligibility-hints")
    assert stopped is not None and stopped.allocation == 0.0  # a flag change is seen at once
    # The inconclusive bet's power view says how long it would take: far longer than it has run.
    reminder = service.analyze(db, "document-reminder")
    assert reminder.power is not None and reminder.power.days is not None and reminder.power.days > 180
    with db.session() as session:
        before = session.scalar(select(func.count()).select_from(Exposure))
        versions = session.scalar(select(func.count()).select_from(FlagVersion))
        history = service.flag_history(session, "guided-intake")
    assert [v.rollout for v in history] == [0.5, 0.05]
    demo.load(DemoOrg(db=db, seed=7, home=tmp_path, today=TODAY))  # idempotent
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Exposure)) == before
        assert session.scalar(select(func.count()).select_from(FlagVersion)) == versions
    assert 10_000 < before < 100_000
    with TestClient(create_app(db)) as client:
        doc = client.get("/api/v1/experiments/status-page-redesign").json()
        assert doc["verdict"]["status"] == "invalid" and doc["srm"]["mismatch"] is True
        html = client.get("/experiments/status-page-redesign", headers={"accept": "text/html"}).text
        assert "Sample-ratio mismatch" in html and 'role="alert"' in html
        index = client.get("/experiments", headers={"accept": "text/html"}).text
        for key in expected:
            assert f'href="/experiments/{key}"' in index


def test_the_sdk_payload_is_evaluated_identically_by_the_growthbook_sdk(small_client: TestClient) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from growthbook import GrowthBook
    payload = small_client.get("/api/features/sdk-intake").json()
    assert set(payload["features"]) == {"guided-intake", "document-upload-v2", "copy-tone"}
    for i in range(300):
        attrs = {"id": f"resident-{i}", "country": ["US", "FR", "CA"][i % 3]}
        gb = GrowthBook(attributes=attrs, features=payload["features"])
        for key in payload["features"]:
            theirs = gb.eval_feature(key)
            ours = evaluate_feature(EvalContext(attributes=attrs, features=payload["features"]), key)
            assert (theirs.value, theirs.source) == (ours["value"], ours["source"]), (key, attrs)
        gb.destroy()
    assert small_client.get("/api/features/unknown-key").status_code == 404


def test_encrypted_payload_decrypts_to_the_features(small_db: Database) -> None:
    secret = base64.b64encode(bytes(range(16))).decode()
    with small_db.session() as session:
        service.add_client_key(session, "sdk-secret", actor="t", encryption_key=secret)
    with TestClient(create_app(small_db)) as client:
        payload = client.get("/api/features/sdk-secret").json()
    assert payload["features"] == {}
    plain = decrypt_payload(payload["encryptedFeatures"], secret)
    assert plain is not None and "guided-intake" in json.loads(plain)
    provider = MissionOSProvider.from_payload(payload, decryption_key=secret)
    assert provider.resolve_boolean_details("document-upload-v2", True).reason in {
        "STATIC",
        "TARGETING_MATCH",
    }


def test_ofrep_single_bulk_and_etag(small_client: TestClient) -> None:
    one = small_client.post(
        "/ofrep/v1/evaluate/flags/guided-intake", json={"context": {"targetingKey": "r-1"}}
    )
    assert one.status_code == 200
    body = one.json()
    ofrep_schema.check(ofrep_schema.SINGLE, 200, body)
    assert body["key"] == "guided-intake" and body["reason"] in {"SPLIT", "STATIC"}
    expected = evaluate_feature(
        EvalContext(
            attributes={"id": "r-1"}, features=small_client.get("/api/features/sdk-intake").json()["features"]
        ),
        "guided-intake",
    )
    assert body["value"] == expected["value"]
    missing = small_client.post("/ofrep/v1/evaluate/flags/nope", json={"context": {}})
    assert missing.status_code == 404 and missing.json()["errorCode"] == "FLAG_NOT_FOUND"
    bulk = small_client.post("/ofrep/v1/evaluate/flags", json={"context": {"targetingKey": "r-1"}})
    ofrep_schema.check(ofrep_schema.SINGLE, 404, missing.json())
    assert bulk.status_code == 200 and {f["key"] for f in bulk.json()["flags"]} >= {"guided-intake"}
    ofrep_schema.check(ofrep_schema.BULK, 200, bulk.json())
    etag = bulk.headers["etag"]
    again = small_client.post(
        "/ofrep/v1/evaluate/flags", json={"context": {"targetingKey": "r-1"}}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304
    other = small_client.post(
        "/ofrep/v1/evaluate/flags", json={"context": {"targetingKey": "r-2"}}, headers={"If-None-Match": etag}
    )
    assert other.status_code == 200 and other.headers["etag"] != etag


def test_openfeature_provider_through_the_sdk(small_client: TestClient) -> None:
    from openfeature import api
    from openfeature.evaluation_context import EvaluationContext

    payload = small_client.get("/api/features/sdk-intake").json()
    api.set_provider(MissionOSProvider.from_payload(payload))
    try:
        client = api.get_client()
        for i in range(50):
            details = client.get_boolean_details("guided-intake", False, EvaluationContext(f"r-{i}"))
            ours = evaluate_feature(
                EvalContext(attributes={"id": f"r-{i}"}, features=payload["features"]), "guided-intake"
            )
            assert details.value == ours["value"]
        wrong = client.get_string_details("guided-intake", "x", EvaluationContext("r-1"))
        assert wrong.value == "x" and wrong.error_code is not None
        assert client.get_boolean_value("no-such-flag", True) is True
    finally:
        api.clear_providers()


def test_exposure_and_event_batches(small_client: TestClient, small_db: Database) -> None:
    good = [
        {
            "experiment": "document-reminder",
            "unit_id": "new-1",
            "variation": "reminder",
            "timestamp": "2026-11-20T10:00:00Z",
        }
    ]
    bad = [*good, {**good[0], "unit_id": "new-2", "variation": "purple"}]
    with small_db.session() as session:
        before = session.scalar(select(func.count()).select_from(Exposure))
    rejected = small_client.post("/api/v1/exposures", json=bad)
    assert rejected.status_code == 422
    assert rejected.headers["content-type"].startswith("application/problem+json")
    assert "purple" in rejected.json()["detail"] and "body:1" in rejected.json()["detail"]
    with small_db.session() as session:
        assert session.scalar(select(func.count()).select_from(Exposure)) == before
    assert small_client.post("/api/v1/exposures", json=good).json() == {"read": 1, "added": 1}
    assert small_client.post("/api/v1/exposures", json=good).json() == {"read": 1, "added": 0}
    events = [{"unit_id": "new-1", "event": "documents_uploaded", "timestamp": "2026-11-21T10:00:00Z"}]
    assert small_client.post("/api/v1/events", json=events).json()["added"] == 1
    malformed = small_client.post(
        "/api/v1/events", json=[{"unit_id": "x", "event": "e", "timestamp": "yesterday"}]
    )
    assert malformed.status_code == 422 and "timestamp" in malformed.json()["detail"]


def test_experiment_api_and_pages(small_client: TestClient) -> None:
    doc = small_client.get("/api/v1/experiments/document-reminder").json()
    assert doc["exposures"]["units"] == {"control": 100, "reminder": 100}
    assert doc["verdict"]["status"] in {"inconclusive", "validated", "invalidated"}
    html = small_client.get("/experiments/document-reminder", headers={"accept": "text/html"}).text
    assert "Verdict:" in html and "documents-uploaded" in html
    assert small_client.get("/experiments/nope", headers={"accept": "text/html"}).status_code == 404
    flags = small_client.get("/experiments/flags", headers={"accept": "text/html"}).text
    assert 'href="/experiments/flags/guided-intake"' in flags


def _token(db: Database, scope: str, name: str) -> dict[str, str]:
    from missionos.accounts import tokens

    with db.session() as session:
        _, secret = tokens.create_token(session, name=name, scope=scope, actor="test")
    return {"authorization": f"Bearer {secret}"}


def test_rollout_form_needs_an_editor_and_is_audited(small_client: TestClient, small_db: Database) -> None:
    viewer, editor = _token(small_db, "read", "vera"), _token(small_db, "write", "eddie")
    form = {"percent": "100"}
    refused = small_client.post("/experiments/flags/guided-intake/rollout", data=form, headers=viewer)
    assert refused.status_code == 403
    page = small_client.get(
        "/experiments/flags/guided-intake", headers={"accept": "text/html", **editor}
    ).text
    assert 'name="csrf_token"' in page and "Set rollout" in page
    done = small_client.post(
        "/experiments/flags/guided-intake/rollout", data=form, headers=editor, follow_redirects=False
    )
    assert done.status_code == 303
    bad = small_client.post(
        "/experiments/flags/guided-intake/definition",
        data={"definition": '{"defaultValue": false, "rules": [{"variations": [1, 2], "weights": [1]}]}'},
        headers={"accept": "application/json", **editor},
    )
    assert bad.status_code == 422 and "weights" in bad.json()["detail"]
    with small_db.session() as session:
        flag = service.get_flag(session, "guided-intake")
        entries = audit.entries(session, kind="flag", key="guided-intake")
    assert flag.rollout == 1.0 and flag.version == 2
    assert entries[0].after["rollout"] == 1.0 and "eddie" in entries[0].actor


def test_put_flag_api_versions(small_client: TestClient) -> None:
    body = {"defaultValue": "a", "rules": [{"force": "b", "condition": {"country": "US"}}]}
    assert small_client.put("/api/v1/flags/copy-tone2", json=body).json() == {
        "key": "copy-tone2",
        "action": "create",
        "version": 1,
    }
    body["rules"][0]["force"] = "c"
    assert small_client.put("/api/v1/flags/copy-tone2", json=body).json()["version"] == 2
    history = small_client.get("/api/v1/flags/copy-tone2/history").json()
    assert [h["version"] for h in history] == [2, 1]
    bad = small_client.put("/api/v1/flags/Bad Key", json=body)
    assert bad.status_code == 422 and "key" in bad.json()["detail"]


@pytest.mark.parametrize("body", [{"context": ["not", "an", "object"]}, ["not", "an", "object"]])
def test_ofrep_unreadable_context_is_a_400_with_its_error_code(
    small_client: TestClient, body: object
) -> None:
    one = small_client.post("/ofrep/v1/evaluate/flags/guided-intake", json=body)
    assert one.status_code == 400
    assert one.json()["key"] == "guided-intake" and one.json()["errorCode"] == "INVALID_CONTEXT"
    ofrep_schema.check(ofrep_schema.SINGLE, 400, one.json())
    bulk = small_client.post("/ofrep/v1/evaluate/flags", json=body)
    ofrep_schema.check(ofrep_schema.BULK, 400, bulk.json())
    assert bulk.status_code == 400 and bulk.json()["errorCode"] == "INVALID_CONTEXT"
    assert bulk.json()["errorDetails"]
