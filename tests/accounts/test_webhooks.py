"""Signed webhooks: verified, stored raw once per delivery id, mapped onto delivery and flow records."""

from __future__ import annotations

import datetime as dt
import time

import httpx
import pytest
from sqlalchemy import func, select

from missionos.accounts import settings
from missionos.delivery import service as delivery
from missionos.delivery.models import PullRequest
from missionos.flow import service as flow
from missionos.ingest import inbox, processor
from missionos.ingest.batches import event_batch, github_batch, gitlab_batch
from missionos.ingest.models import WebhookDelivery
from missionos.ingest.payload import parse_time
from missionos.measures import Window
from missionos.store import Database
from tests.accounts import hookdata as h
from tests.conftest import Cli

WINDOW = Window(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2027, 1, 1, tzinfo=dt.UTC))


def _stored(db: Database) -> list[WebhookDelivery]:
    processor.drain(db)
    with db.session() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def _deployments(db: Database) -> list[dict[str, object]]:
    processor.drain(db)
    with db.session() as session:
        return delivery.deployments(session, delivery.scope_of(session, services=["intake-web"]), WINDOW)


def test_signed_github_deployment_is_stored_raw_and_becomes_a_deployment(
    client: httpx.Client, hooks_ready: Database
) -> None:
    body = h.dumps(h.github_deployment_status(7001))
    response = client.post(
        "/hooks/github", content=body, headers=h.github_headers(body, "deployment_status", "d-1")
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "received"
    (row,) = _stored(hooks_ready)
    assert row.payload == body and row.delivery_id == "d-1" and row.status == "processed"
    assert "x-hub-signature-256" not in row.headers
    (deployed,) = _deployments(hooks_ready)
    assert deployed["id"] == "github:7001" and deployed["status"] == "success"
    assert deployed["environment"] == "production" and deployed["revision"] == "a" * 40
    assert deployed["finished_at"] == dt.datetime(2026, 11, 20, 10, 15, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda hs: hs.pop("x-hub-signature-256"), id="missing"),
        pytest.param(lambda hs: hs.update({"x-hub-signature-256": "sha256=" + "0" * 64}), id="wrong"),
        pytest.param(lambda hs: hs.update({"x-hub-signature-256": "sha1=" + "0" * 40}), id="sha1"),
    ],
)
def test_bad_github_signatures_get_401_and_store_nothing(
    client: httpx.Client, hooks_ready: Database, mangle: object
) -> None:
    body = h.dumps(h.github_deployment_status(7002))
    headers = h.github_headers(body, "deployment_status")
    mangle(headers)  # type: ignore[operator]
    response = client.post("/hooks/github", content=body, headers=headers)
    assert response.status_code == 401
    assert _stored(hooks_ready) == [] and _deployments(hooks_ready) == []


def test_signature_over_another_body_is_refused(client: httpx.Client, hooks_ready: Database) -> None:
    body = h.dumps(h.github_deployment_status(7003))
    headers = h.github_headers(h.dumps(h.github_deployment_status(9999)), "deployment_status")
    assert client.post("/hooks/github", content=body, headers=headers).status_code == 401
    assert _stored(hooks_ready) == []


def test_without_a_configured_secret_everything_is_refused(client: httpx.Client, db: Database) -> None:
    body = h.dumps(h.github_deployment_status(7004))
    response = client.post("/hooks/github", content=body, headers=h.github_headers(body, "deployment_status"))
    assert response.status_code == 401 and "no webhook secret" in response.json()["detail"]
    assert _stored(db) == []


def test_duplicate_delivery_is_stored_and_applied_once(client: httpx.Client, hooks_ready: Database) -> None:
    body = h.dumps(h.github_deployment_status(7005))
    headers = h.github_headers(body, "deployment_status", "same-id")
    assert client.post("/hooks/github", content=body, headers=headers).status_code == 202
    again = client.post("/hooks/github", content=body, headers=headers)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert len(_stored(hooks_ready)) == 1 and len(_deployments(hooks_ready)) == 1


