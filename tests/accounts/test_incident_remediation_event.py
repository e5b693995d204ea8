"""The generic signed incident event carries the deployment that remediated the incident."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select

from missionos.delivery import service as delivery
from missionos.delivery.records import DeploymentRecord
from missionos.ingest import processor
from missionos.ingest.batches import event_batch
from missionos.ingest.models import WebhookDelivery
from missionos.measures import Window
from missionos.store import Database
from tests.accounts import hookdata as h
from tests.conftest import Cli

WINDOW = Window(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2027, 1, 1, tzinfo=dt.UTC))


def _event(remediation: str) -> dict[str, object]:
    return {
        "type": "incident",
        "source": "pagerduty",
        "data": {
            "id": "INC-7",
            "service": "intake-web",
            "started_at": "2026-11-20T11:00:00Z",
            "resolved_at": "2026-11-20T12:30:00Z",
            "remediation": remediation,
        },
    }


def _deploy(db: Database, did: str, finished: str) -> None:
    moment = dt.datetime.fromisoformat(finished)
    record = DeploymentRecord(did, "intake-web", "production", "success", None, moment, f"rev-{did}")
    with db.session() as session:
        delivery.upsert_deployments(session, [record], source="test")


def _post(client: httpx.Client, doc: dict[str, object]) -> None:
    body = h.dumps(doc)
    assert client.post("/hooks/events", content=body, headers=h.event_headers(body)).status_code == 202


def _kinds(db: Database) -> dict[str, str]:
    with db.session() as session:
        found = delivery.deployments(session, delivery.scope_of(session, services=["intake-web"]), WINDOW)
    return {str(d["id"]): str(d["kind"]) for d in found}


def test_the_event_maps_the_remediation() -> None:
    (record,) = event_batch(_event("D2")).incidents
    assert record.remediation == "D2" and record.cause is None


def test_an_incident_event_makes_its_remediation_a_hotfix(
    client: httpx.Client, hooks_ready: Database
) -> None:
    _deploy(hooks_ready, "D1", "2026-11-20T10:00:00+00:00")
    _deploy(hooks_ready, "D2", "2026-11-20T12:00:00+00:00")
    _post(client, _event("D2"))
    processor.drain(hooks_ready)
    assert _kinds(hooks_ready) == {"D1": "planned", "D2": "hotfix"}
    with hooks_ready.session() as session:
        (found,) = delivery.incidents(session, delivery.scope_of(session, services=["intake-web"]), WINDOW)
    assert (found["remediation"], found["deployment"]) == ("D2", "D1")


def test_an_event_naming_an_unrecorded_deployment_fails_until_replayed(
    client: httpx.Client, hooks_ready: Database, cli: Cli
) -> None:
    _post(client, _event("D9"))
    processor.drain(hooks_ready)
    with hooks_ready.session() as session:
        (row,) = session.scalars(select(WebhookDelivery))
        assert row.status == "failed" and "remediation: no deployment 'D9' of intake-web" in (row.error or "")
    _deploy(hooks_ready, "D9", "2026-11-20T12:00:00+00:00")
    replayed = cli("hooks", "replay", "--format", "json")
    assert replayed.exit_code == 0 and '"processed": 1' in replayed.stdout
    processor.drain(hooks_ready)
    assert _kinds(hooks_ready) == {"D9": "hotfix"}
