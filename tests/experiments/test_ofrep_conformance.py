"""OFREP answers conform to the protocol's published OpenAPI, and flag conditions are checked when saved.

Every answer here is validated against `tests/data/ofrep/openapi.yaml`; the official OFREP provider for Python
(`openfeature-provider-ofrep`) reads them from the app served over HTTP.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import update

from missionos.errors import FieldError
from missionos.experiments import service
from missionos.experiments.models import Flag
from missionos.store import Database
from missionos.web.app import create_app
from tests.conftest import Cli
from tests.experiments import ofrep_schema
from tests.experiments.ofrep_schema import BULK, SINGLE

FLAGS = {
    "flags": [
        # Half the users have beta access; the new navigation is gated on it, so the other half get no value.
        {
            "key": "beta-access",
            "defaultValue": False,
            "rules": [{"id": "half", "force": True, "coverage": 0.5}],
        },
        {
            "key": "new-nav",
            "defaultValue": True,
            "rules": [
                {
                    "id": "gate",
                    "parentConditions": [{"id": "beta-access", "condition": {"value": True}, "gate": True}],
                    "force": True,
                }
            ],
        },
        {"key": "banner-text", "defaultValue": "hello"},
        {
            "key": "checkout",
            "defaultValue": "old",
            "rules": [{"id": "exp", "key": "checkout", "variations": ["old", "new"], "hashVersion": 2}],
        },
        {
            "key": "copy-tone",
            "defaultValue": "plain",
            "rules": [{"id": "us", "force": "warm", "condition": {"country": {"$in": ["US", "CA"]}}}],
        },
    ]
}


@pytest.fixture
def flags_db(db: Database) -> Database:
    with db.session() as session:
        service.apply_document(session, FLAGS, actor="test")
    return db


@pytest.fixture
def app_client(flags_db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(flags_db)) as client:
        yield client


def _post(client: TestClient, path: str, json: object = None, **kw: object) -> tuple[int, object]:
    answer = client.post(path, json=json, **kw)  # type: ignore[arg-type]
    body = answer.json() if answer.content else None
    template = BULK if path == BULK else SINGLE
    ofrep_schema.check(template, answer.status_code, body)
    return answer.status_code, body


# --- the answers' shape ------------------------------------------------------------------------------------


def test_a_gated_flag_omits_its_value_rather_than_sending_null(app_client: TestClient) -> None:
    reasons = set()
    for i in range(40):
        status, body = _post(app_client, f"{SINGLE[:-5]}new-nav", {"context": {"targetingKey": f"u{i}"}})
        assert status == 200 and isinstance(body, dict)
        assert body.get("value", "absent") is not None
        reasons.add((body["reason"], "value" in body))
    # Some users pass the gate (a value, a rule matched), the others are turned off (no value at all).
    assert reasons == {("TARGETING_MATCH", True), ("DISABLED", False)}


def test_only_the_specs_reasons_are_used(app_client: TestClient) -> None:
    status, body = _post(app_client, BULK, {"context": {"targetingKey": "u1", "country": "US"}})
    assert status == 200 and isinstance(body, dict)
    by_key = {f["key"]: f for f in body["flags"]}
    assert by_key["banner-text"]["reason"] == "STATIC"  # was DEFAULT, which OFREP does not have
    assert by_key["checkout"]["reason"] == "SPLIT"
    assert by_key["copy-tone"]["reason"] == "TARGETING_MATCH"


@pytest.mark.parametrize("path", [BULK, SINGLE[:-5] + "checkout"])
def test_a_body_that_is_not_json_is_a_parse_error(app_client: TestClient, path: str) -> None:
    status, body = _post(
        app_client,
        path,
        content=b'{"context": {"targetingKey": ',
        headers={"content-type": "application/json"},
    )
    assert status == 400 and isinstance(body, dict)
    assert body["errorCode"] == "PARSE_ERROR" and "not JSON" in body["errorDetails"]


def test_a_split_without_a_targeting_key_says_so(app_client: TestClient) -> None:
    status, body = _post(app_client, SINGLE[:-5] + "checkout", {"context": {"country": "US"}})
    assert status == 400 and isinstance(body, dict) and body["errorCode"] == "TARGETING_KEY_MISSING"
    # A flag that needs no key still answers, and in bulk the missing key is per flag.
    status, body = _post(app_client, BULK, {"context": {"country": "US"}})
    assert status == 200 and isinstance(body, dict)
    by_key = {f["key"]: f for f in body["flags"]}
    assert by_key["checkout"]["errorCode"] == "TARGETING_KEY_MISSING"
    assert by_key["copy-tone"]["value"] == "warm"


def test_unknown_flags_and_bad_contexts_conform(app_client: TestClient) -> None:
    status, body = _post(app_client, SINGLE[:-5] + "nope", {"context": {"targetingKey": "u1"}})
    assert status == 404 and isinstance(body, dict) and body["errorCode"] == "FLAG_NOT_FOUND"
    status, body = _post(app_client, BULK, {"context": ["not", "an", "object"]})
    assert status == 400 and isinstance(body, dict) and body["errorCode"] == "INVALID_CONTEXT"
    first = app_client.post(BULK, json={"context": {"targetingKey": "u1"}})
    status, body = _post(
        app_client,
        BULK,
        {"context": {"targetingKey": "u1"}},
        headers={"If-None-Match": first.headers["etag"]},
    )
    assert status == 304 and body is None


# --- a stored bad condition never fails the bulk answer ----------------------------------------------------


def test_a_stored_bad_condition_fails_its_own_flag_only(app_client: TestClient, flags_db: Database) -> None:
    broken = {"defaultValue": False, "rules": [{"id": "bad", "force": True, "condition": {"$and": {"a": 1}}}]}
    with flags_db.session() as session:  # as a definition stored before conditions were checked
        session.execute(update(Flag).where(Flag.key == "copy-tone").values(definition=broken))
    status, body = _post(app_client, BULK, {"context": {"targetingKey": "u1"}})
    assert status == 200 and isinstance(body, dict)
    by_key = {f["key"]: f for f in body["flags"]}
    assert by_key["copy-tone"]["errorCode"] == "GENERAL"
    assert "rules[0].condition.$and" in by_key["copy-tone"]["errorDetails"]
    assert by_key["banner-text"]["value"] == "hello"


# --- conditions are checked on save ------------------------------------------------------------------------

BAD_CONDITIONS = [
    ({"country": {"$within": ["US"]}}, "rules[0].condition.country.$within", "known operator"),
    ({"email": {"$regex": "(unclosed"}}, "rules[0].condition.email.$regex", "valid regular expression"),
    ({"country": {"$in": "US"}}, "rules[0].condition.country.$in", "a list of values"),
    ({"$and": {"country": "US"}}, "rules[0].condition.$and", "a list of conditions"),
    ({"$or": [{"plan": {"$nin": 3}}]}, "rules[0].condition.$or[0].plan.$nin", "a list of values"),
]


@pytest.mark.parametrize(("condition", "path", "expected"), BAD_CONDITIONS)
def test_the_api_refuses_a_bad_condition(
    app_client: TestClient, condition: dict[str, object], path: str, expected: str
) -> None:
    body = {"defaultValue": "a", "rules": [{"id": "r1", "force": "b", "condition": condition}]}
    answer = app_client.put("/api/v1/flags/copy-tone", json=body)
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert f"body.{path}" in detail and expected in detail and "rule 'r1'" in detail
    assert app_client.get("/api/v1/flags/copy-tone/history").json()[0]["version"] == 1


@pytest.mark.parametrize(("condition", "path", "expected"), BAD_CONDITIONS[:2])
def test_the_cli_refuses_a_bad_condition(
    cli: Cli, flags_db: Database, tmp_path: Path, condition: dict[str, object], path: str, expected: str
) -> None:
    import json

    doc = {
        "flags": [
            {
                "key": "copy-tone",
                "defaultValue": "a",
                "rules": [{"id": "r1", "force": "b", "condition": condition}],
            }
        ]
    }
    file = tmp_path / "flags.json"
    file.write_text(json.dumps(doc))
    result = cli("experiments", "flags", "apply", str(file))
    assert result.exit_code == 2
    assert (
        f"flags[0].{path}" in result.stderr and expected in result.stderr and "Traceback" not in result.stderr
    )


def test_the_page_refuses_a_bad_condition(app_client: TestClient, flags_db: Database) -> None:
    from missionos.accounts import tokens

    with flags_db.session() as session:
        _, secret = tokens.create_token(session, name="eddie", scope="write", actor="test")
    answer = app_client.post(
        "/experiments/flags/copy-tone/definition",
        data={
            "definition": '{"defaultValue": "a", "rules": [{"force": "b", "condition": {"$and": {"x": 1}}}]}'
        },
        headers={"accept": "application/json", "authorization": f"Bearer {secret}"},
    )
    assert answer.status_code == 422 and "definition.rules[0].condition.$and" in answer.json()["detail"]


def test_good_conditions_pass() -> None:
    rule = {
        "force": True,
        "condition": {
            "$and": [{"country": {"$in": ["US"]}}, {"$not": {"plan": "free"}}],
            "email": {"$regexi": "@example\\.org$"},
            "tags": {"$elemMatch": {"$eq": "beta"}, "$size": {"$gt": 0}},
            "version": {"$vgte": "1.2.0"},
            "user.plan": {"$exists": True},
        },
    }
    assert service.validate_rule(rule, "rules[0]")["condition"] == rule["condition"]
    with pytest.raises(FieldError, match=r"rules\[0\]\.condition\.\$nope"):
        service.validate_rule({"force": True, "condition": {"$nope": []}}, "rules[0]")


# --- the official OFREP provider against the served app ----------------------------------------------------


@pytest.fixture
def served(flags_db: Database) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(flags_db), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the app did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_the_official_ofrep_provider_reads_every_answer(served: str) -> None:
    from openfeature import api
    from openfeature.contrib.provider.ofrep import OFREPProvider
    from openfeature.evaluation_context import EvaluationContext
    from openfeature.flag_evaluation import Reason

    api.set_provider(OFREPProvider(served))
    try:
        client = api.get_client()
        gated = [client.get_boolean_details("new-nav", False, EvaluationContext(f"u{i}")) for i in range(40)]
        assert all(d.error_code is None for d in gated), [d.error_message for d in gated if d.error_code]
        assert {d.reason for d in gated} == {Reason.TARGETING_MATCH, Reason.DISABLED}
        assert all(d.value is False for d in gated if d.reason == Reason.DISABLED)  # the code's default
        static = client.get_string_details("banner-text", "x", EvaluationContext("u1"))
        assert (static.value, static.reason, static.error_code) == ("hello", Reason.STATIC, None)
        split = client.get_string_details("checkout", "x", EvaluationContext("u1"))
        assert split.value in {"old", "new"} and split.reason == Reason.SPLIT
        missing = client.get_string_details("checkout", "x", EvaluationContext(None, {"country": "US"}))
        assert missing.value == "x" and missing.error_code is not None
        assert missing.error_code.value == "TARGETING_KEY_MISSING"
    finally:
        api.clear_providers()
