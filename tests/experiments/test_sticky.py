"""Server-side sticky bucketing through OFREP: a user keeps their variation when an experiment's weights
change, a new bucket version re-buckets, bulk evaluation stores every flag's assignment, concurrent requests
keep both assignments, nothing is touched when no rule is sticky, and the store can be listed and cleared."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from missionos.accounts import audit
from missionos.experiments import service, sticky
from missionos.experiments.evaluation import gb_hash, sticky_attributes, sticky_document_keys
from missionos.experiments.models import StickyBucket
from missionos.store import Database
from tests.conftest import Cli
from tests.experiments import ofrep_schema

EVEN = [0.5, 0.5]
MOSTLY_A = [0.99, 0.01]


def flag(
    key: str,
    weights: list[float],
    *,
    bucket_version: int | None = 0,
    min_bucket_version: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A flag whose one rule is an experiment with variations a/b on `id` (sticky unless bucket_version is
    None)."""
    rule: dict[str, Any] = {
        "id": f"{key}-rule",
        "key": key,
        "variations": ["a", "b"],
        "weights": weights,
        "hashVersion": 2,
        "meta": [{"key": "a"}, {"key": "b"}],
        **extra,
    }
    if bucket_version is not None:
        rule["bucketVersion"] = bucket_version
    if min_bucket_version is not None:
        rule["minBucketVersion"] = min_bucket_version
    return {"key": key, "defaultValue": "off", "rules": [rule]}


def put(db: Database, *flags: dict[str, Any]) -> None:
    with db.session() as session:
        service.apply_document(session, {"flags": list(flags)}, actor="test")


def user_between(seed: str, low: float, high: float, skip: int = 0) -> str:
    """A user id whose hash for `seed` lies in [low, high): under 50/50 it gets b, under 99/1 a."""
    found = 0
    for i in range(100_000):
        n = gb_hash(seed, f"u{i}", 2)
        if n is not None and low <= n < high:
            if found == skip:
                return f"u{i}"
            found += 1
    raise AssertionError("no such user")


