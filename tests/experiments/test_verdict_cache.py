"""A verdict is kept with the fingerprint of its own data (the design, the exposures, the events and the
flag), by `Database.cached`: a commit of anything else keeps it, a change of its data computes it again."""

from __future__ import annotations

import datetime as dt

import pytest

from missionos.accounts.models import Setting
from missionos.experiments import service
from missionos.experiments.measures import experiment_verdict
from missionos.store import Database
from tests.experiments.seed import reminder_data
from tests.experiments.test_web import SMALL


def test_a_verdict_is_kept_until_its_own_data_changes(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    with db.session() as session:
        service.apply_document(session, SMALL, actor="test")
        reminder_data(session)
    analyzed: list[str] = []
    real = service.analyze
    monkeypatch.setattr(service, "analyze", lambda db, key: analyzed.append(key) or real(db, key))

    first = experiment_verdict(db, "document-reminder")
    assert first is not None and analyzed == ["document-reminder"]
    assert experiment_verdict(db, "document-reminder") is first and len(analyzed) == 1
    with db.session() as session:  # a commit of something else
        session.add(Setting(name="unrelated", value="x", updated_at=dt.datetime.now(dt.UTC)))
    assert experiment_verdict(db, "document-reminder") is first and len(analyzed) == 1

    with db.session() as session:
        service.import_exposures(
            session,
            [
                (
                    0,
                    {
                        "experiment": "document-reminder",
                        "unit_id": "late",
                        "variation": "control",
                        "timestamp": "2026-11-03T10:00:00Z",
                    },
                )
            ],
            source="t",
        )
    again = experiment_verdict(db, "document-reminder")
    assert again is not None and again is not first and len(analyzed) == 2
    assert again.decided_at == dt.datetime(2026, 11, 3, 10, tzinfo=dt.UTC)
    assert experiment_verdict(db, "no-such-experiment") is None and len(analyzed) == 2