def test_gitlab_token_is_checked(client: httpx.Client, hooks_ready: Database) -> None:
    body = h.dumps(h.gitlab_deployment(88))
    wrong = client.post(
        "/hooks/gitlab", content=body, headers=h.gitlab_headers("Deployment Hook", token="nope" * 5)
    )
    assert wrong.status_code == 401 and _stored(hooks_ready) == []
    right = client.post("/hooks/gitlab", content=body, headers=h.gitlab_headers("Deployment Hook"))
    assert right.status_code == 202 and right.json()["status"] == "received"
    (deployed,) = _deployments(hooks_ready)
    assert deployed["id"] == "gitlab:88"
    assert deployed["finished_at"] == dt.datetime(2026, 11, 21, 8, 30, tzinfo=dt.UTC)  # +0100 converted
    assert "x-gitlab-token" not in _stored(hooks_ready)[0].headers  # the secret is never stored


def test_generic_event_signature_freshness_and_replay(client: httpx.Client, hooks_ready: Database) -> None:
    doc = {
        "type": "incident",
        "source": "pagerduty",
        "data": {
            "id": "INC-1",
            "service": "intake-web",
            "started_at": "2026-11-20T11:00:00Z",
            "severity": "sev2",
        },
    }
    body = h.dumps(doc)
    stale = h.event_headers(body, at=int(time.time()) - 600)
    assert client.post("/hooks/events", content=body, headers=stale).status_code == 401
    forged = h.event_headers(body)
    forged["x-missionos-timestamp"] = str(int(time.time()) - 1)  # signature was for another moment
    assert client.post("/hooks/events", content=body, headers=forged).status_code == 401
    assert _stored(hooks_ready) == []
    fresh = h.event_headers(body, delivery="evt-1")
    assert client.post("/hooks/events", content=body, headers=fresh).json()["status"] == "received"
    assert client.post("/hooks/events", content=body, headers=fresh).json()["status"] == "duplicate"
    processor.drain(hooks_ready)
    with hooks_ready.session() as session:
        found = delivery.incidents(session, delivery.scope_of(session, services=["intake-web"]), WINDOW)
    assert [i["id"] for i in found] == ["INC-1"]


def test_processing_failure_is_kept_and_replay_applies_it(
    client: httpx.Client, hooks_ready: Database, cli: Cli
) -> None:
    body = h.dumps(h.github_deployment_status(7006, repo="payments-batch"))  # no such service yet
    response = client.post("/hooks/github", content=body, headers=h.github_headers(body, "deployment_status"))
    assert response.status_code == 202 and response.json()["status"] == "received"
    (row,) = _stored(hooks_ready)
    assert row.status == "failed" and "payments-batch" in (row.error or "") and row.attempts == 1
    listed = cli("hooks", "list", "--status", "failed", "--format", "json")
    assert '"status": "failed"' in listed.stdout
    with hooks_ready.session() as session:
        delivery.ensure_service(session, "payments-batch", team="Payments")
    replayed = cli("hooks", "replay", "--format", "json")
    assert replayed.exit_code == 0 and '"processed": 1' in replayed.stdout
    (row,) = _stored(hooks_ready)
    assert row.status == "processed" and row.error is None and row.attempts == 2
    processor.drain(hooks_ready)
    with hooks_ready.session() as session:
        found = delivery.deployments(session, delivery.scope_of(session, services=["payments-batch"]), WINDOW)
    assert [d["id"] for d in found] == ["github:7006"]


REVIEWED_PR = (
    (h.github_review(12, "bo", "2026-11-18T11:00:00Z"), "pull_request_review"),
    (h.github_review(12, "cy", "2026-11-18T15:00:00Z"), "pull_request_review"),
    (h.github_pull_request(12), "pull_request"),
)