def one(client: TestClient, key: str, context: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(f"/ofrep/v1/evaluate/flags/{key}", json={"context": context})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    ofrep_schema.check(ofrep_schema.SINGLE, 200, body)
    return body


def stored(db: Database) -> dict[str, dict[str, str]]:
    with db.session() as session:
        return {sticky.doc_key(d.attribute, d.value): d.assignments for d in sticky.list_documents(session)}


def test_a_user_keeps_their_variation_when_the_weights_change(db: Database, client: TestClient) -> None:
    put(db, flag("checkout", EVEN))
    kept = user_between("checkout", 0.5, 0.99)
    first = one(client, "checkout", {"targetingKey": kept})
    assert (first["value"], first["variant"], first["reason"]) == ("b", "b", "SPLIT")
    assert stored(db) == {f"id||{kept}": {"checkout__0": "b"}}

    put(db, flag("checkout", MOSTLY_A))
    again = one(client, "checkout", {"targetingKey": kept})
    assert (again["value"], again["variant"]) == ("b", "b")
    assert again["metadata"]["stickyBucketUsed"] is True
    # A user first seen after the change, hashing where `kept` does, gets the new weights' variation.
    newcomer = user_between("checkout", 0.5, 0.99, skip=1)
    assert one(client, "checkout", {"targetingKey": newcomer})["value"] == "a"


def test_without_a_bucket_version_the_same_change_moves_the_user(db: Database, client: TestClient) -> None:
    put(db, flag("checkout", EVEN, bucket_version=None))
    user = user_between("checkout", 0.5, 0.99)
    assert one(client, "checkout", {"targetingKey": user})["value"] == "b"
    put(db, flag("checkout", MOSTLY_A, bucket_version=None))
    assert one(client, "checkout", {"targetingKey": user})["value"] == "a"
    assert stored(db) == {}


def test_a_new_bucket_version_rebuckets_and_a_min_bucket_version_excludes_the_bucketed(
    db: Database, client: TestClient
) -> None:
    put(db, flag("checkout", EVEN))
    user = user_between("checkout", 0.5, 0.99)
    assert one(client, "checkout", {"targetingKey": user})["value"] == "b"

    # bucketVersion 1: the old assignment no longer applies; the user is hashed under the new weights.
    put(db, flag("checkout", MOSTLY_A, bucket_version=1))
    moved = one(client, "checkout", {"targetingKey": user})
    assert moved["value"] == "a" and "stickyBucketUsed" not in moved["metadata"]
    assert stored(db) == {f"id||{user}": {"checkout__0": "b", "checkout__1": "a"}}
    # ... and from then on they are kept at version 1 too.
    put(db, flag("checkout", [0.01, 0.99], bucket_version=1))
    assert one(client, "checkout", {"targetingKey": user})["value"] == "a"

    # minBucketVersion 2 with bucketVersion 2: anyone bucketed at an earlier version is left out of the
    # experiment (GrowthBook's "exclude previously bucketed users"); users never bucketed are bucketed afresh.
    put(db, flag("checkout", EVEN, bucket_version=2, min_bucket_version=2))
    left_out = one(client, "checkout", {"targetingKey": user})
    assert (left_out["value"], left_out["reason"]) == ("off", "STATIC")
    fresh = user_between("checkout", 0.0, 0.5, skip=3)
    assert one(client, "checkout", {"targetingKey": fresh})["value"] == "a"
    assert stored(db)[f"id||{fresh}"] == {"checkout__2": "a"}


def test_bulk_evaluation_stores_every_sticky_flags_assignment_at_once(
    db: Database, client: TestClient
) -> None:
    put(
        db,
        flag("one", EVEN),
        flag("two", EVEN, seed="two-seed"),
        flag("three", EVEN, bucket_version=4),
        flag("plain", EVEN, bucket_version=None),
        flag("opted-out", EVEN, disableStickyBucketing=True),
    )
    answer = client.post(
        "/ofrep/v1/evaluate/flags", json={"context": {"targetingKey": "u-42", "plan": "pro"}}
    )
    assert answer.status_code == 200
    ofrep_schema.check(ofrep_schema.BULK, 200, answer.json())
    values = {f["key"]: f["value"] for f in answer.json()["flags"]}
    assert stored(db) == {
        "id||u-42": {"one__0": values["one"], "two__0": values["two"], "three__4": values["three"]}
    }
    # Every stored assignment is what the answer said.
    assert set(values) == {"one", "two", "three", "plain", "opted-out"}


def test_bulk_etag_follows_the_stored_assignments(db: Database, client: TestClient) -> None:
    put(db, flag("checkout", EVEN))
    user = user_between("checkout", 0.5, 0.99)
    body = {"context": {"targetingKey": user}}
    first = client.post("/ofrep/v1/evaluate/flags", json=body)
    ofrep_schema.check(ofrep_schema.BULK, 200, first.json())
    etag = first.headers["etag"]
    assert (
        client.post("/ofrep/v1/evaluate/flags", json=body, headers={"If-None-Match": etag}).status_code == 304
    )
    with db.session() as session:
        sticky.clear(session, "id", user, actor="test")
    after = client.post("/ofrep/v1/evaluate/flags", json=body, headers={"If-None-Match": etag})
    assert after.status_code == 200  # the assignments were cleared: the answer may differ
    assert after.headers["etag"] == etag  # re-bucketed under unchanged weights, to the same variation


def test_a_fallback_attribute_document_is_read_and_written(db: Database, client: TestClient) -> None:
    put(db, flag("checkout", EVEN, hashAttribute="id", fallbackAttribute="deviceId"))
    anonymous = one(client, "checkout", {"deviceId": "d-7"})
    assert anonymous["reason"] == "SPLIT"
    assert stored(db) == {"deviceId||d-7": {"checkout__0": anonymous["value"]}}
    # Signed in on the same device: the device's assignment carries over to the user's id.
    signed_in = one(client, "checkout", {"targetingKey": "someone", "deviceId": "d-7"})
    assert signed_in["value"] == anonymous["value"]
    assert stored(db)["id||someone"] == {"checkout__0": anonymous["value"]}


@pytest.fixture
def race(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Barrier]:
    """Two requests that both read the user's documents before either writes (the lost-update window)."""
    barrier = threading.Barrier(2, timeout=20)
    read = sticky.documents

    def documents_then_wait(*args: Any, **kwargs: Any) -> Any:
        found = read(*args, **kwargs)
        barrier.wait()
        return found

    monkeypatch.setattr(sticky, "documents", documents_then_wait)
    yield barrier


def test_concurrent_requests_for_two_experiments_keep_both_assignments(
    db: Database, race: threading.Barrier
) -> None:
    put(db, flag("left", EVEN), flag("right", EVEN))
    results: dict[str, Any] = {}
    errors: list[BaseException] = []

    def request(key: str) -> None:
        try:
            with db.session() as session:
                results[key] = service.ofrep_flag(session, key, {"targetingKey": "racer"})
        except BaseException as exc:  # reported below, with the other thread's outcome
            errors.append(exc)
            race.abort()

    threads = [threading.Thread(target=request, args=(k,)) for k in ("left", "right")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert stored(db) == {
        "id||racer": {"left__0": results["left"]["value"], "right__0": results["right"]["value"]}
    }


def test_concurrent_first_writes_of_one_document_merge(db: Database) -> None:
    """The store alone: two transactions that each saw no document insert different assignments."""
    barrier = threading.Barrier(2, timeout=20)
    errors: list[BaseException] = []

    def write(experiment: str) -> None:
        try:
            with db.session() as session:
                docs = sticky.documents(session, [("id", "u1")])
                barrier.wait()
                sticky.save(
                    session,
                    [
                        {
                            "attributeName": "id",
                            "attributeValue": "u1",
                            "assignments": {f"{experiment}__0": "b"},
                        }
                    ],
                )
                assert docs == {}
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=write, args=(k,)) for k in ("x", "y")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert stored(db) == {"id||u1": {"x__0": "b", "y__0": "b"}}


def test_nothing_is_read_or_written_when_no_rule_is_sticky(db: Database, client: TestClient) -> None:
    put(
        db,
        flag("plain", EVEN, bucket_version=None),
        flag("opted-out", EVEN, disableStickyBucketing=True),
        {"key": "ramp", "defaultValue": False, "rules": [{"force": True, "coverage": 0.5}]},
    )
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        for i in range(5):
            one(client, "plain", {"targetingKey": f"u{i}"})
            client.post("/ofrep/v1/evaluate/flags", json={"context": {"targetingKey": f"u{i}"}})
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert statements, "the listener saw the requests' statements"
    assert not [s for s in statements if "experiments_sticky_bucket" in s]
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(StickyBucket)) == 0


