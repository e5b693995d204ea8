"""The friction context's part of the demo organization (demo.md): the red tape a leader should cut first.

The weekly change advisory board tops the register: it is change-approval's constraint, and every platform
change waits for it. One blocker was cleared six weeks ago, so its effect is measured before and after.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import TYPE_CHECKING, Any

from missionos.errors import ConflictError
from missionos.friction import service

if TYPE_CHECKING:
    from missionos.demo.org import DemoOrg

ACTOR = "demo"


def register(org: DemoOrg) -> dict[str, Any]:
    day = org.start
    return {
        "values": {
            "claims": {"value_per_day": 180, "currency": "USD"},
            "change-approval": {"value_per_day": 650, "currency": "USD"},
        },
        "blockers": [
            {
                "key": "weekly-cab",
                "title": "Every production change waits for the weekly change advisory board",
                "owner": "Change manager, CIO office",
                "teams": ["Platform", "Intake", "Eligibility"],
                "stream": "change-approval",
                "step": "CAB approval",
                "raised": day + dt.timedelta(days=12),
                "decision": "A standard-change policy: pre-approve changes that pass the pipeline's checks",
                "effort_days": 10,
            },
            {
                "key": "thursday-release-window",
                "title": "Claims releases only in the Thursday evening window",
                "owner": "Release manager",
                "teams": ["Intake", "Eligibility"],
                "stream": "claims",
                "step": "Release",
                "raised": day + dt.timedelta(days=30),
                "decision": "Allow releases any working day for services with automated rollback",
                "effort_days": 15,
            },
            {
                "key": "dev-queue-intake-form",
                "title": "Work waits for a paper intake form before a developer picks it up",
                "owner": "Product owner, Eligibility",
                "teams": ["Eligibility"],
                "stream": "claims",
                "step": "Build",
                "raised": day + dt.timedelta(days=70),
                "decision": "Replace the form with the team's own backlog refinement",
                "effort_days": 3,
                "wait_days": 1.5,
            },
            {
                "key": "test-env-spreadsheet",
                "title": "Test environments booked through a shared spreadsheet",
                "owner": "Platform lead",
                "teams": ["Platform"],
                "stream": "change-approval",
                "step": "Test",
                "raised": day + dt.timedelta(days=5),
                "decision": "Ephemeral test environments from the pipeline",
                "effort_days": 20,
            },
        ],
    }


def load(org: DemoOrg) -> None:
    """Price the demo's streams and record its blockers; idempotent (re-applied by key)."""
    cleared = dt.datetime.combine(org.today - dt.timedelta(days=42), dt.time(9), dt.UTC)
    with org.db.session() as session:
        counts = service.apply_register(session, register(org), actor=ACTOR, source="demo")
        with contextlib.suppress(ConflictError):  # cleared by an earlier run
            service.clear_blocker(
                session,
                "test-env-spreadsheet",
                note="The pipeline now creates an ephemeral test environment for every change",
                actor=ACTOR,
                at=cleared,
            )
    total = counts["added"] + counts["updated"] + counts["unchanged"]
    org.notes.append(f"friction: {total} blockers in the register, the weekly CAB first by CD3")
