"""Webhook replay under a new delivery id (the id is a header no signature covers): the body, by SHA-256, is
recognised within the replay window and nothing new is stored or applied."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select, update

from missionos.ingest import inbox, processor
from missionos.ingest.models import WebhookDelivery
from missionos.store import Database
from tests.accounts import hookdata as h


def _stored(db: Database) -> list[WebhookDelivery]:
    processor.drain(db)
    with db.session() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_a_replayed_body_under_a_new_id_is_a_duplicate(client: httpx.Client, hooks_ready: Database) -> None:
    body = h.dumps(h.github_deployment_status(7101))
    first = client.post(
        "/hooks/github", content=body, headers=h.github_headers(body, "deployment_status", "id-1")
    )
    assert first.status_code == 202
    replay = client.post(
        "/hooks/github", content=body, headers=h.github_headers(body, "deployment_status", "id-2")
    )
    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    assert replay.json()["id"] == first.json()["id"]
    assert [d.delivery_id for d in _stored(hooks_ready)] == ["id-1"]


def test_a_signed_event_replayed_within_its_window_under_a_new_id(
    client: httpx.Client, hooks_ready: Database
) -> None:
    body = h.dumps(
        {"type": "incident", "service": "intake-web", "id": "INC-9", "started_at": "2026-11-20T08:00:00Z"}
    )
    headers = h.event_headers(body, delivery="ev-1")
    assert client.post("/hooks/events", content=body, headers=headers).status_code == 202
    again = {**headers, "x-missionos-delivery": "ev-2"}  # same signature and timestamp, new id
    assert client.post("/hooks/events", content=body, headers=again).json()["status"] == "duplicate"
    assert len(_stored(hooks_ready)) == 1


def test_the_same_body_after_the_window_is_new(client: httpx.Client, hooks_ready: Database) -> None:
    body = h.dumps(h.github_deployment_status(7102))
    assert (
        client.post(
            "/hooks/github", content=body, headers=h.github_headers(body, "deployment_status")
        ).status_code
        == 202
    )
    with hooks_ready.session() as session:
        session.execute(
            update(WebhookDelivery).values(
                received_at=WebhookDelivery.received_at - inbox.REPLAY_WINDOW - dt.timedelta(minutes=1)
            )
        )
    later = client.post("/hooks/github", content=body, headers=h.github_headers(body, "deployment_status"))
    assert later.status_code == 202


def test_replays_within_one_group_are_stored_once(hooks_ready: Database) -> None:
    body = h.dumps(h.github_deployment_status(7103))
    items = [
        inbox.Incoming(
            "github", f"g-{n}", "deployment_status", h.github_headers(body, "deployment_status"), body
        )
        for n in range(3)
    ]
    with hooks_ready.session() as session:
        outcomes = inbox.store_many(session, items)
    assert [new for _, new in outcomes] == [True, False, False]
    assert len({row for row, _ in outcomes}) == 1