def test_only_the_users_own_documents_are_read(db: Database) -> None:
    with db.session() as session:
        sticky.save(
            session,
            [
                {"attributeName": "id", "attributeValue": "u1", "assignments": {"e__0": "a"}},
                {"attributeName": "id", "attributeValue": "u2", "assignments": {"e__0": "b"}},
                {"attributeName": "deviceId", "attributeValue": "u1", "assignments": {"e__0": "b"}},
            ],
        )
    with db.session() as session:
        assert list(sticky.documents(session, [("id", "u1")])) == ["id||u1"]


def test_sticky_attributes_cover_prerequisites_and_fallbacks() -> None:
    features = {
        "gate": {
            "rules": [{"key": "g", "variations": [0, 1], "bucketVersion": 0, "hashAttribute": "company"}]
        },
        "main": {
            "rules": [
                {"parentConditions": [{"id": "gate", "condition": {"value": 1}}], "force": True},
                {"key": "m", "variations": [0, 1], "minBucketVersion": 0, "fallbackAttribute": "deviceId"},
            ]
        },
        "plain": {"rules": [{"key": "p", "variations": [0, 1], "hashAttribute": "team"}]},
        "off": {
            "rules": [{"key": "o", "variations": [0, 1], "bucketVersion": 1, "disableStickyBucketing": True}]
        },
    }
    assert sticky_attributes(features, ["main"]) == ["company", "deviceId", "id"]
    assert sticky_attributes(features, ["plain", "off"]) == []
    assert sticky_attributes(features) == ["company", "deviceId", "id"]
    assert sticky_document_keys(
        {"id": 7, "deviceId": "", "company": True}, ["company", "deviceId", "id"]
    ) == [
        ("company", "true"),
        ("id", "7"),
    ]


def test_bad_bucket_versions_are_refused_with_the_field(db: Database) -> None:
    from missionos.errors import FieldError

    with db.session() as session, pytest.raises(FieldError) as caught:
        service.apply_document(session, {"flags": [flag("checkout", EVEN, bucket_version=-1)]}, actor="t")
    assert "flags[0].rules[0].bucketVersion" in str(caught.value)


# --- listing and clearing ----------------------------------------------------------------------------------


def seed_documents(db: Database) -> None:
    with db.session() as session:
        sticky.save(
            session,
            [
                {"attributeName": "id", "attributeValue": "u1", "assignments": {"x__0": "a", "y__1": "b"}},
                {"attributeName": "id", "attributeValue": "u2", "assignments": {"x__0": "b"}},
                {"attributeName": "deviceId", "attributeValue": "d1", "assignments": {"x__0": "a"}},
            ],
        )


