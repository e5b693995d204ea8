"""A small value stream with hand-made waits, so every price in the friction tests is computed by hand.

Stream `approvals`: Build (active) → Approval (wait "Awaiting approval", then active "Approving") → Done.
Item k waits `WAITS[k]` days before Approval. Items 0-2 finish before `CLEARED`, items 3-4 after it.
"""

from __future__ import annotations

import datetime as dt

from missionos.flow import service as flow
from missionos.flow.records import StreamDefinition, StreamEntry, TransitionRecord, WorkItemRecord
from missionos.store import Database

# Relative to today, so the commands (which price over the 90 days before now) see the same data as the tests.
NOW = dt.datetime.combine(dt.datetime.now(dt.UTC).date(), dt.time(), dt.UTC)
CLEARED = NOW - dt.timedelta(days=22)
RAISED = (NOW - dt.timedelta(days=92)).date()
STREAM = StreamDefinition(
    name="approvals",
    team="Ops",
    done=("Done",),
    entries=(
        StreamEntry("Build", ("Building",), "active"),
        StreamEntry("Approval", ("Awaiting approval",), "wait"),
        StreamEntry("Approval", ("Approving",), "active"),
    ),
)
# Days each item waits before Approval: the median of the first three is 4, of the last two 1.
WAITS = (2.0, 4.0, 6.0, 1.0, 1.0)
STARTS = tuple(NOW - dt.timedelta(days=d) for d in (61, 56, 51, 20, 17))


def load(db: Database) -> None:
    items, moves = [], []
    for k, (start, wait) in enumerate(zip(STARTS, WAITS, strict=True)):
        key = f"OPS-{k}"
        items.append(WorkItemRecord(key, "feature", f"change {k}", start - dt.timedelta(days=1), "Ops"))
        awaiting = start + dt.timedelta(days=1)
        approving = awaiting + dt.timedelta(days=wait)
        moves += [
            TransitionRecord(key, None, "Building", start),
            TransitionRecord(key, "Building", "Awaiting approval", awaiting),
            TransitionRecord(key, "Awaiting approval", "Approving", approving),
            TransitionRecord(key, "Approving", "Done", approving + dt.timedelta(hours=6)),
        ]
    with db.session() as session:
        flow.apply_stream(session, STREAM)
        flow.upsert_work(session, items, moves, source="test")


def blocker(**extra: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "key": "sign-off",
        "title": "Every change waits for a director's signature",
        "owner": "Director of operations",
        "teams": ["Ops"],
        "stream": "approvals",
        "step": "Approval",
        "raised": RAISED.isoformat(),
        "decision": "Delegate sign-off of standard changes to the team lead",
        "effort_days": 4,
    }
    doc.update(extra)
    return doc
