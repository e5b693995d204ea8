"""Data several experiments tests share."""

from __future__ import annotations

from sqlalchemy.orm import Session

from missionos.experiments import service


def reminder_data(session: Session) -> None:
    """200 units exposed to document-reminder (control and reminder in turn), a third of them converting."""
    exposures = [
        (
            i,
            {
                "experiment": "document-reminder",
                "unit_id": f"u{i}",
                "variation": ["control", "reminder"][i % 2],
                "timestamp": "2026-11-01T10:00:00Z",
            },
        )
        for i in range(200)
    ]
    service.import_exposures(session, exposures, source="t")
    events = [
        (i, {"unit_id": f"u{i}", "event": "documents_uploaded", "timestamp": "2026-11-02T10:00:00Z"})
        for i in range(0, 200, 3)
    ]
    service.import_events(session, events, source="t")