def _reviewers(db: Database) -> list[str]:
    with db.session() as session:
        pr = session.scalar(select(PullRequest).where(PullRequest.number == 12))
        assert pr is not None
        assert pr.merge_commit_sha == "b" * 40 and pr.labels == "feature"
        return sorted(r.author for r in pr.reviews)


def test_pull_request_keeps_every_review_of_one_batch(hooks_ready: Database) -> None:
    with hooks_ready.session() as session:
        for n, (doc, event) in enumerate(REVIEWED_PR):
            inbox.store(
                session,
                source="github",
                delivery_id=f"review-{n}",
                event=event,
                headers={"x-github-event": event},
                payload=h.dumps(doc),
            )
    assert processor.drain(hooks_ready) == {"processed": 3}
    assert _reviewers(hooks_ready) == ["bo", "cy"]


def test_pull_request_keeps_every_review_across_batches(client: httpx.Client, hooks_ready: Database) -> None:
    for doc, event in REVIEWED_PR:
        body = h.dumps(doc)
        assert (
            client.post("/hooks/github", content=body, headers=h.github_headers(body, event)).status_code
            == 202
        )
        processor.drain(hooks_ready)
    assert [r.status for r in _stored(hooks_ready)] == ["processed"] * 3
    assert _reviewers(hooks_ready) == ["bo", "cy"]


def test_issue_becomes_a_work_item_with_transitions(client: httpx.Client, hooks_ready: Database) -> None:
    for closed in (False, True):
        body = h.dumps(h.github_issue(31, closed=closed))
        assert (
            client.post("/hooks/github", content=body, headers=h.github_headers(body, "issues")).status_code
            == 202
        )
    processor.drain(hooks_ready)
    with hooks_ready.session() as session:
        item = flow.item_detail(session, "github", "agency/intake-web#31")
    assert item.record.type == "defect"
    assert [(t.from_status, t.to_status) for t in item.transitions] == [(None, "open"), ("open", "closed")]


def test_ping_and_unfinished_deployments_are_stored_and_ignored(
    client: httpx.Client, hooks_ready: Database
) -> None:
    for doc, event in (
        ({"zen": "Keep it logically awesome.", "hook_id": 1}, "ping"),
        (h.github_deployment_status(7007, state="in_progress"), "deployment_status"),
    ):
        body = h.dumps(doc)
        response = client.post("/hooks/github", content=body, headers=h.github_headers(body, event))
        assert response.json()["status"] == "received"
    assert [r.status for r in _stored(hooks_ready)] == ["ignored", "ignored"]


def test_not_json_is_stored_and_marked_failed(client: httpx.Client, hooks_ready: Database) -> None:
    body = b"{not json"
    response = client.post("/hooks/github", content=body, headers=h.github_headers(body, "push"))
    assert response.json()["status"] == "received"
    (row,) = _stored(hooks_ready)
    assert row.payload == body and "not JSON" in (row.error or "")


def test_secret_is_never_shown_back(cli: Cli, db: Database) -> None:
    result = cli("hooks", "secret", "set", "github", "--stdin", input=h.SECRET + "\n")
    assert result.exit_code == 0 and h.SECRET not in result.stdout
    listed = cli("hooks", "secret", "list", "--format", "json")
    assert h.SECRET not in listed.stdout and '"configured": true' in listed.stdout
    audit_out = cli("audit", "list", "--kind", "hook-secret", "--format", "json")
    assert h.SECRET not in audit_out.stdout and '"set": true' in audit_out.stdout
    short = cli("hooks", "secret", "set", "github", "--stdin", input="short\n")
    assert short.exit_code == 2 and "at least 16" in short.stderr