def test_cli_lists_and_clears_with_an_audit_entry(cli: Cli, db: Database) -> None:
    seed_documents(db)
    listed = cli("experiments", "sticky", "list", "--attribute", "id", "--format", "json")
    assert listed.exit_code == 0, listed.stderr
    assert [(d["attributeValue"], d["assignments"]) for d in json.loads(listed.stdout)] == [
        ("u1", {"x__0": "a", "y__1": "b"}),
        ("u2", {"x__0": "b"}),
    ]
    one_value = json.loads(cli("experiments", "sticky", "list", "--value", "d1", "--format", "json").stdout)
    assert [d["attributeName"] for d in one_value] == ["deviceId"]
    table = cli("experiments", "sticky", "list")
    assert table.exit_code == 0 and "x__0=a, y__1=b" in table.stdout

    partial = cli("experiments", "sticky", "clear", "--attribute", "id", "--value", "u1", "--experiment", "y")
    assert partial.exit_code == 0, partial.stderr
    assert "cleared 1 assignment(s): y__1" in partial.stdout
    assert stored(db)["id||u1"] == {"x__0": "a"}
    whole = cli("experiments", "sticky", "clear", "--attribute", "id", "--value", "u1")
    assert whole.exit_code == 0 and "x__0" in whole.stdout
    assert "id||u1" not in stored(db) and "id||u2" in stored(db)
    with db.session() as session:
        entries = audit.entries(session, kind="sticky-bucket", key="id||u1")
    assert [(e.action, e.before, e.after) for e in entries] == [
        ("clear", {"assignments": {"x__0": "a"}}, None),
        ("clear", {"assignments": {"x__0": "a", "y__1": "b"}}, {"assignments": {"x__0": "a"}}),
    ]
    assert entries[0].actor.startswith("cli:")


def test_cli_bad_input_exits_2_with_a_clear_message(cli: Cli, db: Database) -> None:
    seed_documents(db)
    no_value = cli("experiments", "sticky", "clear", "--attribute", "id")
    assert no_value.exit_code == 2 and "--value" in no_value.stderr
    unknown = cli("experiments", "sticky", "clear", "--attribute", "id", "--value", "nobody")
    assert unknown.exit_code == 2
    assert "no sticky-bucket document named 'id||nobody'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    empty = cli("experiments", "sticky", "clear", "--attribute", "id", "--value", "")
    assert empty.exit_code == 2 and "value: expected" in empty.stderr
    other = cli("experiments", "sticky", "clear", "--attribute", "id", "--value", "u2", "--experiment", "zzz")
    assert other.exit_code == 2 and "zzz" in other.stderr
    bad_limit = cli("experiments", "sticky", "list", "--limit", "0")
    assert bad_limit.exit_code == 2 and "limit" in bad_limit.stderr
    assert stored(db)["id||u2"] == {"x__0": "b"}  # nothing was cleared


def test_api_lists_documents(db: Database, client: TestClient) -> None:
    seed_documents(db)
    everything = client.get("/api/v1/experiments/sticky-buckets")
    assert everything.status_code == 200
    assert len(everything.json()) == 3
    mine = client.get("/api/v1/experiments/sticky-buckets", params={"attribute": "id", "value": "u2"}).json()
    assert [(d["attributeName"], d["attributeValue"], d["assignments"]) for d in mine] == [
        ("id", "u2", {"x__0": "b"})
    ]
    assert "updatedAt" in mine[0]
    bad = client.get("/api/v1/experiments/sticky-buckets", params={"limit": 0})
    assert bad.status_code == 422


def test_cli_help_names_the_commands(cli: Cli, tmp_path: Path) -> None:
    del tmp_path
    helped = cli("experiments", "sticky", "--help")
    assert helped.exit_code == 0 and "list" in helped.stdout and "clear" in helped.stdout


def test_a_value_too_long_to_name_a_document_is_an_invalid_context(db: Database, client: TestClient) -> None:
    put(db, flag("checkout", EVEN))
    long_id = "u" * (sticky.MAX_VALUE + 1)
    single = client.post("/ofrep/v1/evaluate/flags/checkout", json={"context": {"targetingKey": long_id}})
    assert single.status_code == 400
    assert single.json()["errorCode"] == "INVALID_CONTEXT"
    ofrep_schema.check(ofrep_schema.SINGLE, 400, single.json())
    assert single.json()["errorDetails"].startswith("targetingKey: at most 500 characters")
    bulk = client.post("/ofrep/v1/evaluate/flags", json={"context": {"targetingKey": long_id}})
    assert bulk.status_code == 400 and bulk.json()["errorCode"] == "INVALID_CONTEXT"
    ofrep_schema.check(ofrep_schema.BULK, 400, bulk.json())
    assert stored(db) == {}


def test_concurrent_ofrep_requests_over_http_keep_both_assignments(
    db: Database, client: TestClient, race: threading.Barrier
) -> None:
    put(db, flag("left", EVEN), flag("right", EVEN))
    answers: dict[str, Any] = {}

    def request(key: str) -> None:
        answers[key] = client.post(
            f"/ofrep/v1/evaluate/flags/{key}", json={"context": {"targetingKey": "racer"}}
        )

    threads = [threading.Thread(target=request, args=(k,)) for k in ("left", "right")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [answers[k].status_code for k in ("left", "right")] == [200, 200]
    assert not race.broken  # both requests read before either wrote: the race really happened
    assert stored(db) == {
        "id||racer": {
            "left__0": answers["left"].json()["value"],
            "right__0": answers["right"].json()["value"],
        }
    }