def test_store_is_idempotent_under_the_same_id(db: Database) -> None:
    with db.session() as session:
        first = inbox.store(
            session, source="github", delivery_id="x", event="push", headers={}, payload=b"{}"
        )
        second = inbox.store(
            session, source="github", delivery_id="x", event="push", headers={}, payload=b"{}"
        )
        third = inbox.store(
            session, source="gitlab", delivery_id="x", event="push", headers={}, payload=b"{}"
        )
        count = session.scalar(select(func.count()).select_from(WebhookDelivery))
    assert first[1] and not second[1] and third[1] and first[0] == second[0] and count == 2


def test_mapping_of_states_and_times() -> None:
    assert not github_batch("deployment_status", h.github_deployment_status(1, state="queued"))
    failed = github_batch("deployment_status", h.github_deployment_status(1, state="error"))
    assert failed.deployments[0].status == "failure"
    assert not gitlab_batch("Deployment Hook", h.gitlab_deployment(1, status="running"))
    assert parse_time("2026-11-21 09:30:00 UTC", field_name="t") == dt.datetime(
        2026, 11, 21, 9, 30, tzinfo=dt.UTC
    )
    with pytest.raises(Exception, match="UTC offset"):
        parse_time("2026-11-21T09:30:00", field_name="t")


def test_a_deployment_payload_kind_is_explicit() -> None:
    said = h.github_deployment_status(1)
    said["deployment"]["payload"] = {"kind": "planned"}
    said["deployment"]["task"] = "deploy:rollback"
    (deployment,) = github_batch("deployment_status", said).deployments
    assert (deployment.kind, deployment.kind_explicit) == ("planned", True)
    (plain,) = github_batch("deployment_status", h.github_deployment_status(1)).deployments
    assert (plain.kind, plain.kind_explicit) == ("planned", False)
    data = {"id": "d1", "service": "web", "status": "success", "finished_at": "2026-11-20T10:15:00Z"}
    (generic,) = event_batch(
        {"type": "deployment", "data": {**data, "revision": "abc", "kind": "planned"}}
    ).deployments
    assert generic.kind_explicit is True


def test_hooks_process_command_maps_received_deliveries(hooks_ready: Database, cli: Cli) -> None:
    body = h.dumps(h.github_deployment_status(7010))
    with hooks_ready.session() as session:
        inbox.store(
            session,
            source="github",
            delivery_id="cli-1",
            event="deployment_status",
            headers={"x-github-event": "deployment_status"},
            payload=body,
        )
    result = cli("hooks", "process")
    assert result.exit_code == 0 and "1 processed" in result.stdout
    assert [d["id"] for d in _deployments(hooks_ready)] == ["github:7010"]


def test_secrets_are_sealed_at_rest_with_the_secret_key(
    client: httpx.Client, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from missionos.accounts.models import Setting
    from missionos.errors import ConflictError

    monkeypatch.setenv("MISSIONOS_SECRET_KEY", "a-key-kept-outside-the-database-0123456789")
    with db.session() as session:
        settings.set_hook_secret(session, "github", h.SECRET, actor="test")
        delivery.ensure_service(session, "intake-web", team="Intake")
    with db.session() as session:
        stored = session.get(Setting, "hook_secret:github")
        assert stored is not None and stored.value.startswith("sealed:v1:") and h.SECRET not in stored.value
        assert settings.hook_secret(session, "github") == h.SECRET
    body = h.dumps(h.github_deployment_status(7201))
    sent = client.post("/hooks/github", content=body, headers=h.github_headers(body, "deployment_status"))
    assert sent.status_code == 202, sent.text
    monkeypatch.setenv("MISSIONOS_SECRET_KEY", "another-key-0123456789-0123456789")
    with db.session() as session, pytest.raises(ConflictError, match="sealed with another"):
        settings.hook_secret(session, "github")
    monkeypatch.delenv("MISSIONOS_SECRET_KEY")
    # Without it: PostgreSQL has no key to unseal with; SQLite's generated key file is another key.
    with (
        db.session() as session,
        pytest.raises(ConflictError, match=r"set MISSIONOS_SECRET_KEY|sealed with another"),
    ):
        settings.hook_secret(session, "github")
